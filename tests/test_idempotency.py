"""`Idempotency-Key` on creates (items and uploads): a retry replays the first answer and creates
nothing; another body under the same key is a 422; keys are per user and live a day.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select, update

from models import IdempotencyKey, Upload, db, utcnow
from tests.helpers import (
    Account,
    assert_error,
    upload,
)
from tests.spec import header_params, operation


@contextmanager
def database_gone_at(app: Flask, *prefixes: str) -> Iterator[None]:
    """The first statement starting with each of `prefixes` fails as if the database had gone
    away (at least one of them must be reached)."""

    failed: set[str] = set()

    with app.app_context():
        engine = db.engine
    gone = engine.dialect.loaded_dbapi.OperationalError  # sqlite3's or psycopg's

    def fail(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        for prefix in prefixes:
            if prefix not in failed and statement.lstrip().upper().startswith(prefix.upper()):
                failed.add(prefix)
                raise gone("the database went away (injected by the test)")

    event.listen(engine, "before_cursor_execute", fail)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", fail)
    assert failed, f"no statement started with any of {prefixes}"


def my_total(client: FlaskClient, account: Account) -> int:
    response = client.get("/api/me/items", headers=account.headers)
    assert response.status_code == 200
    return response.get_json()["total"]


def stored_files(app: Flask) -> list[str]:
    folder = Path(app.config["UPLOAD_FOLDER"])
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize(
    "path,method",
    [("/api/items", "post"), ("/api/upload", "post")],
)
def test_create_operations_declare_idempotency(path: str, method: str) -> None:
    op = operation(path, method)
    assert "Idempotency-Key" in header_params(op)
    assert "422" in op["responses"]
    assert op["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ErrorResponse"
    )


class TestIdempotencyKeyLifetime:
    def _key_row(self, app: Flask, user: Account, key: str, age: timedelta, status: int) -> None:
        with app.app_context():
            db.session.add(
                IdempotencyKey(
                    user_id=user.id,
                    key=key,
                    endpoint="/api/items",
                    request_hash="0" * 64,
                    status_code=status,
                    response_body="{}",
                    created_at=utcnow() - age,
                )
            )
            db.session.commit()

    def test_a_create_whose_response_could_not_be_stored_is_never_run_again(
        self, app: Flask, client: FlaskClient, user: Account
    ) -> None:
        """The database goes away right after the work committed: the client still gets its
        201, and a retry learns the request was carried out (409), never a second item."""
        headers = {**user.headers, "Idempotency-Key": "lost-answer"}
        with database_gone_at(app, "UPDATE idempotency_keys"):
            first = client.post("/api/items", json={"name": "once"}, headers=headers)
        assert first.status_code == 201
        retry = client.post("/api/items", json={"name": "once"}, headers=headers)
        assert_error(retry, 409)
        assert retry.headers["Retry-After"] == "1"
        assert my_total(client, user) == 1

    def test_a_response_lost_for_good_stops_the_retries(
        self, app: Flask, client: FlaskClient, user: Account
    ) -> None:
        """A key whose response never got stored answered 409 `Retry-After: 1` for its whole
        24 hours: a client obeying it retried forever. Past a minute it says the answer is lost."""
        headers = {**user.headers, "Idempotency-Key": "long-lost"}
        with database_gone_at(app, "UPDATE idempotency_keys"):
            first = client.post("/api/items", json={"name": "once"}, headers=headers)
        assert first.status_code == 201
        assert (
            client.post("/api/items", json={"name": "once"}, headers=headers).headers["Retry-After"]
            == "1"
        )  # just now: its response may still come
        with app.app_context():  # as if it had been a minute and more
            db.session.execute(
                update(IdempotencyKey)
                .where(IdempotencyKey.key == "long-lost")
                .values(created_at=utcnow() - timedelta(minutes=2))
            )
            db.session.commit()
        retry = client.post("/api/items", json={"name": "once"}, headers=headers)
        body = assert_error(retry, 409)
        assert "lost" in body["error"] and "Retry-After" not in retry.headers
        assert my_total(client, user) == 1

    def test_a_create_the_database_refused_leaves_no_key_behind(
        self, app: Flask, client: FlaskClient, user: Account
    ) -> None:
        """A 503 did not happen: the retry with the same key creates the item at once (no 409
        for a key left 'in progress')."""
        headers = {**user.headers, "Idempotency-Key": "blip"}
        # Gone for the item and for anything written about the key after it.
        with database_gone_at(app, "INSERT INTO items", "DELETE FROM idempotency_keys"):
            assert_error(client.post("/api/items", json={"name": "x"}, headers=headers), 503)
        retry = client.post("/api/items", json={"name": "x"}, headers=headers)
        assert retry.status_code == 201 and "Idempotent-Replayed" not in retry.headers
        assert my_total(client, user) == 1

    def test_purge_forgets_day_old_keys_only(
        self, app: Flask, client: FlaskClient, user: Account
    ) -> None:
        self._key_row(app, user, "old", timedelta(hours=25), status=201)
        self._key_row(app, user, "recent", timedelta(hours=1), status=201)
        result = app.test_cli_runner().invoke(args=["purge-revoked-tokens"])
        assert "and 1 idempotency keys." in result.output
        with app.app_context():
            assert set(db.session.scalars(select(IdempotencyKey.key))) == {"recent"}


class TestIdempotency:
    def post_item(
        self, client: FlaskClient, account: Account, body: dict[str, Any], key: str | None
    ) -> Any:
        headers = {**account.headers, **({"Idempotency-Key": key} if key else {})}
        return client.post("/api/items", json=body, headers=headers)

    def test_retry_replays_and_creates_once(self, client: FlaskClient, user: Account) -> None:
        body = {"name": "once", "description": "only one please"}
        first = self.post_item(client, user, body, "key-1")
        assert first.status_code == 201
        assert "Idempotent-Replayed" not in first.headers
        retry = self.post_item(client, user, body, "key-1")
        assert retry.status_code == 201
        assert retry.headers["Idempotent-Replayed"] == "true"
        assert retry.data == first.data  # the same bytes, not just the same JSON
        assert my_total(client, user) == 1
        # Key order in the body does not matter: it is the same request.
        reordered = self.post_item(
            client, user, {"description": "only one please", "name": "once"}, "key-1"
        )
        assert reordered.status_code == 201
        assert reordered.get_json()["id"] == first.get_json()["id"]
        assert my_total(client, user) == 1

    def test_same_key_different_body_is_422(self, client: FlaskClient, user: Account) -> None:
        assert self.post_item(client, user, {"name": "a"}, "key-2").status_code == 201
        response = self.post_item(client, user, {"name": "b"}, "key-2")
        assert_error(response, 422)
        assert my_total(client, user) == 1
        names = [i["name"] for i in client.get("/api/me/items", headers=user.headers).json["items"]]
        assert names == ["a"]

    def test_keys_are_per_user(
        self, client: FlaskClient, user: Account, other_user: Account
    ) -> None:
        mine = self.post_item(client, user, {"name": "same"}, "shared-key")
        theirs = self.post_item(client, other_user, {"name": "same"}, "shared-key")
        assert mine.status_code == theirs.status_code == 201
        assert "Idempotent-Replayed" not in theirs.headers
        assert mine.get_json()["id"] != theirs.get_json()["id"]
        assert theirs.get_json()["user_id"] == other_user.id
        assert my_total(client, user) == 1
        assert my_total(client, other_user) == 1

    def test_no_key_creates_every_time(self, client: FlaskClient, user: Account) -> None:
        first = self.post_item(client, user, {"name": "dup"}, None)
        second = self.post_item(client, user, {"name": "dup"}, None)
        assert first.status_code == second.status_code == 201
        assert first.get_json()["id"] != second.get_json()["id"]
        assert "Idempotent-Replayed" not in second.headers
        assert my_total(client, user) == 2

    @pytest.mark.parametrize(
        "key", ["k" * 256, "k" * 300, "has space", "caf\u00e9"], ids=["256", "300", "space", "utf8"]
    )
    def test_invalid_key_is_400(self, client: FlaskClient, user: Account, key: str) -> None:
        body = assert_error(self.post_item(client, user, {"name": "x"}, key), 400)
        assert "Idempotency-Key" in body["errors"]
        assert my_total(client, user) == 0

    def test_longest_valid_key(self, client: FlaskClient, user: Account) -> None:
        key = "k" * 255
        assert self.post_item(client, user, {"name": "x"}, key).status_code == 201
        assert self.post_item(client, user, {"name": "x"}, key).headers["Idempotent-Replayed"]
        assert my_total(client, user) == 1

    def test_failed_attempt_frees_the_key(self, client: FlaskClient, user: Account) -> None:
        invalid = self.post_item(client, user, {"name": ""}, "key-3")
        assert_error(invalid, 400)
        again = self.post_item(client, user, {"name": ""}, "key-3")
        assert_error(again, 400)
        assert "Idempotent-Replayed" not in again.headers
        ok = self.post_item(client, user, {"name": "fixed"}, "key-3")
        assert ok.status_code == 201
        assert my_total(client, user) == 1

    def test_key_without_token_is_401(self, client: FlaskClient) -> None:
        response = client.post("/api/items", json={"name": "x"}, headers={"Idempotency-Key": "k"})
        assert_error(response, 401)

    def test_upload_retry_stores_one_file(
        self, app: Flask, client: FlaskClient, user: Account
    ) -> None:
        before = stored_files(app)
        first = upload(client, user, b"payload", "doc.txt", key="up-1")
        assert first.status_code == 201
        retry = upload(client, user, b"payload", "doc.txt", key="up-1")
        assert retry.status_code == 201
        assert retry.headers["Idempotent-Replayed"] == "true"
        assert retry.get_json() == first.get_json()
        after = stored_files(app)
        assert len(after) == len(before) + 1
        with app.app_context():
            assert db.session.scalar(select(func.count(Upload.id))) == 1
        download = client.get(first.get_json()["url"], headers=user.headers, buffered=True)
        assert download.status_code == 200 and download.data == b"payload"

    def test_upload_same_key_different_file_is_422(
        self, app: Flask, client: FlaskClient, user: Account
    ) -> None:
        assert upload(client, user, b"one", "a.txt", key="up-2").status_code == 201
        assert_error(upload(client, user, b"two", "a.txt", key="up-2"), 422)
        assert_error(upload(client, user, b"one", "b.txt", key="up-2"), 422)
        assert len(stored_files(app)) == 1

    def test_upload_invalid_key_is_400(
        self, app: Flask, client: FlaskClient, user: Account
    ) -> None:
        body = assert_error(upload(client, user, key="u" * 300), 400)
        assert "Idempotency-Key" in body["errors"]
        assert stored_files(app) == []
