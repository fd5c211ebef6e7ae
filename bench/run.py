"""`make bench`: the API under load the way users run it, against a raw-WSGI baseline.

Starts the app exactly as `make run` does (gunicorn + gunicorn.conf.py) on a database seeded
with N items, and a raw WSGI app of our own (bench/baseline.py) as the baseline. For every
endpoint it interleaves baseline and API runs of `wrk` on loopback and reports req/s, p50, p99
and the ratio to the baseline measured in the same round (the load generator shares the cores,
so only ratios are comparable between runs). A peer, the same list and `/me` written with
FastAPI + SQLModel and served by uvicorn with 2 workers (bench/peer_fastapi.py), runs in the
same session on the same database and is measured the same way: ours/peer is the ratio of the
two "x raw WSGI" figures. Also: per-worker CPU split, peak RSS per worker, GET /api/items while
clients log in continuously, and page-1 latency at another table size.
Results are appended to bench/RESULTS.md.
"""

import argparse
import base64
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "bench"
BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "RESULTS.md"
API_PORT, BASE_PORT, PEER_PORT = 5811, 5812, 5813
USER = {"username": "bench", "email": "bench@example.com", "password": "bench-password-1"}


@dataclass
class Run:
    rps: float
    p50_ms: float
    p99_ms: float


def flask(data_dir: Path, *args: str) -> None:
    env = {**os.environ, "DATA_DIR": str(data_dir), "LOG_LEVEL": "warning"}
    subprocess.run([BIN / "flask", "--app", "app", *args], cwd=ROOT, env=env, check=True)


def seeded(rows: int) -> Path:
    """A data dir with `rows` items, kept under build/ and reused by later runs."""
    data_dir = BUILD / f"data-{rows}"
    marker = data_dir / ".seeded"
    if not marker.exists():
        shutil.rmtree(data_dir, ignore_errors=True)
        data_dir.mkdir(parents=True)
        print(f"Seeding {rows:,} items into {data_dir} ...", flush=True)
        flask(data_dir, "init-db")
        flask(data_dir, "seed", "--items", str(rows), "--users", "50")
        marker.touch()
    return data_dir


