"""`make bench`, part 2: what the rate limiter costs, and logins under a registration flood.

1. Limiter cost. Two servers run as `make run` runs them, on one seeded database, both with
   `PROXY_FIX_COUNT=1`: one with `RATELIMIT_ENABLED=false`, one with limits on (the embedded
   shared-file store, and Redis when one answers on 127.0.0.1:6379) and quotas so high that
   nothing is refused, so every request pays for counting. `wrk` spreads the traffic over
   4,096 addresses and 20 users (bench/spread.lua) and alternates between the servers; the
   figure is the median ratio of req/s, limits on / off.
   Beside req/s, the workers' CPU time per request (utime + stime over the run), which wrk's
   noise on a shared 2-core machine does not move as much.
   Also the CPU time per request in process (the WSGI app called as a server calls it, one
   thread, `time.thread_time`), limits off / on, interleaved.
2. Bounded bcrypt work. Logins (sequential, one client) alone and while 36 clients register
   without pause (honouring `Retry-After` on a 503, as clients should; a client that ignores it
   is a request flood, which the per-address limits stop; they are off here), once with
   `BCRYPT_MAX_WAIT=0` (first come, first served, unbounded: the
   old behaviour) and once with the default bound (registrations shed with 503 + Retry-After,
   logins first). Prints login p50/max and what happened to the registrations.

Results are appended to bench/RESULTS.md.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask
from werkzeug.test import EnvironBuilder

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

from run import (  # noqa: E402
    BIN,
    BUILD,
    RESULTS,
    ROOT,
    _wrk,
    cpu_ticks,
    json_request,
    seeded,
    start,
    stop,
    workers_of,
)

TICK_US = 1e6 / os.sysconf("SC_CLK_TCK")

OFF_PORT, ON_PORT, REDIS_PORT = 5821, 5822, 5823
HIGH = "1000000000 per minute"
NOTHING_REFUSED = {"ADDRESS_RATE_LIMIT": HIGH, "USER_RATE_LIMIT": HIGH}
PASSWORD = "bench-password-1"


def serve(data_dir: Path, port: int, **extra: str):  # type: ignore[no-untyped-def]
    env = {
        **os.environ,
        "DATA_DIR": str(data_dir),
        "FLASK_RUN_PORT": str(port),
        "PROXY_FIX_COUNT": "1",
        "LOG_LEVEL": "warning",
        **extra,
    }
    command = [str(BIN / "gunicorn"), "--config", "gunicorn.conf.py", "app:app"]
    return start(command, env, port, data_dir / f"gunicorn-{port}.log")


def call(port: int, path: str, body: dict | None = None, token: str | None = None) -> tuple:
    """(status, body, Retry-After seconds or 0)."""
    request = json_request(port, path, body, token)
    request.add_header("X-Forwarded-For", f"10.9.{uuid.uuid4().int % 250}.{os.getpid() % 250}")
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read()), 0
    except urllib.error.HTTPError as error:
        wait = int(error.headers.get("Retry-After") or 0)
        return error.code, json.loads(error.read() or b"{}"), wait


def new_user(port: int) -> str:
    name = f"bench_{uuid.uuid4().hex[:10]}"
    body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    status, data, _ = call(port, "/api/auth/register", body)
    assert status == 201, (status, data)
    return data["token"]


def redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis(port=6379, socket_timeout=1).ping())
    except Exception:
        return False


def served(server: subprocess.Popen, port: int, path: str, seconds: int) -> tuple[float, float]:
    """req/s of one wrk run (spread.lua), and its workers' CPU µs per request (utime + stime)."""
    workers = workers_of(server.pid)
    before = sum(cpu_ticks(pid) for pid in workers)
    run, done = _wrk(f"http://127.0.0.1:{port}{path}", seconds=seconds, script="spread.lua")
    used = sum(cpu_ticks(pid) for pid in workers) - before
    return run.rps, used * TICK_US / done


