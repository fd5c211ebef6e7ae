"""`make bench-capacity`: the measured inputs of the capacity model (docs/capacity.md).

- CPU milliseconds per request for each main endpoint: one instance on PostgreSQL (2 gunicorn
  workers, production bcrypt cost), loaded by wrk; the workers' CPU time (utime + stime from
  /proc) divided by the requests they answered. CPU per request, unlike req/s, does not depend
  on what else shares the machine's cores.
- Writes per second one PostgreSQL sustains here: pgbench inserting items exactly as
  POST /api/items does (bench/app_insert.sql; the count and version triggers included).
Results are appended to bench/RESULTS.md. Limits are off for the CPU runs (one wrk process would
trip the per-user limits); the limiter's own cost is measured by `make bench`.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.cluster import RESULTS, call, populate  # noqa: E402
from tests.live import LiveServer, start_server, stop_server  # noqa: E402
from tests.services import throwaway_database  # noqa: E402

# Debian installs pgbench with the server, outside PATH.
PGBENCH = next(Path("/usr/lib/postgresql").glob("*/bin/pgbench"), Path("pgbench"))


def worker_pids(master: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{master}/task/{master}/children").read_text().split()]


def cpu_ticks(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total


def cpu_ms_per_request(
    server: LiveServer, path: str, seconds: int, connections: int = 8, **env: str
) -> float:
    """Work still in flight when wrk stops is counted but not its request: keep `connections`
    small against the number of requests a run completes (logins take ~0.2 s each)."""
    pids = worker_pids(server.process.pid)
    before = cpu_ticks(pids)
    command = [
        "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(ROOT / "bench" / "single.lua"),
    ]  # fmt: skip
    output = subprocess.run(
        [*command, server.url + path],
        capture_output=True, text=True, check=True, env={**os.environ, **env},
    ).stdout  # fmt: skip
    used = cpu_ticks(pids) - before
    requests = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    if "Non-2xx" in output:
        raise RuntimeError(f"{path}: errors during the run\n{output}")
    return used * 1000 / os.sysconf("SC_CLK_TCK") / max(requests, 1)


def pgbench_inserts(database_url: str, seconds: int) -> float:
    dsn = database_url.replace("postgresql+psycopg://", "postgresql://")
    output = subprocess.run(
        [str(PGBENCH), "-n", "-c", "8", "-j", "2", "-T", str(seconds),
         "-f", str(ROOT / "bench" / "app_insert.sql"), dsn],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return float(re.search(r"tps = ([\d.]+)", output).group(1))  # type: ignore[union-attr]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8)
    args = parser.parse_args()
    if not PGBENCH.exists():
        sys.exit("pgbench is not installed (Debian postgresql-client / postgresql-contrib)")
    work = Path(tempfile.mkdtemp(prefix="bench-capacity-"))
    env = {"RATELIMIT_ENABLED": "false", "BCRYPT_ROUNDS": "12", "PROXY_FIX_COUNT": "1"}
    with throwaway_database("capacity") as database:
        server = start_server(work, workers=2, threads=4, DATABASE_URL=database, **env)
        try:
            files = populate(server.url, work, password=PASSWORD)
            token = Path(files["BENCH_TOKENS"]).read_text().split()[0]
            item = Path(files["BENCH_ITEM_IDS"]).read_text().split()[0]
            account = call(server.url, "/api/auth/me", token=token)
            login = f'{{"username": "{account["username"]}", "password": "{PASSWORD}"}}'
            cases = {
                "GET /api/items": ("/api/items?per_page=20", {}),
                "GET /api/items/<id>": (f"/api/items/{item}", {}),
                "GET /api/auth/me": ("/api/auth/me", {"BENCH_TOKEN": token}),
                "POST /api/items": (
                    "/api/items",
                    {"BENCH_TOKEN": token, "BENCH_METHOD": "POST", "BENCH_BODY": '{"name": "c"}'},
                ),
            }
            cpu = {
                label: cpu_ms_per_request(server, path, args.seconds, **extra)
                for label, (path, extra) in cases.items()
            }
            cpu["POST /api/auth/login"] = cpu_ms_per_request(
                server, "/api/auth/login", args.seconds * 3, connections=1,
                BENCH_METHOD="POST", BENCH_BODY=login,
            )  # fmt: skip
        finally:
            stop_server(server)
        writes = pgbench_inserts(database, args.seconds)
    record(cpu, writes)


PASSWORD = "capacity-password-1"


def record(cpu: dict[str, float], writes: float) -> None:
    lines = [
        f"\n## Capacity inputs {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {os.cpu_count()} cores\n",
        "One instance on PostgreSQL 15, 2 workers x 4 threads, bcrypt cost 12, limits off; "
        "CPU time of the workers per answered request (wrk -c8).\n",
        "| endpoint | CPU ms / request |",
        "|---|---|",
        *(f"| {label} | {ms:.2f} |" for label, ms in cpu.items()),
        "",
        f"- PostgreSQL item inserts (pgbench, 8 clients, app-shaped insert with triggers): "
        f"{writes:.0f} per second",
    ]
    print("\n".join(lines))
    with RESULTS.open("a") as out:
        out.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
