"""Totals stay exact under concurrent writes, against the real server (several gunicorn
workers and threads) on SQLite and PostgreSQL: writers create, rename, delete and restore
items while readers search, some searches registering frequent terms (a longer `q` matching
1,000+ items) at the same time; afterwards every total equals a COUNT(*), and every kept count
equals a recount of the items.
"""

import random
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from tests.helpers import recount_on
from tests.live import ADMIN_PASSWORD, LiveServer, login_token, new_account, running_server
from tests.loadclient import Connection
from tests.services import throwaway_database

pytestmark = pytest.mark.slow

WRITERS, READERS, WRITES = 8, 3, 250  # about 1,400 names with "alpha": past 1,000 meanwhile
WORDS = ("alpha", "Alpha", "ALPHA beta", "straße", "STRASSE", "café", "Ωmega", "delta")
QUERIES = ("alpha", "a", "al", "alp", "strasse", "ß", "ω", "alpha b", "delta", "zzzz")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LiveServer, str]]:
    data_dir = tmp_path_factory.mktemp(f"search-{request.param}")
    env = {"RATELIMIT_ENABLED": "false"}  # a race test, not a limits test
    if request.param == "sqlite":
        with running_server(data_dir, workers=4, threads=4, **env) as live:
            yield live, f"sqlite:///{data_dir / 'app.db'}"
        return
    with throwaway_database("search") as url:
        with running_server(data_dir, workers=4, threads=4, DATABASE_URL=url, **env) as live:
            yield live, url


def test_totals_stay_exact_under_concurrent_writes_and_searches(server) -> None:
    live, url = server
    users = [new_account(live) for _ in range(WRITERS)]
    admin = login_token(live, "admin", ADMIN_PASSWORD)
    failures: list[str] = []
    done = threading.Event()

    def write(number: int) -> None:
        rng = random.Random(number)
        conn = Connection(live.url, users[number]["token"])
        mine: list[int] = []
        try:
            for index in range(WRITES):
                roll = rng.random()
                if mine and roll < 0.15:
                    path, body = f"/api/items/{rng.choice(mine)}", {"name": name(rng, index)}
                    status, _ = conn.request("PATCH", path, body)
                elif mine and roll < 0.25:
                    status, _ = conn.request("DELETE", f"/api/items/{mine.pop()}")
                elif mine and roll < 0.3:  # deleted by an admin: read-only for its owner
                    item = mine.pop(rng.randrange(len(mine)))
                    status, _ = conn.request("POST", f"/api/admin/items/{item}/toggle", token=admin)
                else:
                    status, data = conn.request("POST", "/api/items", {"name": name(rng, index)})
                    if status == 201:
                        mine.append(data["id"])
                if status not in (200, 201, 204):
                    failures.append(f"write -> {status}")
        finally:
            conn.close()

    def search(number: int) -> None:
        conn = Connection(live.url, admin)
        try:
            while not done.is_set():
                for q in QUERIES:
                    for path in ("/api/items", "/api/admin/items"):
                        status, _ = conn.request("GET", f"{path}?q={quote(q)}&per_page=5")
                        if status != 200:
                            failures.append(f"search {path} {q!r} -> {status}")
        finally:
            conn.close()

    with ThreadPoolExecutor(WRITERS + READERS) as pool:
        readers = [pool.submit(search, n) for n in range(READERS)]
        writers = [pool.submit(write, n) for n in range(WRITERS)]
        for future in writers:
            future.result()
        done.set()
        for future in readers:
            future.result()
    assert failures == [], (failures, live.log()[-5000:])  # the server's view of a failure
    check_totals(live, url, users, admin)
    assert "Traceback" not in live.log()


def name(rng: random.Random, index: int) -> str:
    return f"{rng.choice(WORDS)} alpha {rng.choice(WORDS)} {index}"


def check_totals(live: LiveServer, url: str, users: list[dict[str, Any]], admin: str) -> None:
    engine = sa.create_engine(url)
    substring = "strpos" if url.startswith("postgresql") else "instr"
    conn = Connection(live.url, admin)
    try:
        with engine.connect() as db:
            for q in QUERIES:
                folded = q.casefold()
                for path, where in (
                    ("/api/items", "is_active = true"),
                    ("/api/admin/items", "1 = 1"),
                    ("/api/admin/items?is_active=false", "is_active = false"),
                ):
                    matching = f"{substring}(name_folded, :q) > 0"
                    sql = f"SELECT count(*) FROM items WHERE {where} AND {matching}"
                    want = db.execute(sa.text(sql), {"q": folded}).scalar_one()
                    sep = "&" if "?" in path else "?"
                    status, body = conn.request("GET", f"{path}{sep}q={quote(q)}&per_page=1")
                    assert (status, body["total"]) == (200, want), (path, q)
            for user in users:
                owner = user["id"]
                want = db.execute(
                    sa.text("SELECT count(*) FROM items WHERE user_id = :o"), {"o": owner}
                ).scalar_one()
                status, body = conn.request("GET", "/api/me/items?per_page=1", token=user["token"])
                assert (status, body["total"]) == (200, want)
            terms = db.execute(sa.text("SELECT term FROM item_counted_terms")).scalars().all()
            assert "alpha" in terms  # registered while the writers were writing
            kept, recounted = recount_on(db)
            assert kept == recounted
    finally:
        conn.close()
        engine.dispose()
