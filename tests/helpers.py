"""What test modules share for talking to the app in-process: its test settings, the accounts the
tests act as, the headers they send, what they assert of an answer, and the requests and checks
that more than one module makes.

Fixtures live in conftest.py, the committed spec in spec.py, the response contract check in
contract.py, random data and sample files in factories.py, and real servers (gunicorn, and the
HTTP calls made to it) in live.py. A helper that two test modules need lives in one of these,
never in a test module.
"""

import io
import logging
import os
import re
import threading
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import TestResponse, encode_multipart

from api import create_app
from api.core.config import ROOT
from models import Item, ItemCountedTerm, ItemGramCount, db
from models.item_search import ALL_OWNERS, GRAM_MAX
from tests.factories import random_user

ADMIN = {"username": "admin", "password": "admin-password-1", "email": "admin@example.com"}
MIGRATIONS = str(ROOT / "migrations")

# The public fields of each representation, as every client sees them.
ITEM_FIELDS = {"id", "name", "description", "is_active", "created_at", "updated_at", "user_id"}
USER_FIELDS = {"id", "username", "email", "is_admin", "is_active", "created_at", "last_login"}
PAGE_FIELDS = {"items", "total", "page", "per_page"}

MakeItem = Callable[..., dict[str, Any]]


# --- apps ------------------------------------------------------------------------------------


def build_test_config(tmp_path: Any, **overrides: Any) -> dict[str, Any]:
    """The settings of the `app` fixture: a fresh database (TEST_DATABASE_URL or in-memory
    SQLite), fast bcrypt, files under `tmp_path`, the ADMIN account; then `overrides`."""
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": os.environ.get("TEST_DATABASE_URL", "sqlite://"),
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "BCRYPT_ROUNDS": 4,
        "DATA_DIR": str(tmp_path),
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "ADMIN_USERNAME": ADMIN["username"],
        "ADMIN_PASSWORD": ADMIN["password"],
        "ADMIN_EMAIL": ADMIN["email"],
        **overrides,
    }


def bare_app(tmp_path: Path, url: str, **overrides: Any) -> Flask:
    """An app on the database at `url` with only the settings it cannot start without: no test
    mode and nothing created in the database (for the migration and SQLite pragma tests)."""
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bare-test-secret-key-0123456789abcdef",
            "DATA_DIR": str(tmp_path),
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
            "RATELIMIT_STORAGE_URI": "memory://",
            **overrides,
        }
    )


@contextmanager
def preserved_logging() -> Iterator[None]:
    """Alembic's env.py calls `logging.config.fileConfig`, which would disable the app's
    loggers and replace the root handlers for the rest of the test session."""
    root = logging.getLogger()
    saved_root = (root.level, list(root.handlers))
    saved = {
        name: (logger.disabled, logger.level, list(logger.handlers), logger.propagate)
        for name, logger in logging.Logger.manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
    }
    try:
        yield
    finally:
        root.setLevel(saved_root[0])
        root.handlers = saved_root[1]
        for name, logger in list(logging.Logger.manager.loggerDict.items()):
            if not isinstance(logger, logging.Logger):
                continue
            if name in saved:
                logger.disabled, logger.level, handlers, logger.propagate = saved[name]
                logger.handlers = handlers
            else:  # created by Alembic's logging config: make it harmless
                logger.disabled = False
                logger.handlers = []
                logger.setLevel(logging.NOTSET)
                logger.propagate = True


def plan_of(app: Flask, statement: Any, *, avoid_sorting: bool = False) -> str:
    """The database's query plan for `statement` (PostgreSQL's with sequential scans off, so an
    index that can serve the query shows even on a tiny table; with `avoid_sorting`, sorts off
    too, so an index that can give the order is taken if there is one)."""
    with app.app_context():
        engine = db.engine
        sql = str(statement.compile(engine, compile_kwargs={"literal_binds": True}))
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}").all()
                return "\n".join(row[-1] for row in rows)
            connection.exec_driver_sql("SET enable_seqscan = off")
            if avoid_sorting:
                connection.exec_driver_sql("SET LOCAL enable_sort = off")  # this transaction only
            return "\n".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {sql}"))