def limiter_cost(args: argparse.Namespace) -> list[str]:
    data_dir = seeded(args.rows)
    modes = {"shared file": {}}
    if redis_up():
        modes["Redis"] = {"REDIS_URL": "redis://127.0.0.1:6379/13"}
    endpoints = [
        ("GET /api/items", "/api/items?per_page=20", {}),
        ("GET /api/auth/me", "/api/auth/me", {"auth": True}),
        ("POST /api/items", "/api/items", {"auth": True, "write": True}),
    ]
    lines = [
        "| limits on, store | endpoint | req/s off | req/s on | on/off | worker CPU µs/request, "
        "off | on |",
        "|---|---|---|---|---|---|---|",
    ]
    for mode, extra in modes.items():
        off = serve(data_dir, OFF_PORT, RATELIMIT_ENABLED="false")
        on = serve(data_dir, ON_PORT, **NOTHING_REFUSED, **extra)
        try:
            os.environ["BENCH_TOKENS"] = ",".join(new_user(OFF_PORT) for _ in range(20))
            for label, path, kind in endpoints:
                os.environ.pop("BENCH_METHOD", None)
                os.environ.pop("BENCH_BODY", None)
                if kind.get("write"):
                    os.environ["BENCH_METHOD"] = "POST"
                    os.environ["BENCH_BODY"] = '{"name": "bench item"}'
                tokens = os.environ["BENCH_TOKENS"]
                if not kind.get("auth"):
                    os.environ["BENCH_TOKENS"] = ""
                runs: dict[str, list[tuple[float, float]]] = {"off": [], "on": []}
                sides = [("off", off, OFF_PORT), ("on", on, ON_PORT)]
                for round_ in range(args.rounds):
                    # ABBA: neither side always runs first (bench/compare_commits.py says why).
                    for name, server, port in sides if round_ % 2 == 0 else reversed(sides):
                        runs[name].append(served(server, port, path, args.seconds))
                os.environ["BENCH_TOKENS"] = tokens
                rps = {name: statistics.median(r for r, _ in runs[name]) for name in runs}
                cpu = {name: statistics.median(c for _, c in runs[name]) for name in runs}
                ratio = statistics.median(
                    on_run[0] / off_run[0] for off_run, on_run in zip(*runs.values(), strict=True)
                )
                row = (
                    f"| {mode} | {label} | {rps['off']:.0f} | {rps['on']:.0f} | "
                    f"{ratio:.3f} | {cpu['off']:.0f} | {cpu['on']:.0f} "
                    f"({(cpu['on'] / cpu['off'] - 1) * 100:+.1f} %) |"
                )
                print(row, flush=True)
                lines.append(row)
        finally:
            stop(on)
            stop(off)
    return lines


def call_wsgi(app: Flask, method: str, path: str, headers: dict, payload: dict | None) -> None:
    """One request the way a WSGI server makes it: an environ, `start_response`, the body read.
    (Flask's test client would also parse the response's headers: client work, not ours.)"""
    environ = EnvironBuilder(path=path, method=method, headers=headers, json=payload).get_environ()
    environ["REMOTE_ADDR"] = "10.9.0.1"
    status: list[str] = []
    body = app(environ, lambda line, _headers, _exc=None: status.append(line))
    b"".join(body)
    getattr(body, "close", lambda: None)()
    assert status[0][0] == "2", (path, status)


def cpu_per_request(args: argparse.Namespace) -> list[str]:
    """CPU microseconds per request in process, limits off vs on, interleaved (median of rounds)."""
    import tempfile

    from api import create_app
    from api.cli import prepare_database

    modes: dict[str, dict] = {"off": {"RATELIMIT_ENABLED": False}, "shared file": {}}
    if redis_up():
        modes["Redis"] = {"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/13"}
    base = tempfile.mkdtemp(prefix="bench-limits-")
    common = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{base}/app.db",
        "DATA_DIR": base,
        "SECRET_KEY": "bench-secret-key-0123456789abcdef0123",
        "BCRYPT_ROUNDS": 4,
        "LOG_LEVEL": "WARNING",
        **NOTHING_REFUSED,
    }
    apps = {mode: create_app({**common, **extra}) for mode, extra in modes.items()}
    prepare_database(apps["off"])
    client = apps["off"].test_client()
    body = {"username": "cpu_bench", "email": "cpu@example.com", "password": PASSWORD}
    token = client.post("/api/auth/register", json=body).get_json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    requests = {
        "GET /api/items": ("GET", "/api/items?per_page=20", {}, None),
        "GET /api/auth/me": ("GET", "/api/auth/me", auth, None),
        "POST /api/items": ("POST", "/api/items", auth, {"name": "cpu"}),
    }
    lines = ["| endpoint | " + " | ".join(f"CPU µs/request, {m}" for m in modes) + " |"]
    lines.append("|---|" + "---|" * len(modes))
    for label, (method, path, headers, payload) in requests.items():
        samples: dict[str, list[float]] = {mode: [] for mode in modes}
        order = list(apps.items())
        for round_ in range(args.rounds * 2):
            # Each mode takes each place in the order in turn: none always runs first.
            shift = round_ % len(order)
            for mode, app in order[shift:] + order[:shift]:
                call_wsgi(app, method, path, headers, payload)  # warm up
                started = time.thread_time()
                for _ in range(args.requests):
                    call_wsgi(app, method, path, headers, payload)
                samples[mode].append((time.thread_time() - started) / args.requests * 1e6)
        medians = {mode: statistics.median(values) for mode, values in samples.items()}
        cells = [f"{medians['off']:.0f}"] + [
            f"{medians[m]:.0f} (+{medians[m] - medians['off']:.0f}, "
            f"{(medians[m] / medians['off'] - 1) * 100:+.1f} %)"
            for m in modes
            if m != "off"
        ]
        row = f"| {label} | " + " | ".join(cells) + " |"
        print(row, flush=True)
        lines.append(row)
    return lines


