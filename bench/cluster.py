"""`make bench-cluster`: the API as a cluster runs it, on loopback.

Three instances (gunicorn, as `make run` serves) behind HAProxy (Debian), PgBouncer in
transaction mode in front of PostgreSQL, Redis for the rate limits. wrk sends a mixed read/write
load (bench/mixed.lua) through the balancer, then the same load straight to one instance.
Reports throughput, p50/p99, every status that came back (0 errors expected), the share of
requests each instance served (HAProxy's counters), and how many rows the writes stored against
how many were acknowledged. On 2 cores the point is correctness and overhead under a realistic
topology, not absolute speed. Results are appended to bench/RESULTS.md.
"""

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.factories import random_email, random_name, random_password  # noqa: E402
from tests.live import LiveServer, free_port, start_server, stop_server  # noqa: E402
from tests.pooler import pgbouncer, through  # noqa: E402
from tests.services import REDIS_HOST, REDIS_PORT, ensure_redis, throwaway_database  # noqa: E402

RESULTS = ROOT / "bench" / "RESULTS.md"
INSTANCES = ("a", "b", "c")
REDIS_DB = 13  # a database number of the benchmark's own, flushed before and after
USERS, ITEMS_PER_USER = 40, 5

HAPROXY_CFG = """\
global
    maxconn 4096
    stats socket {dir}/haproxy.sock mode 600 level user

defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    option http-keep-alive
    # An instance restarting mid-run: its refused or unanswered requests go to another one
    # (reads only, for an unanswered one: a create may have happened).
    option redispatch
    retries 3
    retry-on conn-failure empty-response response-timeout

frontend api
    bind 127.0.0.1:{port}
    http-request disable-l7-retry if METH_POST || {{ method PATCH }}
    # Benchmark rig only: one wrk process plays many clients by naming its address in
    # X-Simulated-Client; the instances trust one proxy hop (PROXY_FIX_COUNT=1).
    http-request set-header X-Forwarded-For %[req.hdr(X-Simulated-Client)]
    default_backend instances

backend instances
    balance roundrobin
    option httpchk GET /api/health
{servers}
"""


@dataclass
class Load:
    rps: float
    p50_ms: float
    p99_ms: float
    statuses: Counter[int]

    @property
    def errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if status >= 400)


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(us|ms|s)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def call(url: str, path: str, body: dict | None = None, token: str | None = None) -> dict:
    request = urllib.request.Request(url + path)
    if body is not None:
        request.data = json.dumps(body).encode()
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def populate(url: str, work: Path, password: str | None = None) -> dict[str, str]:
    """Users with tokens and a few items each; the files mixed.lua reads."""
    tokens, ids = [], []
    for _ in range(USERS):
        account = {"username": random_name(), "email": random_email()}
        account["password"] = password or random_password()
        token = call(url, "/api/auth/register", account)["token"]
        tokens.append(token)
        for n in range(ITEMS_PER_USER):
            ids.append(str(call(url, "/api/items", {"name": f"seed {n}"}, token)["id"]))
    (work / "tokens.txt").write_text("\n".join(tokens) + "\n")
    (work / "ids.txt").write_text("\n".join(ids) + "\n")
    return {"BENCH_TOKENS": str(work / "tokens.txt"), "BENCH_ITEM_IDS": str(work / "ids.txt")}


def wrk(url: str, seconds: int, env: dict[str, str]) -> Load:
    script = ROOT / "bench" / "mixed.lua"
    command = ["wrk", "-t2", "-c32", f"-d{seconds}s", "--latency", "-s", str(script), url]
    output = subprocess.run(
        command, capture_output=True, text=True, check=True, env={**os.environ, **env}
    ).stdout
    statuses = Counter(
        {int(s): int(n) for s, n in re.findall(r"^STATUS (\d+) (\d+)$", output, re.M)}
    )
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = re.search(r"\s50%\s+([\d.]+\w+)", output).group(1)  # type: ignore[union-attr]
    p99 = re.search(r"\s99%\s+([\d.]+\w+)", output).group(1)  # type: ignore[union-attr]
    return Load(rps, _ms(p50), _ms(p99), statuses)


