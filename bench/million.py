"""`make bench-million`: every item list query at 1,000,000 rows, page cache off, on SQLite and
PostgreSQL, against the plain page 1 measured in the same run (issue 16).

Builds once (kept under build/bench/) a database of N items over 20 owners: the schema up to
revision 0011 (before the search counts), the rows by bulk SQL with the item triggers off and
the 0011 counts recomputed, then `flask db upgrade` to head, which backfills the gram counts and
the substring index (its time is printed: what the migration costs at that size). A few rows
carry a rare non-ASCII word, so rare short searches are measured too.

Each database is served as `make run` serves it, with `LIST_CACHE_BYTES=0`, and every query is
requested sequentially on one keep-alive connection, round-robin over the queries (in a new
order each round) so machine load hits them alike; p50 and p99 per query, and p50 / plain
page-1 p50. Each total is checked against a COUNT(*) on the database first. Then: the first
request of common words never searched before (counted through the index, then registered),
and sequential item creations (what the triggers cost a write). Results are appended to
bench/RESULTS.md.
"""

import argparse
import base64
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

from run import BIN, BUILD, RESULTS, ROOT, start, stop  # noqa: E402

PORT = 5831
OWNERS = 20
PASSWORD = "bench-password-1"
ADMIN = {"ADMIN_USERNAME": "admin", "ADMIN_PASSWORD": "bench-admin-password-1"}
WORDS = (
    "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november "
    "oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu café straße"
).split()
# Common words no other query uses: each one's first request is measured once per run.
FRESH_WORDS = [w for w in WORDS if w not in {"alpha", "bravo", "straße", "café"}]
RARE_EVERY = 50_000  # one item in this many is named "Ωmega <n>" (folded "ωmega <n>")
START = datetime(2026, 1, 1, tzinfo=UTC)
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


# --- building the databases ---------------------------------------------------------------------


def flask(env: dict[str, str], *args: str) -> None:
    subprocess.run([BIN / "flask", "--app", "app", *args], cwd=ROOT, env=env, check=True)


def items_sql(dialect: str, rows: int, first_owner: int) -> str:
    """One INSERT ... SELECT of `rows` items, the words and owners spread by integer hashing."""
    words = " UNION ALL ".join(f"SELECT {i}, '{w}'" for i, w in enumerate(WORDS))
    if dialect == "sqlite":
        numbers = (
            "WITH RECURSIVE seq(n) AS "
            f"(SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < {rows - 1}), "
        )
        mix = "(({n} * {k}) % 4294967296)"
        when = "datetime('2026-01-01', '+' || s.n || ' seconds') || '.000000'"
    else:
        numbers = f"WITH seq(n) AS (SELECT generate_series(0, {rows - 1})), "
        mix = "((({n})::bigint * {k}) % 4294967296)"
        when = "timestamptz '2026-01-01 00:00:00+00' + s.n * interval '1 second'"
    pick = mix.format(n="s.n", k=2654435761)
    second = mix.format(n="s.n + 7", k=2246822519)
    name = (
        f"CASE WHEN s.n % {RARE_EVERY} = 7 THEN 'Ωmega ' || s.n ELSE "
        "upper(substr(a.w, 1, 1)) || substr(a.w, 2) || ' ' || b.w || ' ' || s.n END"
    )
    folded = (
        f"CASE WHEN s.n % {RARE_EVERY} = 7 THEN 'ωmega ' || s.n ELSE "
        "replace(a.w, 'ß', 'ss') || ' ' || replace(b.w, 'ß', 'ss') || ' ' || s.n END"
    )
    active = f"{mix.format(n='s.n + 13', k=3266489917)} % 100 < 95"
    owner = f"{first_owner} + {mix.format(n='s.n + 29', k=668265263)} % {OWNERS}"
    return (
        f"{numbers}words(i, w) AS ({words}) "
        "INSERT INTO items (name, name_folded, description, is_active, created_at, updated_at, "
        f"user_id) SELECT {name}, {folded}, 'Demo item number ' || s.n, {active}, {when}, {when}, "
        f"{owner} FROM seq AS s JOIN words AS a ON a.i = {pick} % {len(WORDS)} "
        f"JOIN words AS b ON b.i = ({second} / 64) % {len(WORDS)}"
    )


