"""CPU per request of two commits, in one run: did a change (a regroup, a refactor) cost speed?

Each commit is checked out into a temporary git worktree; a child process per commit builds the
app there (limits off, page cache off, SQLite with `--rows` seeded items), calls the WSGI app
directly and reports thread CPU ms per request for the list, one item, `/me` and a create.
Rounds alternate between the commits so drift on a shared machine hits both.

    .venv/bin/python bench/compare_commits.py --base bb0574e [--head HEAD] [--record]
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"

# Runs inside the checked-out commit: prints {"request": ms per request, ...} as JSON.
CHILD = r"""
import io, json, sys, tempfile, time
sys.path.insert(0, ".")
from werkzeug.test import EnvironBuilder
from api import create_app
from models import db
rows, requests = int(sys.argv[1]), int(sys.argv[2])
work = tempfile.mkdtemp()
app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{work}/app.db", "DATA_DIR": work,
                  "SECRET_KEY": "compare-secret-0123456789abcdef0123456789", "BCRYPT_ROUNDS": 4,
                  "RATELIMIT_ENABLED": False, "LIST_CACHE_BYTES": 0, "LOG_LEVEL": "WARNING"})
client = app.test_client()
with app.app_context():
    db.create_all()
body = {"username": "bench", "email": "bench@example.com", "password": "a-long-bench-password-1"}
token = client.post("/api/auth/register", json=body).get_json()["token"]
auth = {"Authorization": f"Bearer {token}"}
with app.app_context():
    from sqlalchemy import insert
    from models import Item
    db.session.execute(insert(Item), [{"name": f"item {n}", "description": "", "user_id": 1}
                                      for n in range(rows)])
    db.session.commit()
kinds = {
    "GET /api/items": ("GET", "/api/items?per_page=20", {}, None, 200),
    "GET /api/items/<id>": ("GET", "/api/items/7", {}, None, 200),
    "GET /api/auth/me": ("GET", "/api/auth/me", auth, None, 200),
    "POST /api/items": ("POST", "/api/items", auth, {"name": "new", "description": "x"}, 201),
}
def once(method, path, headers, payload, status):
    environ = EnvironBuilder(path=path, method=method, headers=headers, json=payload).get_environ()
    answer = []
    result = app(environ, lambda s, h, e=None: answer.append(s))
    b"".join(result); getattr(result, "close", lambda: None)()
    assert answer[0].startswith(str(status)), (path, answer)
out = {}
for label, kind in kinds.items():
    for _ in range(20):
        once(*kind)
    start = time.thread_time()
    for _ in range(requests):
        once(*kind)
    out[label] = (time.thread_time() - start) * 1000 / requests
print(json.dumps(out))
"""


def worktree(commit: str, into: Path) -> Path:
    subprocess.run(["git", "worktree", "add", "--detach", str(into), commit], cwd=ROOT,
                   check=True, capture_output=True)  # fmt: skip
    return into


def measure(tree: Path, rows: int, requests: int) -> dict[str, float]:
    python = ROOT / ".venv" / "bin" / "python"
    done = subprocess.run([str(python), "-c", CHILD, str(rows), str(requests)], cwd=tree,
                          check=True, capture_output=True, text=True)  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--head", default="HEAD")
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="compare-commits-"))
    trees = {name: worktree(commit, scratch / name)
             for name, commit in (("base", args.base), ("head", args.head))}  # fmt: skip
    runs: dict[str, list[dict[str, float]]] = {"base": [], "head": []}
    try:
        for round_ in range(args.rounds):
            # ABBA order: the first run of a round is measurably faster on this machine (6-12 %
            # in 2026-12-01's runs), so neither commit may always go first.
            order = list(trees.items())
            for name, tree in order if round_ % 2 == 0 else reversed(order):
                runs[name].append(measure(tree, args.rows, args.requests))
    finally:
        for tree in trees.values():
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT)
    lines = [
        f"## {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {args.head} against {args.base} "
        "(bench/compare_commits.py)",
        "",
        f"{args.rows:,} items, SQLite, limits and page cache off, in process through the WSGI "
        f"app; thread CPU ms per request, median of {args.rounds} alternating rounds of "
        f"{args.requests}.",
        "",
        f"| request | {args.base} | {args.head} | head / base |",
        "|---|---|---|---|",
    ]
    for label in runs["base"][0]:
        base = statistics.median(run[label] for run in runs["base"])
        head = statistics.median(run[label] for run in runs["head"])
        lines.append(f"| {label} | {base:.3f} | {head:.3f} | {head / base:.2f} |")
    print("\n".join(lines))
    if args.record:
        with RESULTS.open("a") as out:
            out.write("\n" + "\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