def assert_index_backed(plan: str) -> None:
    """An index gives both the filter and the order: no sort step, no temporary B-tree."""
    assert "Index" in plan or "USING INDEX" in plan or "USING COVERING INDEX" in plan, plan
    assert "TEMP B-TREE" not in plan and "Sort" not in plan.split("\n")[0], plan


# --- accounts and tokens ---------------------------------------------------------------------


@dataclass
class Account:
    """A registered user as the tests see it: its public fields, password and auth headers."""

    id: int
    username: str
    email: str
    password: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.token)


MakeUser = Callable[..., Account]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def narrowed_login(client: FlaskClient, account: Account, scope: str) -> dict[str, str]:
    """Auth headers of a password-grant login narrowed to `scope` (space-separated)."""
    form = {
        "grant_type": "password",
        "username": account.username,
        "password": account.password,
        "scope": scope,
    }
    return bearer(client.post("/api/auth/token", data=form).get_json()["access_token"])


def login_body(client: FlaskClient, username: str, password: str) -> dict[str, Any]:
    """The body of a successful login: the token pair and the user."""
    response = client.post("/api/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def login(client: FlaskClient, username: str, password: str) -> Account:
    body = login_body(client, username, password)
    user = body["user"]
    return Account(user["id"], user["username"], user["email"], password, body["token"])


def register(client: FlaskClient, **fields: Any) -> Account:
    """A new user with random fields (`fields` override them), logged in."""
    payload = random_user(**fields)
    response = client.post("/api/auth/register", json=payload)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    user = body["user"]
    return Account(user["id"], user["username"], user["email"], payload["password"], body["token"])


def fail_login(client: FlaskClient, username: str, **kwargs: Any) -> TestResponse:
    """A login with a wrong password (`kwargs` go to the client: headers, environ_base)."""
    body = {"username": username, "password": "wrong-password-1"}
    return client.post("/api/auth/login", json=body, **kwargs)


def refresh(client: FlaskClient, token: str) -> TestResponse:
    """Present a refresh token."""
    return client.post("/api/auth/refresh", json={"refresh_token": token})


def claims_of(token: str, **overrides: Any) -> dict[str, Any]:
    """The claims of a token the server issued, edited; re-sign them with `sign`."""
    claims = jwt.decode(token, options={"verify_signature": False})
    claims.update(overrides)
    return claims


def sign(app: Flask, claims: dict[str, Any], algorithm: str = "HS256") -> str:
    """A token signed with the app's own key (or none, for `algorithm="none"`)."""
    return jwt.encode(claims, app.config["JWT_SECRET_KEY"], algorithm=algorithm)


# --- answers ---------------------------------------------------------------------------------

_LINK = re.compile(r'<([^>]*)>;\s*rel="([^"]+)"')


def assert_error(response: TestResponse, status: int, *fields: str) -> dict[str, Any]:
    """An error answer as SPEC.md shapes it; returns its body.

    Checks: the `status`; a JSON object (never HTML or a traceback) with a non-empty `error`
    message and the `request_id` of the `X-Request-ID` header; on a 401, a `Bearer` challenge in
    `WWW-Authenticate`; for each of `fields`, a non-empty message under that key of `errors`.
    """
    text = response.get_data(as_text=True)
    assert response.status_code == status, (response.status_code, text[:500])
    assert response.mimetype == "application/json", (response.mimetype, text[:500])
    assert "Traceback" not in text and "<html" not in text.lower(), text[:500]
    body = response.get_json()
    assert isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"], body
    assert body.get("request_id") == response.headers.get("X-Request-ID"), body
    if status == 401:
        assert response.headers.get("WWW-Authenticate", "").startswith("Bearer"), response.headers
    if fields:
        assert isinstance(body.get("errors"), dict), body
        for field in fields:
            message = body["errors"].get(field)
            assert isinstance(message, str) and message, (field, body)
    return body


def names(page: TestResponse | dict[str, Any]) -> list[str]:
    """The `name` of each entry of a list page: a body, or the body of a response that must be
    a 200."""
    if isinstance(page, TestResponse):
        assert page.status_code == 200, page.get_json()
        page = page.get_json()
    return [entry["name"] for entry in page["items"]]


def links(response: TestResponse) -> dict[str, str]:
    """`Link` header as {rel: url}; fails on a malformed or repeated rel."""
    header = response.headers.get("Link")
    assert header, f"no Link header on {response.request.path}"
    parts = [part.strip() for part in header.split(",")]
    found = [_LINK.fullmatch(part) for part in parts]
    assert all(found), header
    result = {match.group(2): match.group(1) for match in found if match}
    assert len(result) == len(parts), header
    return result


# --- uploads ---------------------------------------------------------------------------------


def upload(
    client: FlaskClient,
    account: Account | None,
    content: bytes = b"hello",
    filename: str = "a.txt",
    *,
    field: str = "file",
    key: str | None = None,
) -> TestResponse:
    """`POST /api/upload` of one file (with an `Idempotency-Key` if `key`), encoded in memory:
    the test client's own encoder spills big bodies to a temporary file it never closes."""
    headers = account.headers if account else {}
    if key:
        headers = {**headers, "Idempotency-Key": key}
    boundary, body = encode_multipart(
        MultiDict({field: FileStorage(io.BytesIO(content), filename=filename)})
    )
    return client.post(
        "/api/upload",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
        headers=headers,
    )


def uploaded(
    client: FlaskClient, account: Account, content: bytes = b"hello", filename: str = "a.txt"
) -> dict[str, Any]:
    """The body of a successful upload."""
    response = upload(client, account, content, filename)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def download(client: FlaskClient, path: str, account: Account | None) -> TestResponse:
    """GET through the token-authenticated route; `buffered` reads the body and closes it."""
    return client.get(path, headers=account.headers if account else {}, buffered=True)


def fetch_link(client: FlaskClient, url: str) -> tuple[int, bytes, dict[str, str]]:
    """What a seed-style client does: GET the `url` as given, with no Authorization header.
    A relative link is this API's; an absolute one the object store's."""
    if not url.startswith("http"):
        response = client.get(url, buffered=True)
        return response.status_code, response.data, {k.lower(): v for k, v in response.headers}
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read(), {k.lower(): v for k, v in answer.headers.items()}
    except urllib.error.HTTPError as error:
        return error.code, error.read(), {k.lower(): v for k, v in error.headers.items()}


def stored_name(body: dict[str, Any]) -> str:
    """The stored file name an upload's `download_path` ends in."""
    path = body["download_path"]
    assert path.startswith("/api/uploads/")
    return path.rsplit("/", 1)[-1]


# --- concurrency -----------------------------------------------------------------------------


def race(*calls: Callable[[], Any]) -> list[Any]:
    """Run `calls` at the same instant, each in its own thread; their results in order."""
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Any:
        start.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return [future.result() for future in [pool.submit(run, call) for call in calls]]


# --- item counts -------------------------------------------------------------------------------

# (gram, owner_id, is_active) -> items: what `item_gram_counts` holds (models/item_search.py).
Counts = Counter[tuple[str, int, bool]]


def recount_on(connection: Connection) -> tuple[Counts, Counts]:
    """(kept, recounted): `item_gram_counts` and the same counts from the items themselves."""
    rows = connection.execute(select(Item.name_folded, Item.user_id, Item.is_active)).all()
    terms = set(connection.execute(select(ItemCountedTerm.term)).scalars())
    kept = Counter(
        {
            (row.gram, row.owner_id, bool(row.is_active)): row.count
            for row in connection.execute(select(ItemGramCount.__table__))
            if row.count
        }
    )
    recounted: Counts = Counter()
    for name, owner, active in rows:
        grams = {""} | {
            name[i : i + n] for n in range(1, GRAM_MAX + 1) for i in range(len(name) - n + 1)
        }
        grams |= {term for term in terms if term in name}
        for gram in grams:
            for key in (ALL_OWNERS, owner or 0):
                recounted[(gram, key, bool(active))] += 1
    return kept, recounted
