"""Fixtures: `app` (fresh database per test) -> `client` -> the accounts (`admin`, `user`, ...),
and the servers and databases some tests need. The functions they use are in tests/helpers.py.

Set TEST_DATABASE_URL to run the suite against another database (e.g. PostgreSQL); under
pytest-xdist each worker then gets a PostgreSQL database of its own (`tests/database.py`).
"""

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from api import create_app
from api.http.courier import COURIER
from api.services.auth import ensure_admin
from models import db
from tests.contract import ContractClient
from tests.database import fresh_database, per_worker_url, worker_database
from tests.factories import random_name
from tests.helpers import (
    ADMIN,
    Account,
    MakeItem,
    MakeUser,
    build_test_config,
    login,
    register,
)

# The slow suite's longest files, longest first (`--durations` on 2 cores: Schemathesis about
# 6 minutes, the others 2.5 down to 0.7). Under pytest-xdist `make test` hands whole files to
# the workers in collection order (`--dist loadfile --no-loadscope-reorder`): these go first
# and run beside the rest, where a long file handed out last would run alone at the end.
LONGEST_FILES = (
    "test_fuzz.py",
    "test_uploads.py",
    "test_token_families.py",
    "test_concurrency.py",
    "test_webhooks_live.py",
    "test_bad_input.py",
    "test_upload_storage_live.py",
    "test_rate_limits_live.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if os.environ.get("PYTEST_XDIST_WORKER"):  # plain runs keep the files' order
        rank = {name: index for index, name in enumerate(LONGEST_FILES)}
        items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


@pytest.fixture(scope="session", autouse=True)
def xdist_worker_database() -> Iterator[None]:
    """Under xdist on PostgreSQL, point TEST_DATABASE_URL at this worker's own database."""
    shared = per_worker_url()
    if shared is None:
        yield
        return
    url, worker = shared
    with worker_database(url, worker) as own:
        os.environ["TEST_DATABASE_URL"] = own
        try:
            yield
        finally:
            os.environ["TEST_DATABASE_URL"] = url


@pytest.fixture
def app_factory(tmp_path: Any, request: pytest.FixtureRequest) -> Iterator[Callable[..., Flask]]:
    """Build an app with config overrides, each on a clean database (`fresh_database`; a test
    marked `new_schema` gets its schema made afresh, as a new deployment has it)."""
    apps: list[Flask] = []
    new_schema = request.node.get_closest_marker("new_schema") is not None

    def build(**overrides: Any) -> Flask:
        app = create_app(build_test_config(tmp_path, **overrides))
        app.test_client_class = ContractClient
        with app.app_context():
            fresh_database(rebuild=new_schema)
            ensure_admin(**ADMIN, rounds=app.config["BCRYPT_ROUNDS"])
        apps.append(app)
        return app

    yield build
    COURIER.settle()  # mail it is still sending for these apps, before their engines go
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def bare_database(tmp_path: Any) -> None:
    """The test database without tables, for a test that creates the schema itself (on
    PostgreSQL the other tests leave theirs in place)."""
    app = create_app(build_test_config(tmp_path))
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


@pytest.fixture
def app(app_factory: Callable[..., Flask]) -> Flask:
    return app_factory()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client that checks every response against openapi.json (tests/contract.py)."""
    return app.test_client()


@pytest.fixture
def raw_client(app: Flask) -> FlaskClient:
    """A client without the contract check, for deliberately undocumented outcomes (a provoked
    500, answers to undocumented methods, docs assets)."""
    return FlaskClient(app, app.response_class)


@pytest.fixture
def served_spec(client: FlaskClient) -> dict[str, Any]:
    """The OpenAPI document as the app serves it."""
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.get_json()


@pytest.fixture
def admin(client: FlaskClient) -> Account:
    return login(client, ADMIN["username"], ADMIN["password"])


@pytest.fixture
def user(client: FlaskClient) -> Account:
    return register(client)


@pytest.fixture
def other_user(client: FlaskClient) -> Account:
    return register(client)


@pytest.fixture
def make_user(client: FlaskClient) -> MakeUser:
    return lambda **fields: register(client, **fields)


@pytest.fixture
def make_item(client: FlaskClient) -> MakeItem:
    def create(account: Account, name: str | None = None, **fields: Any) -> dict[str, Any]:
        payload = {"name": name or random_name("item"), **fields}
        response = client.post("/api/items", json=payload, headers=account.headers)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return create


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """gunicorn serving the app on a free loopback port, shared by the tests of a session."""
    from tests.live import running_server

    with running_server(tmp_path_factory.mktemp("live")) as server:
        yield server


@pytest.fixture(scope="session")
def s3_server() -> Iterator[Any]:
    """moto's S3 server on a free loopback port, for the storage tests of the session."""
    from tests.objectstore import s3_server as running_s3_server

    with running_s3_server() as server:
        yield server


@pytest.fixture
def shared_database_url(tmp_path: Any) -> str:
    """A database that several threads really share, for races: TEST_DATABASE_URL, or a SQLite
    file (each connection to the default in-memory SQLite is a database of its own)."""
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'shared.db'}"


def _throwaway_database(request: pytest.FixtureRequest) -> Iterator[str]:
    from tests.services import throwaway_database

    with throwaway_database(request.module.__name__.rsplit(".", 1)[-1]) as url:
        yield url


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A throwaway PostgreSQL database for one test (dropped afterwards), so it never meets the
    tables of the rest of the suite; locally skipped when PostgreSQL is unreachable."""
    yield from _throwaway_database(request)


@pytest.fixture(scope="module")
def module_postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """`postgres_url`, shared by the tests of a module."""
    yield from _throwaway_database(request)