def login_latencies(port: int, token_user: str, count: int) -> list[float]:
    seconds = []
    for _ in range(count):
        started = time.perf_counter()
        status, data, _ = call(
            port, "/api/auth/login", {"username": token_user, "password": PASSWORD}
        )
        assert status == 200, (status, data)
        seconds.append(time.perf_counter() - started)
    return seconds


def flood_run(max_wait: str | None, args: argparse.Namespace) -> dict:
    data_dir = BUILD / f"hashing-{max_wait or 'default'}"
    data_dir.mkdir(parents=True, exist_ok=True)
    for stale in data_dir.glob("app.db*"):
        stale.unlink()
    bound = {"BCRYPT_MAX_WAIT": max_wait} if max_wait is not None else {}
    server = serve(data_dir, ON_PORT, RATELIMIT_ENABLED="false", **bound)
    try:
        name = f"bench_{uuid.uuid4().hex[:10]}"
        body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
        assert call(ON_PORT, "/api/auth/register", body)[0] == 201
        alone = login_latencies(ON_PORT, name, args.logins)
        outcomes: Counter[int] = Counter()
        stop_flood = threading.Event()

        def register_forever() -> None:
            while not stop_flood.is_set():
                user = f"flood_{uuid.uuid4().hex[:12]}"
                payload = {"username": user, "email": f"{user}@example.com", "password": PASSWORD}
                status, _, retry_after = call(ON_PORT, "/api/auth/register", payload)
                outcomes[status] += 1
                stop_flood.wait(retry_after)  # a client that honours Retry-After

        flooders = [threading.Thread(target=register_forever) for _ in range(args.flood)]
        for thread in flooders:
            thread.start()
        time.sleep(2)
        started = time.perf_counter()
        flooded = login_latencies(ON_PORT, name, args.logins)
        elapsed = time.perf_counter() - started
        stop_flood.set()
        for thread in flooders:
            thread.join()
    finally:
        stop(server)
    return {
        "alone_p50": statistics.median(alone),
        "flood_p50": statistics.median(flooded),
        "flood_max": max(flooded),
        "outcomes": dict(outcomes),
        "registered_per_s": outcomes[201] / (elapsed + 2),
    }


def hashing_flood(args: argparse.Namespace) -> list[str]:
    lines = [
        "| bcrypt queue | login p50 alone | login p50 under flood | login max under flood "
        "| registrations (status: count) | registered/s |",
        "|---|---|---|---|---|---|",
    ]
    for label, max_wait in (
        ("before: unbounded FIFO (`BCRYPT_MAX_WAIT=0`)", "0"),
        ("after: default bound", "0.5"),
    ):
        result = flood_run(max_wait, args)
        row = (
            f"| {label} | {result['alone_p50']:.2f} s | {result['flood_p50']:.2f} s | "
            f"{result['flood_max']:.2f} s | {result['outcomes']} | "
            f"{result['registered_per_s']:.1f} |"
        )
        print(row, flush=True)
        lines.append(row)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["cpu", "cost", "hashing", "all"], default="all")
    parser.add_argument("--requests", type=int, default=500, help="per CPU-time sample")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=4, help="per wrk run")
    parser.add_argument("--flood", type=int, default=36, help="concurrent registering clients")
    parser.add_argument("--logins", type=int, default=12, help="logins timed per phase")
    args = parser.parse_args()
    BUILD.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"\n## {stamp} — rate limiter cost and bounded bcrypt work (bench/ratelimits.py)\n"]
    if args.part in ("cpu", "all"):
        print("CPU per request in process (WSGI calls), limits off vs on")
        lines += [
            f"CPU time per request in process, median of {args.rounds * 2} interleaved rounds "
            f"of {args.requests} requests (limits on: nothing refused):\n",
            *cpu_per_request(args),
            "",
        ]
    if args.part in ("cost", "all"):
        print(f"Limiter cost: {args.rounds} rounds x {args.seconds} s, wrk -t2 -c32, spread.lua")
        lines += [
            f"Limiter cost, {args.rows:,} items, {args.rounds} rounds x {args.seconds} s, "
            "4,096 addresses and 20 users (nothing refused):\n",
            *limiter_cost(args),
            "",
        ]
    if args.part in ("hashing", "all"):
        print(f"Logins while {args.flood} clients register without pause (BCRYPT_ROUNDS=12)")
        lines += [
            f"Logins while {args.flood} clients register without pause (default workers, "
            "BCRYPT_ROUNDS=12, limits off):\n",
            *hashing_flood(args),
        ]
    with RESULTS.open("a") as out:
        out.write("\n".join(lines) + "\n")
    print(f"Appended to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