def haproxy(work: Path, servers: list[LiveServer]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    lines = [
        f"    server {name} {server.url.removeprefix('http://')} check"
        for name, server in zip(INSTANCES, servers, strict=True)
    ]
    config = work / "haproxy.cfg"
    config.write_text(HAPROXY_CFG.format(dir=work, port=port, servers="\n".join(lines)))
    process = subprocess.Popen(
        [shutil.which("haproxy") or "/usr/sbin/haproxy", "-db", "-f", str(config)],
        stdout=open(work / "haproxy.log", "wb"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            call(url, "/api/health")
            return process, url
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError((work / "haproxy.log").read_text())


def served_per_instance(work: Path) -> dict[str, int]:
    """HAProxy's request counter for each instance (`req_tot` of `show stat`)."""
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(str(work / "haproxy.sock"))
        sock.sendall(b"show stat\n")
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
    header, *rows = raw.decode().strip().splitlines()
    columns = header.lstrip("# ").split(",")
    served = {}
    for row in rows:
        values = dict(zip(columns, row.split(","), strict=False))
        if values["pxname"] == "instances" and values["svname"] in INSTANCES:
            served[values["svname"]] = int(values["req_tot"] or 0)
    return served


def stored_items(database_url: str) -> int:
    import psycopg

    dsn = database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as connection:
        return connection.execute("SELECT count(*) FROM items").fetchone()[0]  # type: ignore[index]


def redis_url() -> str:
    import redis

    ensure_redis()
    redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB).flushdb()
    return f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20, help="per wrk run")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per instance")
    args = parser.parse_args()
    for tool in ("wrk", "haproxy", "pgbouncer"):
        if not (shutil.which(tool) or Path(f"/usr/sbin/{tool}").exists()):
            sys.exit(f"{tool} is not installed (make bench-cluster installs it)")
    work = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    with ExitStack() as stack:
        database = stack.enter_context(throwaway_database("cluster"))
        pooler_port = stack.enter_context(pgbouncer(pool_size=20))
        env = {
            "DATABASE_URL": through(database, pooler_port),
            "DATABASE_POOLER": "pgbouncer",
            "REDIS_URL": redis_url(),
            "PROXY_FIX_COUNT": "1",
        }
        servers = []
        for name in INSTANCES:  # one after the other: the first one migrates
            server = start_server(work / name, workers=args.workers, threads=4, **env)
            stack.callback(stop_server, server)
            servers.append(server)
        balancer, url = haproxy(work, servers)
        stack.callback(balancer.kill)
        files = populate(url, work)
        before = stored_items(database)
        print(f"3 instances x {args.workers} workers behind HAProxy; PgBouncer (transaction)")
        cluster = wrk(url, args.seconds, files)
        time.sleep(1)  # requests in flight when wrk stopped still complete
        served = served_per_instance(work)
        writes = stored_items(database) - before
        direct = wrk(servers[0].url, args.seconds, files)
        logs = "".join(server.log() for server in servers)
    report(args, cluster, direct, served, writes, logs)


def report(args, cluster, direct, served, stored, logs) -> None:  # type: ignore[no-untyped-def]
    """Print and record; exit non-zero on any error, traceback or lost acknowledged write."""
    total = sum(served.values()) or 1
    share = {name: round(count / total, 3) for name, count in served.items()}
    tracebacks = logs.count("Traceback")
    lines = [
        f"\n## Cluster {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {os.cpu_count()} cores\n",
        f"3 instances x {args.workers} workers x 4 threads behind HAProxy (round robin), PgBouncer "
        "1.18 in transaction mode (pool 20) in front of PostgreSQL 15, Redis for limits; "
        f"wrk -t2 -c32 -d{args.seconds}s, bench/mixed.lua (70% list, 15% item, 5% me, "
        "10% create).\n",
        "| target | req/s | p50 ms | p99 ms | errors | statuses |",
        "|---|---|---|---|---|---|",
        *(
            f"| {label} | {load.rps:.0f} | {load.p50_ms:.2f} | {load.p99_ms:.2f} | "
            f"{load.errors} | {dict(sorted(load.statuses.items()))} |"
            for label, load in (
                ("through HAProxy (3 instances)", cluster),
                ("one instance", direct),
            )
        ),
        "",
        f"- share of requests per instance: {share}",
        f"- creates through the balancer: {cluster.statuses[201]} acknowledged, {stored} rows "
        "stored (more only for requests still in flight when wrk stopped)",
        f"- tracebacks in the instances' logs: {tracebacks}",
    ]
    print("\n".join(lines))
    with RESULTS.open("a") as out:
        out.write("\n".join(lines) + "\n")
    print(f"Appended to {RESULTS.relative_to(ROOT)}")
    if cluster.errors or direct.errors or tracebacks or stored < cluster.statuses[201]:
        sys.exit("cluster benchmark saw errors (see above)")


if __name__ == "__main__":
    main()
