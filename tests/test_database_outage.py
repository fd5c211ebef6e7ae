"""When the database is down (issue 19): every route answers a JSON 503 with `Retry-After` within
a few seconds, `/api/health` names the dependency that is down, the pool recovers by itself when
the database is back, and no acknowledged write is lost."""

import itertools
import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.exc import OperationalError

from api import create_app
from api.core.db_watchdog import unwatched
from models import db
from tests.contract import ContractClient
from tests.helpers import ADMIN, build_test_config, login
from tests.live import (
    ADMIN_PASSWORD,
    LiveServer,
    call,
    free_port,
    login_token,
    running_server,
    start_server,
)
from tests.private_postgres import PrivatePostgres, private_postgres
from tests.spec import SPEC, operations

# Well inside gunicorn's 30 s timeout; a stopped server refuses at once.
ANSWER_WITHIN_SECONDS = 5


def assert_unavailable(status: int, headers: Any, body: dict[str, Any], where: str) -> None:
    assert status == 503, (where, status, body)
    assert int(headers["Retry-After"]) > 0, where
    if "/api/health" in where:
        assert (body["status"], body["database"]) == ("unhealthy", "unreachable"), body
    else:
        assert "database" in body["error"], (where, body)


# --- with no database at all (test client, fast) -------------------------------------------------


@pytest.fixture
def app_without_database(tmp_path: Path) -> Flask:
    """The app pointed at a PostgreSQL port nobody listens on."""
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/gone"
    app = create_app(build_test_config(tmp_path, SQLALCHEMY_DATABASE_URI=url))
    app.test_client_class = ContractClient  # every answer is checked against openapi.json
    return app