def bulk_load(url: str, rows: int) -> None:
    """Items by bulk SQL with triggers and secondary indexes off, then both restored."""
    from api.core.security import hash_password

    engine = sa.create_engine(url)
    dialect = engine.dialect.name
    password_hash = hash_password(PASSWORD, rounds=4)
    with engine.begin() as conn:
        users = [
            {"u": f"owner{n}", "e": f"owner{n}@example.com", "h": password_hash}
            for n in range(1, OWNERS + 1)
        ]
        conn.execute(
            sa.text(
                "INSERT INTO users (username, email, password_hash, is_admin, is_active, "
                "token_version, created_at) VALUES (:u, :e, :h, false, true, 0, :t)"
            ),
            [
                {**user, "t": START if dialect != "sqlite" else "2026-01-01 00:00:00.000000"}
                for user in users
            ],
        )
        first = conn.execute(sa.text("SELECT min(id) FROM users WHERE username LIKE 'owner%'"))
        first_owner = first.scalar_one()
        if dialect == "sqlite":
            indexes = conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'items' "
                "AND sql IS NOT NULL"
            ).all()
            triggers = conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'items'"
            ).all()
            for name, _ in indexes:
                conn.exec_driver_sql(f"DROP INDEX {name}")
            for name, _ in triggers:
                conn.exec_driver_sql(f"DROP TRIGGER {name}")
        else:
            indexes = conn.exec_driver_sql(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'items' "
                "AND indexname <> 'pk_items'"
            ).all()
            triggers = []
            for name, _ in indexes:
                conn.exec_driver_sql(f"DROP INDEX {name}")
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")  # no triggers
        started = time.monotonic()
        insert = items_sql(dialect, rows, first_owner)
        conn.exec_driver_sql(insert if dialect == "sqlite" else insert.replace("%", "%%"))
        for _, sql in [*indexes, *triggers]:
            conn.exec_driver_sql(sql)
        conn.exec_driver_sql(
            "UPDATE item_counts SET count = "
            "(SELECT count(*) FROM items WHERE items.is_active = item_counts.is_active)"
        )
        print(f"  {rows:,} items loaded in {time.monotonic() - started:.0f} s", flush=True)
    engine.dispose()


def build(label: str, rows: int) -> dict[str, str]:
    """The environment serving a built database (built on first use, then reused)."""
    data_dir = BUILD / f"million-{label}-{rows}"
    env = {**os.environ, "DATA_DIR": str(data_dir), "LOG_LEVEL": "warning", **ADMIN}
    if label == "postgresql":
        name = f"bench_million_{rows}"
        env["DATABASE_URL"] = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    marker = data_dir / ".built"
    if marker.exists():
        return env
    print(f"Building {rows:,} items on {label} in {data_dir} ...", flush=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    if label == "postgresql":
        admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
        admin.dispose()
        url = env["DATABASE_URL"]
    else:
        (data_dir / "app.db").unlink(missing_ok=True)
        url = f"sqlite:///{data_dir / 'app.db'}"
    flask(env, "db", "upgrade", "0011")
    bulk_load(url, rows)
    started = time.monotonic()
    flask(env, "init-db")  # the rest of the migrations, then the admin
    print(f"  migrated to head in {time.monotonic() - started:.0f} s", flush=True)
    if label == "postgresql":
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
        engine.dispose()
    marker.touch()
    return env


# --- measuring ----------------------------------------------------------------------------------


class Client:
    def __init__(self) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)

    def get(self, path: str, token: str | None = None) -> tuple[float, dict[str, Any]]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        started = time.perf_counter()
        self.conn.request("GET", path, headers=headers)
        response = self.conn.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status != 200:
            raise RuntimeError(f"{path}: {response.status} {body[:300]!r}")
        return elapsed, json.loads(body)

    def post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps(payload)
        self.conn.request("POST", path, body, {"Content-Type": "application/json"})
        response = self.conn.getresponse()
        return json.loads(response.read())


