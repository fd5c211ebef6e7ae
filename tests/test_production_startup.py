"""Production (`APP_ENV=production`) refuses to start while it would create the admin with the
default or a weak password (issue 10.1); development keeps the seed's default `admin2025`."""

import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from api import create_app
from models import User, db
from tests.helpers import build_test_config, login
from tests.live import running_server, start_server, stop_server

STRONG = "a-long-and-unusual-admin-passphrase"
# The live server's production environment, less what is not under test (metrics).
PRODUCTION = {"APP_ENV": "production", "METRICS_ENABLED": "false"}


def production_config(tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    return build_test_config(
        tmp_path,
        APP_ENV="production",
        METRICS_ENABLED=False,  # production's metrics requirements are not under test here
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'prod.db'}",
        **overrides,
    )


def create_default_admin(app: Flask, *, new_database: bool = True) -> Any:
    """`flask create-admin` with the configured admin (as `init-db` does after migrating)."""
    if new_database:
        with app.app_context():
            db.create_all()
    return app.test_cli_runner().invoke(args=["create-admin"])


@pytest.mark.parametrize(
    "password",
    ["admin2025", "Admin2025", "password", "12345678", "admin", "admin2025!", " admin2025 "],
)
def test_production_refuses_a_weak_admin_password(tmp_path: Path, password: str) -> None:
    with pytest.raises(RuntimeError, match="ADMIN_PASSWORD") as refused:
        create_app(production_config(tmp_path, ADMIN_PASSWORD=password))
    assert "production" in str(refused.value)


def test_production_without_admin_password_refuses_to_create_the_admin(tmp_path: Path) -> None:
    app = create_app(production_config(tmp_path, ADMIN_PASSWORD=None))
    result = create_default_admin(app)
    assert result.exit_code == 1, result.output
    assert "ADMIN_PASSWORD must be set to create the admin 'admin' in production" in result.output
    with app.app_context():
        assert db.session.query(User).count() == 0
        db.engine.dispose()


def test_production_without_admin_password_starts_when_the_admin_exists(tmp_path: Path) -> None:
    first = create_app(production_config(tmp_path, ADMIN_PASSWORD=STRONG))
    assert create_default_admin(first).exit_code == 0
    again = create_app(production_config(tmp_path, ADMIN_PASSWORD=None))
    result = create_default_admin(again, new_database=False)
    assert result.exit_code == 0, result.output
    login(again.test_client(), "admin", STRONG)
    for app in (first, again):
        with app.app_context():
            db.engine.dispose()


@pytest.mark.usefixtures("bare_database")
def test_development_keeps_the_seed_default(tmp_path: Path) -> None:
    app = create_app(build_test_config(tmp_path, ADMIN_PASSWORD=None))
    assert app.config["ADMIN_PASSWORD"] == "admin2025"
    with app.app_context():
        db.create_all()
    app.test_cli_runner().invoke(args=["create-admin"])
    login(app.test_client(), "admin", "admin2025")
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


def test_create_admin_cli_in_production_refuses_the_default(
    app_factory: Callable[..., Flask], tmp_path: Path
) -> None:
    app = app_factory()
    app.config.update(APP_ENV="production", ADMIN_PASSWORD="admin2025")
    result = app.test_cli_runner().invoke(args=["create-admin", "--username", "root4"])
    assert result.exit_code == 1 and "published default" in result.output, result.output


@pytest.mark.slow
@pytest.mark.parametrize(
    "admin_password, message",
    [
        ("", "ADMIN_PASSWORD must be set to create the admin 'admin' in production"),
        ("admin2025", "ADMIN_PASSWORD is the published default password"),
        ("12345678", "ADMIN_PASSWORD is a commonly used password"),
    ],
    ids=["unset", "default", "weak"],
)
def test_gunicorn_in_production_exits_with_a_clear_message(
    tmp_path: Path, admin_password: str, message: str
) -> None:
    try:
        server = start_server(tmp_path, **PRODUCTION, ADMIN_PASSWORD=admin_password)
    except RuntimeError as failed:
        assert "server did not start" in str(failed)
        assert f"Error: {message}" in str(failed)
        assert "Traceback" not in str(failed)
    else:
        stop_server(server)
        pytest.fail("production started with a missing or weak admin password")


@pytest.mark.slow
def test_gunicorn_in_production_starts_with_a_strong_admin_password(tmp_path: Path) -> None:
    import json
    import urllib.request

    with running_server(tmp_path, **PRODUCTION, ADMIN_PASSWORD=STRONG) as server:
        request = urllib.request.Request(
            f"{server.url}/api/auth/login",
            data=json.dumps({"username": "admin", "password": STRONG}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
            assert json.loads(response.read())["user"]["is_admin"] is True


@pytest.mark.slow
def test_gunicorn_refuses_an_address_another_server_listens_on(tmp_path: Path) -> None:
    """`reuse_port` spreads connections over the workers; it must not let a second server
    join the first one's port and split its traffic (two databases, two keys) silently."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        try:
            server = start_server(tmp_path, port=port)
        except RuntimeError as failed:
            assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in str(failed)
            assert "Traceback" not in str(failed)
        else:
            stop_server(server)
            pytest.fail("gunicorn started on an address another server listens on")
