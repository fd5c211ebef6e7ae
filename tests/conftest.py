"""Fixtures: `app` (fresh database per test) -> `client` -> token helpers.

Set TEST_DATABASE_URL to run the suite against another database (e.g. PostgreSQL).
"""

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from api import create_app
from api.services.auth import ensure_admin
from models import db
from tests.contract import ContractClient
from tests.factories import random_email, random_name, random_password

ADMIN = {"username": "admin", "password": "admin-password-1", "email": "admin@example.com"}


def build_test_config(tmp_path: Any, **overrides: Any) -> dict[str, Any]:
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


@pytest.fixture
def app_factory(tmp_path: Any) -> Iterator[Callable[..., Flask]]:
    """Build an app with config overrides; its database is created and dropped around the test."""
    apps: list[Flask] = []

    def build(**overrides: Any) -> Flask:
        app = create_app(build_test_config(tmp_path, **overrides))
        app.test_client_class = ContractClient
        with app.app_context():
            db.drop_all()
            db.create_all()
            ensure_admin(**ADMIN, rounds=app.config["BCRYPT_ROUNDS"])
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.drop_all()
            db.engine.dispose()


@pytest.fixture
def app(app_factory: Callable[..., Flask]) -> Flask:
    return app_factory()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


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
        return {"Authorization": f"Bearer {self.token}"}


def login(client: FlaskClient, username: str, password: str) -> Account:
    response = client.post("/api/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    user = body["user"]
    return Account(user["id"], user["username"], user["email"], password, body["token"])


def register(client: FlaskClient, **fields: Any) -> Account:
    payload = {
        "username": random_name(),
        "email": random_email(),
        "password": random_password(),
        **fields,
    }
    response = client.post("/api/auth/register", json=payload)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    user = body["user"]
    return Account(user["id"], user["username"], user["email"], payload["password"], body["token"])


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
def make_user(client: FlaskClient) -> Callable[..., Account]:
    return lambda **fields: register(client, **fields)


@pytest.fixture
def make_item(client: FlaskClient) -> Callable[..., dict[str, Any]]:
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