def start(command: list[str], env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=out, start_new_session=True
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2)
            time.sleep(1)  # let every worker finish booting
            return process
        except OSError:
            time.sleep(0.2)
    stop(process)
    raise RuntimeError(f"server on port {port} did not start; see {log}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def start_api(data_dir: Path, **extra: str) -> subprocess.Popen:
    env = {**os.environ, "DATA_DIR": str(data_dir), "FLASK_RUN_PORT": str(API_PORT), **extra}
    env.setdefault("RATELIMIT_ENABLED", "false")  # a load test; bench/ratelimits.py measures limits
    command = [str(BIN / "gunicorn"), "--config", "gunicorn.conf.py", "app:app"]
    return start(command, env, API_PORT, data_dir / "gunicorn.log")


def start_baseline() -> subprocess.Popen:
    command = [
        str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{BASE_PORT}",
        "--chdir", str(ROOT / "bench"), "baseline:app",
    ]  # fmt: skip
    return start(command, dict(os.environ), BASE_PORT, BUILD / "baseline.log")


def start_peer(data_dir: Path) -> subprocess.Popen:
    """The FastAPI + SQLModel peer as its docs deploy it: uvicorn, 2 worker processes."""
    command = [
        str(BIN / "uvicorn"), "--app-dir", str(ROOT / "bench"), "--host", "127.0.0.1",
        "--port", str(PEER_PORT), "--workers", "2", "peer_fastapi:app",
    ]  # fmt: skip
    env = {**os.environ, "DATA_DIR": str(data_dir)}
    return start(command, env, PEER_PORT, BUILD / "peer.log")


def workers_of(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def peak_rss_mb(pid: int) -> float:
    match = re.search(r"VmHWM:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
    return int(match.group(1)) / 1024 if match else 0.0


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(us|ms|s)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, *, seconds: int, connections: int = 32, script: str | None = None) -> Run:
    return _wrk(url, seconds=seconds, connections=connections, script=script)[0]


def _wrk(
    url: str, *, seconds: int, connections: int = 32, script: str | None = None
) -> tuple[Run, int]:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if script:
        command[1:1] = ["-s", str(ROOT / "bench" / script)]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = re.search(r"\s50%\s+([\d.]+\w+)", output).group(1)  # type: ignore[union-attr]
    p99 = re.search(r"\s99%\s+([\d.]+\w+)", output).group(1)  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} non-2xx responses\n{output}")
    # wrk leaves requests it gave up on (2 s) out of its latencies: they would hide a tail.
    timeouts = re.search(r"Socket errors:.*timeout (\d+)", output)
    if timeouts and int(timeouts.group(1)):
        raise RuntimeError(f"{url}: {timeouts.group(1)} requests timed out\n{output}")
    done = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    return Run(rps, _ms(p50), _ms(p99)), done


def drained(pids: list[int], timeout: float = 60) -> None:
    """Wait until the workers are idle: a slow run (a search scan with the cache off) leaves
    requests queued that would otherwise be counted against the next probe."""
    time.sleep(1)
    deadline, last = time.monotonic() + timeout, sum(cpu_ticks(pid) for pid in pids)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = sum(cpu_ticks(pid) for pid in pids)
        if now - last <= 1:  # at most one clock tick in half a second: nothing queued
            return
        last = now


def cpu_ms_per_request(
    master: int, path: str, seconds: int, *, port: int = API_PORT, script: str | None = None
) -> float:
    """Worker CPU time per request: unlike req/s, barely moved by other load on the machine."""
    pids = workers_of(master)
    drained(pids)
    before = sum(cpu_ticks(pid) for pid in pids)
    url = f"http://127.0.0.1:{port}{path}"
    _, done = _wrk(url, seconds=seconds, connections=8, script=script)
    used = sum(cpu_ticks(pid) for pid in pids) - before
    return used * 1000 / os.sysconf("SC_CLK_TCK") / max(done, 1)


def json_request(
    port: int, path: str, body: dict | None = None, token: str | None = None
) -> urllib.request.Request:
    """A request to the local server with an optional JSON body and bearer token."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    if body is not None:
        request.data = json.dumps(body).encode()
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    return request


def api_request(
    path: str, body: dict | None = None, token: str | None = None, port: int = API_PORT
) -> dict:
    request = json_request(port, path, body, token)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        if error.code == 409:  # already registered by an earlier run
            return api_request(
                "/api/auth/login", body={k: USER[k] for k in ("username", "password")}
            )
        raise


def measure(
    label: str,
    path: str,
    args: argparse.Namespace,
    script: str | None = None,
    port: int = API_PORT,
) -> dict:
    """Interleave baseline and API runs; report medians and the median per-round ratio."""
    api_runs, ratios = [], []
    for _ in range(args.rounds):
        base = wrk(f"http://127.0.0.1:{BASE_PORT}/", seconds=args.seconds)
        run = wrk(f"http://127.0.0.1:{port}{path}", seconds=args.seconds, script=script)
        api_runs.append(run)
        ratios.append(run.rps / base.rps)
    row = {
        "endpoint": label,
        "rps": statistics.median(r.rps for r in api_runs),
        "p50": statistics.median(r.p50_ms for r in api_runs),
        "p99": statistics.median(r.p99_ms for r in api_runs),
        "ratio": statistics.median(ratios),
    }
    print(
        f"  {label:<28} {row['rps']:>8.0f} req/s  p50 {row['p50']:6.2f} ms  "
        f"p99 {row['p99']:6.2f} ms  x{row['ratio']:.2f}",
        flush=True,
    )
    return row


def cpu_split(master: int, path: str, seconds: int) -> list[float]:
    pids = workers_of(master)
    before = {pid: cpu_ticks(pid) for pid in pids}
    wrk(f"http://127.0.0.1:{API_PORT}{path}", seconds=seconds)
    used = {pid: cpu_ticks(pid) - before[pid] for pid in pids}
    total = sum(used.values()) or 1
    return [round(used[pid] / total, 2) for pid in pids]


def p99_during_logins(path: str, seconds: int) -> Run:
    """GET latency while 4 clients log in continuously (bcrypt must not starve the API)."""
    login = subprocess.Popen(
        ["wrk", "-t1", "-c4", f"-d{seconds + 2}s", "-s", str(ROOT / "bench" / "login.lua"),
         f"http://127.0.0.1:{API_PORT}/api/auth/login"],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(1)
    try:
        return wrk(f"http://127.0.0.1:{API_PORT}{path}", seconds=seconds)
    finally:
        login.wait()


LISTS = {"GET /api/items": "/api/items?per_page=20", "GET /api/items?q=": "/api/items?q=alpha"}


def cache_off_rows(data_dir: Path, args: argparse.Namespace) -> list[dict]:
    """The list rows again with the page cache off, measured the same way in the same run,
    so the cache is kept only while it pays (bench/RESULTS.md records the decision)."""
    process = start_api(data_dir, LIST_CACHE_BYTES="0")
    try:
        rows = [measure(f"{label} (cache off)", path, args) for label, path in LISTS.items()]
        for row, path in zip(rows, LISTS.values(), strict=True):
            row["cpu_ms"] = cpu_ms_per_request(process.pid, path, args.seconds)
        return rows
    finally:
        stop(process)


def cache_on_cpu(master: int, rows: list[dict], seconds: int) -> None:
    for row in rows:
        if row["endpoint"] in LISTS:
            row["cpu_ms"] = cpu_ms_per_request(master, LISTS[row["endpoint"]], seconds)
        elif row["endpoint"] == "GET /api/auth/me":
            row["cpu_ms"] = cpu_ms_per_request(master, "/api/auth/me", seconds, script="auth.lua")


PEER_LIST, PEER_ME = "peer: GET /api/items", "peer: GET /api/auth/me"
# Our rows compared with the peer's: the list with and without our page cache (the peer has none).
VERSUS = {
    "GET /api/items": PEER_LIST,
    "GET /api/items (cache off)": PEER_LIST,
    "GET /api/auth/me": PEER_ME,
}


def _comparable(body: dict) -> dict:
    """Timestamps as instants (`Z` and `+00:00` are the same time), everything else as sent."""
    return {
        key: datetime.fromisoformat(value) if key.endswith(("_at", "_login")) and value else value
        for key, value in body.items()
    }


def check_peer(token: str) -> None:
    """The peer answers the same page, total and user as ours, or comparing them means nothing."""
    path = "/api/items?per_page=20"
    ours, theirs = api_request(path), api_request(path, port=PEER_PORT)
    same_page = [_comparable(i) for i in ours["items"]] == [_comparable(i) for i in theirs["items"]]
    if not same_page or ours["total"] != theirs["total"]:
        raise RuntimeError(f"the peer's {path} differs from ours")
    me = api_request("/api/auth/me", token=token)
    their_me = api_request("/api/auth/me", token=token, port=PEER_PORT)
    if _comparable(me) != _comparable(their_me):
        raise RuntimeError("the peer's /api/auth/me differs from ours")


def peer_rows(peer: int, args: argparse.Namespace) -> list[dict]:
    """The peer's list and `/me`, measured as ours are, with their worker CPU per request."""
    rows = [
        measure(PEER_LIST, "/api/items?per_page=20", args, port=PEER_PORT),
        measure(PEER_ME, "/api/auth/me", args, script="auth.lua", port=PEER_PORT),
    ]
    for row, path, script in zip(
        rows, ("/api/items?per_page=20", "/api/auth/me"), (None, "auth.lua"), strict=True
    ):
        row["cpu_ms"] = cpu_ms_per_request(peer, path, args.seconds, port=PEER_PORT, script=script)
    return rows


def versus_peer(rows: list[dict]) -> list[str]:
    """Ours against the peer: throughput (both as x raw WSGI) and worker CPU per request."""
    found = {row["endpoint"]: row for row in rows}
    lines = []
    for ours, peer in VERSUS.items():
        mine, theirs = found[ours], found[peer]
        line = (
            f"{ours} / FastAPI peer: req/s x{mine['ratio'] / theirs['ratio']:.2f} "
            f"({mine['ratio']:.2f} vs {theirs['ratio']:.2f} x raw WSGI)"
        )
        if "cpu_ms" in mine and "cpu_ms" in theirs:
            line += f", worker CPU ms/request {mine['cpu_ms']:.2f} vs {theirs['cpu_ms']:.2f}"
        lines.append(line)
    return lines


def uncached_p50(data_dir: Path, paths: dict[str, str], seconds: int) -> dict[str, float]:
    """p50 per path with the list page cache off: the query, index and counts alone."""
    process = start_api(data_dir, LIST_CACHE_BYTES="0")
    try:
        return {
            label: statistics.median(
                wrk(f"http://127.0.0.1:{API_PORT}{path}", seconds=seconds).p50_ms for _ in range(3)
            )
            for label, path in paths.items()
        }
    finally:
        stop(process)


def deep_paths(rows: int) -> dict[str, str]:
    """Page 1, a page 90% deep by offset, and the same depth by keyset cursor."""
    page = max(1, int(rows * 0.9) // 20)
    deep = api_request(f"/api/items?per_page=20&page={page}")["items"][0]
    raw = json.dumps(["-created_at", deep["created_at"], deep["id"]], ensure_ascii=False)
    cursor = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
    return {
        "page 1": "/api/items?per_page=20",
        f"page {page} (offset)": f"/api/items?per_page=20&page={page}",
        "same depth (cursor)": f"/api/items?per_page=20&after={cursor}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="items in the database")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=4, help="per wrk run")
    parser.add_argument(
        "--scale", action="store_true", help="also measure page 1 at 1,000 rows (uncached)"
    )
    parser.add_argument("--note", default="", help="what changed, for RESULTS.md")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk (make bench does this)")
    BUILD.mkdir(parents=True, exist_ok=True)
    data_dir = seeded(args.rows)
    baseline, api, peer = start_baseline(), start_api(data_dir), start_peer(data_dir)
    try:
        token = api_request("/api/auth/register", body=USER)["token"]
        os.environ["BENCH_TOKEN"] = token
        item_id = api_request("/api/items?per_page=1")["items"][0]["id"]
        check_peer(token)
        print(f"{args.rows:,} items; {args.rounds} rounds x {args.seconds} s; wrk -t2 -c32")
        rows = [
            measure("GET /api/health", "/api/health", args),
            *(measure(label, path, args) for label, path in LISTS.items()),
            measure("GET /api/items/<id>", f"/api/items/{item_id}", args),
            measure("GET /api/auth/me", "/api/auth/me", args, script="auth.lua"),
            measure("POST /api/items", "/api/items", args, script="post_item.lua"),
            *peer_rows(peer.pid, args),
        ]
        stop(peer)
        depths = deep_paths(args.rows)
        split = cpu_split(api.pid, "/api/items?per_page=20", args.seconds)
        during_logins = p99_during_logins("/api/items?per_page=20", args.seconds)
        rss = [round(peak_rss_mb(pid), 1) for pid in workers_of(api.pid)]
        cache_on_cpu(api.pid, rows, args.seconds)
        stop(api)
        rows += cache_off_rows(data_dir, args)
    finally:
        stop(peer)
        stop(api)
        stop(baseline)
    print(f"  CPU split between workers: {split}; peak RSS per worker (MB): {rss}")
    print(f"  GET /api/items with 4 clients logging in: p99 {during_logins.p99_ms:.1f} ms")
    uncached = uncached_p50(data_dir, depths, args.seconds)
    if args.scale:
        small = uncached_p50(seeded(1_000), {"page 1": "/api/items?per_page=20"}, args.seconds)
        uncached["page 1 at 1,000 rows"] = small["page 1"]
    for label, p50 in uncached.items():
        print(f"  uncached p50, {label}: {p50:.2f} ms")
    versus = versus_peer(rows)
    for line in versus:
        print(f"  {line}")
    record(args, rows, split, rss, during_logins, uncached, versus)


def _cpu(row: dict) -> str:
    return f"{row['cpu_ms']:.2f}" if "cpu_ms" in row else ""


def record(args, rows, split, rss, during_logins, uncached, versus) -> None:  # type: ignore[no-untyped-def]
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{platform.node()} ({os.cpu_count()} cores, Python {platform.python_version()})"
    lines = [
        f"\n## {stamp} — {machine}\n",
        f"{args.rows:,} items, {args.rounds} rounds x {args.seconds} s, wrk -t2 -c32. "
        f"{args.note}\n",
        "| endpoint | req/s | p50 ms | p99 ms | x raw WSGI | worker CPU ms/request |",
        "|---|---|---|---|---|---|",
        *(
            f"| {r['endpoint']} | {r['rps']:.0f} | {r['p50']:.2f} | {r['p99']:.2f} | "
            f"{r['ratio']:.2f} | {_cpu(r)} |"
            for r in rows
        ),
        "",
        f"- CPU split between workers (GET /api/items): {split}",
        f"- peak RSS per worker: {rss} MB",
        f"- GET /api/items p99 while 4 clients log in: {during_logins.p99_ms:.1f} ms",
    ]
    lines.append(
        "- with the list page cache off (`LIST_CACHE_BYTES=0`), p50: "
        + "; ".join(f"{label} {p50:.2f} ms" for label, p50 in uncached.items())
    )
    lines.append(
        "- peer: FastAPI + SQLModel (bench/peer_fastapi.py), uvicorn --workers 2 (uvloop, "
        "httptools), same database; ours / peer:"
    )
    lines += [f"  - {line}" for line in versus]
    if not RESULTS.exists():
        RESULTS.write_text(
            "# Benchmark results\n\nAppended by `make bench`; never edit old rows.\n"
        )
    with RESULTS.open("a") as out:
        out.write("\n".join(lines) + "\n")
    print(f"Appended to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
