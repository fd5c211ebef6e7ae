"""SQLite writers queue for the write lock (api/core/sqlite_writes.py): a worker's threads on a
lock of the process, the processes on a lock file beside the database. Every write is still
stored, a transaction that fails gives its turn back at once, and a writer of another process
(holding the lock file) is waited for."""

import fcntl
import os
import threading
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from api.services import items as item_service
from models import db
from tests.helpers import Account, register

# Far below the 30 s a leaked turn would hold the next writer for (SQLite's busy timeout).
PROMPTLY = 5.0


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "writes.db"


@pytest.fixture
def sqlite_app(app_factory: Callable[..., Flask], database: Path) -> Flask:
    """Always a SQLite file, whichever database the rest of the suite runs on."""
    return app_factory(SQLALCHEMY_DATABASE_URI=f"sqlite:///{database}", RATELIMIT_ENABLED=False)


def create_in_thread(app: Flask, user: Account, name: str) -> tuple[threading.Thread, list[int]]:
    statuses: list[int] = []

    def create() -> None:
        reply = app.test_client().post("/api/items", json={"name": name}, headers=user.headers)
        statuses.append(reply.status_code)

    thread = threading.Thread(target=create)
    thread.start()
    return thread, statuses


def stored(client: FlaskClient, user: Account) -> list[str]:
    reply = client.get("/api/me/items?per_page=100", headers=user.headers)
    return [item["name"] for item in reply.get_json()["items"]]


def test_concurrent_creates_of_one_process_are_all_stored(sqlite_app: Flask) -> None:
    user = register(sqlite_app.test_client())
    threads = [create_in_thread(sqlite_app, user, f"item {n}") for n in range(48)]
    for thread, _ in threads:
        thread.join(PROMPTLY * 4)
    assert [statuses for _, statuses in threads] == [[201]] * 48
    assert sorted(stored(sqlite_app.test_client(), user)) == sorted(f"item {n}" for n in range(48))


def test_a_transaction_that_fails_after_writing_gives_its_turn_back(
    sqlite_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = register(sqlite_app.test_client())

    def fail_after_the_insert(*_: Any) -> None:
        raise RuntimeError("the outbox refused")

    with monkeypatch.context() as patch:
        patch.setattr(item_service.outbox, "write", fail_after_the_insert)
        patch.setattr(sqlite_app.logger, "disabled", True)  # the expected traceback
        raw = FlaskClient(sqlite_app, sqlite_app.response_class)
        reply = raw.post("/api/items", json={"name": "rolled back"}, headers=user.headers)
        assert reply.status_code == 500
    with sqlite_app.app_context(), ExitStack() as idle:
        # Every pooled connection, the failed request's among them, kept out of the next
        # write's way: it must not need the one that wrote to get its turn.
        for _ in range(db.engine.pool.checkedin()):
            idle.enter_context(db.engine.connect())
        thread, statuses = create_in_thread(sqlite_app, user, "next")
        thread.join(PROMPTLY)
    assert statuses == [201]
    assert stored(sqlite_app.test_client(), user) == ["next"]


def test_a_writer_of_another_process_is_waited_for(sqlite_app: Flask, database: Path) -> None:
    user = register(sqlite_app.test_client())
    other_process = os.open(f"{database}.write-lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(other_process, fcntl.LOCK_EX)  # another worker, writing
        thread, statuses = create_in_thread(sqlite_app, user, "waited")
        thread.join(0.5)
        assert thread.is_alive() and statuses == []  # queued behind it, not written
        fcntl.flock(other_process, fcntl.LOCK_UN)
        thread.join(PROMPTLY)
        assert statuses == [201]
    finally:
        os.close(other_process)
    assert stored(sqlite_app.test_client(), user) == ["waited"]
