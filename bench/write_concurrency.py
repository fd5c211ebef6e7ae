"""POST /api/items throughput and latency by the number of concurrent writers (SQLite).

Serves the bench's seeded database (a copy: the creates do not accumulate in it) as `make run`
does and runs wrk with `post_item.lua` at each concurrency. Where writes queue on SQLite's one
write lock, throughput stays flat while p99 grows with the writers.

    .venv/bin/python bench/write_concurrency.py [--rows 100000] [--seconds 4] 2 8 32
"""

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run as bench  # noqa: E402  (bench/run.py: seeding, server start, wrk)

USER = {"username": "writer", "email": "writer@example.com", "password": "a-long-writer-password-1"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("connections", type=int, nargs="*", default=[2, 8, 32])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=4)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp()) / "data"
    shutil.copytree(bench.seeded(args.rows), data_dir)
    api = bench.start_api(data_dir)
    try:
        os.environ["BENCH_TOKEN"] = bench.api_request("/api/auth/register", body=USER)["token"]
        url = f"http://127.0.0.1:{bench.API_PORT}/api/items"
        print("| concurrent writers | req/s | p50 ms | p99 ms |\n|---|---|---|---|")
        for connections in args.connections:
            run = bench.wrk(
                url, seconds=args.seconds, connections=connections, script="post_item.lua"
            )
            print(f"| {connections} | {run.rps:.0f} | {run.p50_ms:.2f} | {run.p99_ms:.2f} |")
    finally:
        bench.stop(api)
        shutil.rmtree(data_dir.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