def cursor_after(client: Client, rows: int) -> str:
    """A keyset cursor `rows` items deep in the default order."""
    _, page = client.get(f"/api/items?per_page=1&page={rows}")
    item = page["items"][0]
    raw = json.dumps(["-created_at", item["created_at"], item["id"]]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def login(client: Client, username: str, password: str) -> str:
    return client.post("/api/auth/login", {"username": username, "password": password})["token"]


def biggest_owner(url: str) -> tuple[int, str]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        owner = conn.execute(
            sa.text(
                "SELECT users.id, users.username FROM users JOIN items ON items.user_id = users.id "
                "GROUP BY users.id, users.username ORDER BY count(*) DESC LIMIT 1"
            )
        ).one()
    engine.dispose()
    return owner.id, owner.username


LISTS = {None: "/api/items", "owner": "/api/me/items", "admin": "/api/admin/items"}


def queries(client: Client, url: str) -> list[tuple[str, str, str | None, dict[str, Any]]]:
    """(label, path, token, the filters the total must satisfy) for every list query offered."""
    owner, owner_name = biggest_owner(url)
    tokens = {
        None: None,
        "owner": login(client, owner_name, PASSWORD),
        "admin": login(client, ADMIN["ADMIN_USERNAME"], ADMIN["ADMIN_PASSWORD"]),
    }
    since = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    plan: list[tuple[str, str | None, dict[str, Any]]] = [
        ("plain page 1", None, {}),
        *((f"sort={s}", None, {"sort": s}) for s in ("name", "-name", "created_at")),
        *((f"sort={s}", None, {"sort": s}) for s in ("updated_at", "-updated_at")),
        ("cursor after 3,000", None, {"after": cursor_after(client, 3000)}),
        ("page 50 (offset)", None, {"page": 50}),
        ("updated_since (last day)", None, {"updated_since": since}),
        ("q=a (1 char, common)", None, {"q": "a"}),
        ("q=Ω (1 char, rare)", None, {"q": "Ω"}),
        ("q=ha (2 chars)", None, {"q": "ha"}),
        ("q=ωM (2 chars, rare)", None, {"q": "ωM"}),
        ("q=LPH (3 chars)", None, {"q": "LPH"}),
        ("q=alpha (5 chars, 7 %)", None, {"q": "alpha"}),
        ("q=STRASSE (folded, 7 %)", None, {"q": "STRASSE"}),
        ("q=bravo 1 (0.4 %)", None, {"q": "bravo 1"}),
        ("q=12345 (rare)", None, {"q": "12345"}),
        ("q=ΩMEGA (rare, folded)", None, {"q": "ΩMEGA"}),
        ("q=zzzz (no match)", None, {"q": "zzzz"}),
        ("q=alpha&sort=name", None, {"q": "alpha", "sort": "name"}),
        ("owner_id (biggest owner)", None, {"owner_id": owner}),
        ("owner_id&q=alpha", None, {"owner_id": owner, "q": "alpha"}),
        ("owner_id&q=ΩMEGA", None, {"owner_id": owner, "q": "ΩMEGA"}),
        ("me/items (biggest owner)", "owner", {}),
        ("me/items include_inactive=false", "owner", {"include_inactive": "false"}),
        ("me/items sort=name", "owner", {"sort": "name"}),
        ("me/items q=e", "owner", {"q": "e"}),
        ("me/items q=alpha", "owner", {"q": "alpha"}),
        ("admin/items", "admin", {}),
        ("admin/items is_active=false", "admin", {"is_active": "false"}),
        ("admin/items is_active=true", "admin", {"is_active": "true"}),
        ("admin/items owner_id", "admin", {"owner_id": owner}),
        (
            "admin/items is_active=false&owner_id",
            "admin",
            {"is_active": "false", "owner_id": owner},
        ),
        ("admin/items q=alpha", "admin", {"q": "alpha"}),
        ("admin/items is_active=false&q=al", "admin", {"is_active": "false", "q": "al"}),
        ("admin/items sort=-name", "admin", {"sort": "-name"}),
    ]
    return [
        (
            label,
            f"{LISTS[who]}?{urlencode({'per_page': 20, **params})}",
            tokens[who],
            expected_filters(who, params, owner),
        )
        for label, who, params in plan
    ]


def expected_filters(who: str | None, params: dict[str, Any], owner: int) -> dict[str, Any]:
    """What the list's total counts: its implied scope plus the given filters."""
    check: dict[str, Any] = {}
    if who is None or params.get("include_inactive") == "false":
        check["is_active"] = True
    if "is_active" in params:
        check["is_active"] = params["is_active"] == "true"
    if who == "owner":
        check["owner_id"] = owner
    for key in ("owner_id", "updated_since"):
        if key in params:
            check[key] = params[key]
    if "q" in params:
        check["q"] = params["q"].casefold()
    return check


def exact_total(url: str, check: dict[str, Any]) -> int:
    """The total by COUNT(*), the slow way, straight from the database."""
    postgres = url.startswith("postgresql")
    conditions, values = [], {}
    if "is_active" in check:
        conditions.append("is_active = :active")
        values["active"] = check["is_active"]
    if "owner_id" in check:
        conditions.append("user_id = :owner")
        values["owner"] = check["owner_id"]
    if "q" in check:
        conditions.append(f"{'strpos' if postgres else 'instr'}(name_folded, :q) > 0")
        values["q"] = check["q"]
    if "updated_since" in check:
        conditions.append("updated_at >= :since")
        since = datetime.fromisoformat(check["updated_since"].replace("Z", "+00:00"))
        values["since"] = since if postgres else since.strftime("%Y-%m-%d %H:%M:%S")
    where = " AND ".join(conditions) or "1 = 1"
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        query = sa.text(f"SELECT count(*) FROM items WHERE {where}")
        total = conn.execute(query, values).scalar_one()
    engine.dispose()
    return total


def forget_counted_terms(url: str) -> None:
    """Unregister the longer terms an earlier run searched for, so first requests are first."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "DELETE FROM item_gram_counts WHERE gram IN (SELECT term FROM item_counted_terms)"
        )
        conn.exec_driver_sql("DELETE FROM item_counted_terms")
    engine.dispose()


def creates(client: Client, plan: list[tuple[str, str, str | None, dict[str, Any]]]) -> list[float]:
    """Sequential item creations by the biggest owner: what the triggers cost a write."""
    token = next(token for label, _, token, _ in plan if label.startswith("me/items"))
    times = []
    for n in range(50):
        body = json.dumps({"name": f"Bench item {n}", "description": "created by bench"})
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        started = time.perf_counter()
        client.conn.request("POST", "/api/items", body, headers)
        response = client.conn.getresponse()
        response.read()
        times.append((time.perf_counter() - started) * 1000)
        if response.status != 201:
            raise RuntimeError(f"POST /api/items: {response.status}")
    return times


def measure(env: dict[str, str], rounds: int, per_round: int) -> list[dict[str, Any]]:
    env = {
        **env,
        "FLASK_RUN_PORT": str(PORT),
        "LIST_CACHE_BYTES": "0",
        "RATELIMIT_ENABLED": "false",
    }
    url = env.get("DATABASE_URL") or f"sqlite:///{Path(env['DATA_DIR']) / 'app.db'}"
    command = [str(BIN / "gunicorn"), "--config", "gunicorn.conf.py", "app:app"]
    server = start(command, env, PORT, Path(env["DATA_DIR"]) / "gunicorn.log")
    try:
        forget_counted_terms(url)
        client = Client()
        plan = queries(client, url)
        for label, path, token, check in plan:  # warm up, and totals exactly right
            _, body = client.get(path, token)
            expected = exact_total(url, check)
            if body["total"] != expected:
                raise RuntimeError(f"{label}: total {body['total']}, COUNT(*) says {expected}")
        print(f"  {len(plan)} totals equal COUNT(*)", flush=True)
        samples: dict[str, list[float]] = {label: [] for label, *_ in plan}
        for round_number in range(rounds):
            order = list(plan)
            random.Random(round_number).shuffle(order)  # no query always first after a pause
            for label, path, token, _ in order:
                samples[label] += [client.get(path, token)[0] for _ in range(per_round)]
        # A common longer q the first time: counted through the index, then registered.
        first = "q=<a word> (7 %), its first request"
        samples[first] = [client.get(f"/api/items?q={word}")[0] for word in FRESH_WORDS]
        samples["POST /api/items"] = creates(client, plan)
    finally:
        stop(server)
    plain = statistics.median(samples["plain page 1"])
    results = []
    for label, times in samples.items():
        p50, p99 = statistics.median(times), statistics.quantiles(times, n=100)[98]
        results.append({"query": label, "p50": p50, "p99": p99, "ratio": p50 / plain})
        print(f"  {label:<40} p50 {p50:7.2f} ms  p99 {p99:7.2f} ms  x{p50 / plain:.2f}", flush=True)
    return results


def record(args: argparse.Namespace, results: dict[str, list[dict[str, Any]]]) -> None:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    engines = list(results)
    header = " | ".join(f"{e} p50 ms | {e} p99 ms | {e} x page 1" for e in engines)
    lines = [
        f"\n## {stamp} — every list query at {args.rows:,} rows, cache off (bench/million.py)\n",
        f"{args.rows:,} items over {OWNERS} owners; sequential keep-alive requests, "
        f"{args.rounds} rounds x {args.per_round} per query, round-robin in shuffled order; "
        f"`LIST_CACHE_BYTES=0`, limits off. Target: p50 <= 2x plain page 1, p99 <= 50 ms. "
        f"{args.note}\n",
        f"| query | {header} |",
        "|---" * (1 + 3 * len(engines)) + "|",
    ]
    for i, row in enumerate(results[engines[0]]):
        cells = " | ".join(
            "{p50:.2f} | {p99:.2f} | {ratio:.2f}".format(**results[e][i]) for e in engines
        )
        lines.append(f"| {row['query']} | {cells} |")
    with RESULTS.open("a") as out:
        out.write("\n".join(lines) + "\n")
    print(f"Appended to {RESULTS.relative_to(ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--per-round", type=int, default=20, help="requests per query per round")
    parser.add_argument("--note", default="")
    parser.add_argument("--no-record", action="store_true", help="print only")
    args = parser.parse_args()
    BUILD.mkdir(parents=True, exist_ok=True)
    results = {}
    for engine in args.engines.split(","):
        env = build(engine, args.rows)
        print(f"{engine}: {args.rows:,} items", flush=True)
        results[engine] = measure(env, args.rounds, args.per_round)
    if not args.no_record:
        record(args, results)


if __name__ == "__main__":
    main()