def example_body(op: dict[str, Any]) -> dict[str, Any] | None:
    content = op.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return None
    ref = content["application/json"]["schema"]["$ref"]
    schema = SPEC["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return {name: prop.get("example", "x" * 10) for name, prop in schema["properties"].items()}


def every_operation() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, method, op in operations():
        yield method, re.sub(r"\{[a-z_]+\}", "1", path), op


def test_every_operation_answers_503_when_the_database_is_down(
    app_without_database: Flask,
) -> None:
    """Authenticated or not, reading or writing: a JSON 503 with `Retry-After`, never a 500."""
    client = app_without_database.test_client()
    token = "Bearer " + "x" * 20  # never checked: the database is needed first, or it is a 401
    count = 0
    for method, path, op in every_operation():
        path = path.replace("{filename}", "a.png")
        body = example_body(op)
        if op["operationId"] in ("register", "login"):
            body = {"username": "alice", "email": "alice@example.com", "password": "long enough 1"}
        payload: dict[str, Any] = {"json": body}
        if op["operationId"] == "oauthToken":  # form-encoded (RFC 6749)
            payload = {"data": {"grant_type": "password", "username": "alice", "password": "pw"}}
        for headers in ({}, {"Authorization": token}):
            started = time.monotonic()
            response = client.open(path, method=method.upper(), headers=headers, **payload)
            elapsed = time.monotonic() - started
            if response.status_code == 401 and "Authorization" in headers:
                continue  # a malformed token is refused without the database
            if response.status_code == 401 and op.get("security") != []:
                continue  # no token: refused before anything is read
            if response.status_code == 401 and op["operationId"] == "refreshToken":
                continue  # the refresh token in its body is malformed: refused before reading
            where = f"{method.upper()} {path} {sorted(headers)}"
            assert_unavailable(response.status_code, response.headers, response.get_json(), where)
            assert elapsed < ANSWER_WITHIN_SECONDS, (where, elapsed)
            count += 1
    assert count >= 5


def test_authenticated_requests_answer_503_not_401(
    app_without_database: Flask, app_factory: Any
) -> None:
    """A valid token cannot be checked against revocations while the database is down: 503.
    (The token comes from an instance with the same key whose database is up.)"""
    token = login(app_factory().test_client(), ADMIN["username"], ADMIN["password"]).token
    client = app_without_database.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    for path in ("/api/auth/me", "/api/me/items", "/api/admin/stats"):
        response = client.get(path, headers=headers)
        assert_unavailable(response.status_code, response.headers, response.get_json(), path)
    response = client.post("/api/items", json={"name": "lost?"}, headers=headers)
    assert_unavailable(response.status_code, response.headers, response.get_json(), "create")


def test_health_names_the_database(app_without_database: Flask) -> None:
    response = app_without_database.test_client().get("/api/health")
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    body = response.get_json()
    assert (body["status"], body["database"]) == ("unhealthy", "unreachable")
    assert "redis" not in body  # not configured


def test_health_names_redis_when_configured_and_down_but_stays_200(app_factory: Any) -> None:
    """The API keeps serving without Redis: a 503 would make load balancers drop every instance."""
    app = app_factory(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    response = app.test_client().get("/api/health")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["status"], body["database"], body["redis"]) == ("degraded", "ok", "unreachable")


def test_probes_during_a_redis_hang_share_one_ping(app_factory: Any) -> None:
    """A Redis that accepts and never answers: each probe opened its own client and waited its
    2 s, so eight probes a second held every thread. Probes now share one ping at a time."""
    import socket

    hung = socket.create_server(("127.0.0.1", 0))  # never accepts: connections wait unanswered
    app = app_factory(REDIS_URL=f"redis://127.0.0.1:{hung.getsockname()[1]}/0")
    try:
        started = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            bodies = list(
                pool.map(lambda _: app.test_client().get("/api/health").get_json(), range(8))
            )
        assert time.monotonic() - started < 6
        assert all(body["redis"] == "unreachable" for body in bodies), bodies
        backlog = hung.accept()  # one connection was made; no second one is waiting
        hung.settimeout(0.5)
        with pytest.raises(TimeoutError):
            hung.accept()
        backlog[0].close()
    finally:
        hung.close()


def test_health_reports_redis_ok_when_it_answers(app_factory: Any) -> None:
    from tests.services import REDIS_HOST, REDIS_PORT, ensure_redis

    ensure_redis()
    app = app_factory(REDIS_URL=f"redis://{REDIS_HOST}:{REDIS_PORT}/0")
    response = app.test_client().get("/api/health")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["redis"] == "ok"


def test_database_waits_are_bounded_well_inside_gunicorns_timeout() -> None:
    """Connecting, waiting for a pooled connection and running a statement are all bounded, so
    a request answers (503 at worst) before gunicorn's 30 s worker timeout kills it."""
    from api.core.config import engine_options, load_config

    config = {**load_config(), "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u@db/app"}
    options = engine_options(config)
    assert options["connect_args"]["connect_timeout"] <= 5
    assert options["pool_timeout"] <= 10
    assert options["connect_args"]["options"] == "-c statement_timeout=20000"
    assert options["pool_pre_ping"] is True
    none = engine_options({**config, "DB_STATEMENT_TIMEOUT_MS": 0})
    assert "options" not in none["connect_args"]


# --- a real PostgreSQL stopped and restarted under gunicorn (slow) -------------------------------


class Writer(threading.Thread):
    """Creates items without pause through the outage; remembers every acknowledged one."""

    def __init__(self, base: str, token: str) -> None:
        super().__init__(daemon=True)
        self.base, self.token = base, token
        self.acknowledged: dict[int, str] = {}
        self.refused = 0
        self.statuses: set[int] = set()
        self.stop = threading.Event()

    def run(self) -> None:
        number = 1
        while not self.stop.is_set():
            name = f"write-{number}"
            reply = call(
                self.base, "POST", "/api/items", {"name": name}, token=self.token,
                headers={"Idempotency-Key": f"outage-{number}"},
            )  # fmt: skip
            self.statuses.add(reply.status)
            if reply.status == 201:
                self.acknowledged[reply.body["id"]] = name
                number += 1
            else:  # retried with the same key, as README says a 503 may be
                self.refused += 1
                time.sleep(0.05)


@pytest.mark.slow
def test_postgres_outage_answers_503_recovers_and_loses_no_acknowledged_write(
    tmp_path: Path,
) -> None:
    with (
        private_postgres() as postgres,
        running_server(
            tmp_path / "server", DATABASE_URL=postgres.url, workers=2, threads=4
        ) as server,
    ):
        base = server.url
        token = login_token(base, "admin", ADMIN_PASSWORD)
        writer = Writer(base, token)
        writer.start()
        time.sleep(1.0)

        postgres.stop()
        time.sleep(0.5)
        checks = [
            ("GET", "/api/items", None),
            ("GET", "/api/items/1", None),
            ("GET", "/api/auth/me", None),
            ("GET", "/api/me/items", None),
            ("POST", "/api/items", {"name": "during the outage"}),
            ("PATCH", "/api/items/1", {"name": "renamed"}),
            ("DELETE", "/api/items/1", None),
            ("GET", "/api/admin/stats", None),
            ("POST", "/api/auth/login", {"username": "admin", "password": ADMIN_PASSWORD}),
            ("POST", "/api/auth/register", {"username": "newbie", "email": "n@example.com",
                                            "password": "long enough 1"}),
        ]  # fmt: skip
        for _ in range(3):  # every worker and thread, not just the first connection
            for method, path, body in checks:
                reply = call(base, method, path, body, token=token)
                assert_unavailable(reply.status, reply.headers, reply.body, f"{method} {path}")
                assert reply.seconds < ANSWER_WITHIN_SECONDS, (method, path, reply.seconds)
        health = call(base, "GET", "/api/health")
        assert (health.status, health.body["database"], health.body["status"]) == (
            503, "unreachable", "unhealthy",
        )  # fmt: skip
        assert int(health.headers["Retry-After"]) > 0 and health.seconds < ANSWER_WITHIN_SECONDS
        acknowledged_before_restart = len(writer.acknowledged)

        postgres.start()
        deadline = time.monotonic() + 10
        while call(base, "GET", "/api/health").status != 200:
            assert time.monotonic() < deadline, "the service did not recover within 10 s"
            time.sleep(0.2)
        recovered = time.monotonic()
        while len(writer.acknowledged) < acknowledged_before_restart + 20:
            assert time.monotonic() - recovered < 20, "writes did not resume"
            time.sleep(0.1)
        writer.stop.set()
        writer.join(timeout=60)

        assert writer.refused > 0, "the writer never saw the outage"
        assert writer.statuses <= {201, 503}, writer.statuses  # never a 500
        for item_id, name in writer.acknowledged.items():
            reply = call(base, "GET", f"/api/items/{item_id}", token=token)
            assert (reply.status, reply.body["name"]) == (200, name), (item_id, reply.status)
        # Each create, retried with its key through the outage, exists once.
        names: list[str] = []
        for page in itertools.count(1):
            found = call(base, "GET", f"/api/items?q=write-&per_page=100&page={page}", token=token)
            names += [item["name"] for item in found.body["items"]]
            if not found.body["items"]:
                break
        assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
        assert server.process.poll() is None
        assert "WORKER TIMEOUT" not in server.log()


@contextmanager
def on_private_postgres(
    tmp_path: Path, *, statement_timeout_ms: int
) -> Iterator[tuple[PrivatePostgres, LiveServer]]:
    """A server (1 worker x 4 threads) on a PostgreSQL of its own, which a test may freeze."""
    with (
        private_postgres() as postgres,
        running_server(
            tmp_path / "server", DATABASE_URL=postgres.url,
            DB_STATEMENT_TIMEOUT_MS=str(statement_timeout_ms), workers=1, threads=4,
        ) as server,
    ):  # fmt: skip
        yield postgres, server


@pytest.mark.slow
def test_a_frozen_postgres_is_a_503_within_the_call_limit_not_a_hang(tmp_path: Path) -> None:
    """A server that keeps its connections open and answers nothing (SIGSTOP): every request
    answers 503 once its call outlives the limit (statement timeout + 5 s: 6 s here), the
    workers survive, and the service recovers by itself when the server does."""
    with on_private_postgres(tmp_path, statement_timeout_ms=1000) as (postgres, server):
        base = server.url
        token = login_token(base, "admin", ADMIN_PASSWORD)
        assert call(base, "GET", "/api/me/items", token=token).status == 200
        postgres.freeze()
        try:
            paths = ["/api/items", "/api/me/items", "/api/auth/me", "/api/health"]
            with ThreadPoolExecutor(len(paths)) as pool:
                replies = list(pool.map(lambda p: call(base, "GET", p, token=token), paths))
        finally:
            postgres.thaw()
        for path, reply in zip(paths, replies, strict=True):
            assert reply.status == 503 and reply.seconds < 15, (path, reply.status, reply.seconds)
            assert int(reply.headers["Retry-After"]) > 0, path
        deadline = time.monotonic() + 10
        while call(base, "GET", "/api/me/items", token=token).status != 200:
            assert time.monotonic() < deadline, "the service did not recover within 10 s"
            time.sleep(0.2)
        assert "its connection was cut" in server.log()
        assert "WORKER TIMEOUT" not in server.log()


@pytest.mark.slow
def test_health_answers_within_seconds_while_postgres_is_frozen(tmp_path: Path) -> None:
    """A load balancer's probes during a freeze: each answers 503 within DATABASE_WAIT_SECONDS
    (not when the call limit cuts the ping), probes share one ping instead of each holding a
    server thread for the whole limit, and health is 200 again once the server is back."""
    with on_private_postgres(tmp_path, statement_timeout_ms=5000) as (postgres, server):
        assert call(server, "GET", "/api/health").status == 200
        postgres.freeze()
        try:
            # Twelve probes on four threads: each holding a thread until the call limit (10 s)
            # cuts its own ping, the last would wait three times that.
            with ThreadPoolExecutor(12) as pool:
                replies = list(pool.map(lambda _: call(server, "GET", "/api/health"), range(12)))
        finally:
            postgres.thaw()
        for reply in replies:
            assert reply.status == 503 and reply.seconds < 6, (reply.status, reply.seconds)
            assert reply.body["database"] == "unreachable", reply.body
        deadline = time.monotonic() + 20
        while call(server, "GET", "/api/health").status != 200:
            assert time.monotonic() < deadline, "health did not recover within 20 s"
            time.sleep(0.5)
        assert "WORKER TIMEOUT" not in server.log()


@pytest.mark.slow
def test_the_server_waits_for_its_database_at_start_then_gives_up_in_one_line(
    tmp_path: Path,
) -> None:
    with private_postgres() as postgres:
        postgres.stop()
        starting = threading.Timer(3, postgres.start)  # the database comes up a little later
        starting.start()
        try:
            with running_server(
                tmp_path / "waits", DATABASE_URL=postgres.url, DB_STARTUP_WAIT="25"
            ) as server:
                assert call(server.url, "GET", "/api/health").status == 200
                assert "The database is unreachable" in server.log()
        finally:
            starting.join()
        postgres.stop()
        with pytest.raises(RuntimeError) as refused:  # and when it never comes: one line, exit 1
            start_server(tmp_path / "gives-up", DATABASE_URL=postgres.url, DB_STARTUP_WAIT="1")
        assert "The database is unreachable after 1 s" in str(refused.value)
        assert "Traceback" not in str(refused.value)


@pytest.mark.slow
def test_a_migration_runs_past_the_call_limit(app_factory: Any, postgres_url: str) -> None:
    """The cut of long database calls is for requests: a migration that rewrites every row
    (0012 at a million items takes minutes, with `statement_timeout` off) was cut at 25 s and
    left the upgrade half done. Limit here: 0.5 s statement timeout + 5 s."""
    app = app_factory(SQLALCHEMY_DATABASE_URI=postgres_url, DB_STATEMENT_TIMEOUT_MS=500)
    long_call = "SET LOCAL statement_timeout = 0; SELECT pg_sleep(6.5)"
    with app.app_context(), unwatched(), db.engine.begin() as connection:
        connection.exec_driver_sql(long_call)  # as migrations/env.py runs them: not cut
    with app.app_context(), pytest.raises(OperationalError), db.engine.begin() as connection:
        connection.exec_driver_sql(long_call)  # as a request would: cut
