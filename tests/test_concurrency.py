"""Concurrency against the real server: gunicorn, several workers and threads, on one SQLite
file and on PostgreSQL behind a real PgBouncer in transaction pooling mode.

Thousands of concurrent writes must all be acknowledged and stored exactly once, readers must
not disturb them, and racing registrations must never create two accounts for one name or email.
Run with `-s` to see the figures.
"""

import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.factories import random_name
from tests.live import ADMIN_PASSWORD, LiveServer, login_token, new_account, running_server
from tests.loadclient import Connection, report
from tests.pooler import pgbouncer, through
from tests.services import throwaway_database

pytestmark = pytest.mark.slow

WORKERS, THREADS = 4, 8
CLIENTS = 32
USERS = 8
CREATES_PER_CLIENT = 63  # 32 x 63 = 2016 creations
READERS = 4
RACERS = 20


@pytest.fixture(scope="module", params=["sqlite", "pgbouncer"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp(f"concurrency-{request.param}")
    if request.param == "sqlite":
        with running_server(data_dir, workers=WORKERS, threads=THREADS) as live:
            yield live
        return
    with throwaway_database("concurrency") as url, pgbouncer() as port:
        env = {"DATABASE_URL": through(url, port), "DATABASE_POOLER": "pgbouncer"}
        with running_server(data_dir, workers=WORKERS, threads=THREADS, **env) as live:
            yield live


def assert_clean_log(server: LiveServer) -> None:
    log = server.log()
    assert "database is locked" not in log.lower()
    assert "Traceback" not in log
    assert "Unhandled error" not in log


def test_concurrent_item_creation_is_exact(server: LiveServer) -> None:
    users = [new_account(server, username=random_name("load")) for _ in range(USERS)]
    created: Counter[int] = Counter()  # user id -> acknowledged creations
    statuses: Counter[int] = Counter()
    read_statuses: Counter[int] = Counter()
    failures: list[str] = []
    lock = threading.Lock()
    writers_done = threading.Event()
    start = threading.Barrier(CLIENTS + READERS + 1)

    def write(number: int) -> None:
        account = users[number % USERS]
        conn = Connection(server.url, account["token"])
        start.wait()
        try:
            for index in range(CREATES_PER_CLIENT):
                body = {"name": f"c{number}-{index}", "description": "load"}
                status, data = conn.request("POST", "/api/items", body)
                with lock:
                    statuses[status] += 1
                    if status == 201 and data["user_id"] == account["id"]:
                        created[account["id"]] += 1
                    else:
                        failures.append(f"create -> {status}: {str(data)[:200]}")
        finally:
            conn.close()

    def read() -> None:
        conn = Connection(server.url)
        start.wait()
        try:
            while not writers_done.is_set():
                status, data = conn.request("GET", "/api/items?per_page=20")
                with lock:
                    read_statuses[status] += 1
                    if status != 200 or len(data["items"]) > 20:
                        failures.append(f"list -> {status}: {str(data)[:200]}")
        finally:
            conn.close()

    with ThreadPoolExecutor(CLIENTS + READERS) as pool:
        readers = [pool.submit(read) for _ in range(READERS)]
        writers = [pool.submit(write, number) for number in range(CLIENTS)]
        start.wait()
        began = time.perf_counter()
        for future in writers:
            future.result()
        elapsed = time.perf_counter() - began
        writers_done.set()
        for future in readers:
            future.result()

    creates = CLIENTS * CREATES_PER_CLIENT
    reads = sum(read_statuses.values())
    report(
        f"\nconcurrency: {creates} creates from {CLIENTS} keep-alive clients + {reads} reads "
        f"from {READERS} readers in {elapsed:.2f} s -> {creates / elapsed:.0f} creates/s, "
        f"{(creates + reads) / elapsed:.0f} req/s (gunicorn {WORKERS} workers x {THREADS} "
        f"threads, SQLite file); statuses {dict(statuses)}, reads {dict(read_statuses)}"
    )
    assert failures == []
    assert statuses == {201: creates}
    assert set(read_statuses) == {200} and reads > 0

    # the stored counts are exact: per user and overall
    admin_token = login_token(server, "admin", ADMIN_PASSWORD)
    conn = Connection(server.url)
    try:
        for account in users:
            status, data = conn.request("GET", "/api/me/items?per_page=1", token=account["token"])
            assert status == 200
            assert data["total"] == created[account["id"]]
        status, stats = conn.request("GET", "/api/admin/stats", token=admin_token)
        assert status == 200
        assert stats["total"] == stats["active"] == creates
        status, data = conn.request("GET", "/api/items?per_page=1")
        assert data["total"] == creates
    finally:
        conn.close()
    assert sum(created.values()) == creates
    assert_clean_log(server)


def _race(server: LiveServer, bodies: list[dict[str, Any]]) -> Counter[int]:
    """Send every registration at the same instant, one connection each."""
    gate = threading.Barrier(len(bodies))

    def attempt(body: dict[str, Any]) -> int:
        conn = Connection(server.url)
        try:
            conn.request("GET", "/api/health")  # connect before the gate
            gate.wait()
            status, data = conn.request("POST", "/api/auth/register", body)
        finally:
            conn.close()
        assert status in (201, 409), (status, data)
        if status == 409:
            assert data["error"]
        return status

    with ThreadPoolExecutor(len(bodies)) as pool:
        return Counter(pool.map(attempt, bodies))


def _count_users(server: LiveServer, query: str) -> int:
    token = login_token(server, "admin", ADMIN_PASSWORD)
    conn = Connection(server.url, token)
    try:
        status, data = conn.request("GET", f"/api/admin/users?per_page=100&q={query}")
    finally:
        conn.close()
    assert status == 200
    return data["total"]


def test_same_username_registered_concurrently_exists_once(server: LiveServer) -> None:
    name = random_name("race")
    bodies = [
        {"username": name, "email": f"{name}-{n}@example.com", "password": "race-password"}
        for n in range(RACERS)
    ]
    began = time.perf_counter()
    outcome = _race(server, bodies)
    report(
        f"\nrace same username: {RACERS} at once -> {dict(outcome)} "
        f"in {time.perf_counter() - began:.2f} s"
    )
    assert outcome == {201: 1, 409: RACERS - 1}
    assert _count_users(server, name) == 1
    assert_clean_log(server)


def test_same_username_differing_in_case_exists_once(server: LiveServer) -> None:
    name = random_name("case")
    variants = [
        "".join(c.upper() if (n >> i) & 1 else c for i, c in enumerate(name)) for n in range(RACERS)
    ]
    bodies = [
        {"username": v, "email": f"{name}-{n}@example.com", "password": "race-password"}
        for n, v in enumerate(variants)
    ]
    outcome = _race(server, bodies)
    report(f"\nrace username case variants: {RACERS} at once -> {dict(outcome)}")
    assert outcome == {201: 1, 409: RACERS - 1}
    assert _count_users(server, name) == 1


def test_same_email_registered_concurrently_exists_once(server: LiveServer) -> None:
    email = f"{random_name('shared')}@example.com"
    bodies = [
        {"username": random_name("mail"), "email": email, "password": "race-password"}
        for _ in range(RACERS)
    ]
    outcome = _race(server, bodies)
    report(f"\nrace same email: {RACERS} at once -> {dict(outcome)}")
    assert outcome == {201: 1, 409: RACERS - 1}
    assert _count_users(server, email) == 1
    assert_clean_log(server)
