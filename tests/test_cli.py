"""The `flask` commands: create-admin (idempotent), export-openapi, seed, purge-revoked-tokens."""

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from models import RefreshToken, RevokedToken, User, db, utcnow
from tests.helpers import (
    ADMIN,
    Account,
    login,
    login_body,
)
from tests.spec import SPEC, SPEC_PATH


class TestCli:
    def test_create_admin_is_idempotent(self, app: Flask, client: FlaskClient) -> None:
        runner = app.test_cli_runner()
        args = ["create-admin", "--username", "root2", "--email", "Root2@Example.com"]
        result = runner.invoke(args=[*args, "--password", "root2-password"])
        assert result.exit_code == 0, result.output
        assert "Created admin 'root2'" in result.output
        body = login_body(client, "root2", "root2-password")
        assert body["user"]["is_admin"] is True
        assert body["user"]["email"] == "root2@example.com"

        again = runner.invoke(args=[*args, "--password", "another-password"])
        assert again.exit_code == 0, again.output
        assert "already exists" in again.output
        with app.app_context():
            assert (
                db.session.scalar(select(func.count(User.id)).where(User.username == "root2")) == 1
            )
        # The second run did not change the password.
        login_body(client, "root2", "root2-password")

    def test_create_admin_defaults_to_config(self, app_factory: Callable[..., Flask]) -> None:
        app = app_factory(ADMIN_USERNAME="cfgadmin", ADMIN_EMAIL="cfg@example.com")
        result = app.test_cli_runner().invoke(args=["create-admin"])
        assert result.exit_code == 0, result.output
        assert "Created admin 'cfgadmin'" in result.output
        login(app.test_client(), "cfgadmin", ADMIN["password"])

    def test_export_openapi_matches_committed_spec(self, app: Flask, tmp_path: Path) -> None:
        target = tmp_path / "exported.json"
        result = app.test_cli_runner().invoke(args=["export-openapi", "-o", str(target)])
        assert result.exit_code == 0, result.output
        assert str(target) in result.output
        assert target.read_text() == SPEC_PATH.read_text()
        assert f"({len(SPEC['paths'])} paths)" in result.output

    def test_seed(self, app: Flask, client: FlaskClient, admin: Account) -> None:
        result = app.test_cli_runner().invoke(args=["seed", "--items", "50", "--users", "3"])
        assert result.exit_code == 0, result.output
        assert "Seeded 50 items for 3 demo users." in result.output
        everything = client.get("/api/admin/items?per_page=100", headers=admin.headers).json
        assert everything["total"] == 50 == len(everything["items"])
        active = sum(1 for item in everything["items"] if item["is_active"])
        assert client.get("/api/items").get_json()["total"] == active > 0
        demo = login(client, "demo1", "demo-password")
        assert client.get("/api/me/items", headers=demo.headers).status_code == 200

    def test_seed_zero_items(self, app: Flask, client: FlaskClient, admin: Account) -> None:
        result = app.test_cli_runner().invoke(args=["seed", "--items", "0", "--users", "1"])
        assert result.exit_code == 0, result.output
        assert client.get("/api/admin/items", headers=admin.headers).get_json()["total"] == 0

    def test_purge_revoked_tokens(self, app: Flask, client: FlaskClient, user: Account) -> None:
        live = login_body(client, user.username, user.password)
        with app.app_context():
            now = utcnow()
            db.session.add_all(
                [
                    RevokedToken(jti="expired-1", expires_at=now - timedelta(hours=1)),
                    RevokedToken(jti="expired-2", expires_at=now - timedelta(seconds=5)),
                    RevokedToken(jti="live-1", expires_at=now + timedelta(hours=1)),
                    RefreshToken(
                        jti="old-refresh",
                        family_id="fam",
                        user_id=user.id,
                        expires_at=now - timedelta(days=1),
                        version=0,
                    ),
                ]
            )
            db.session.commit()
            refresh_before = db.session.scalar(select(func.count()).select_from(RefreshToken))
        result = app.test_cli_runner().invoke(args=["purge-revoked-tokens"])
        assert result.exit_code == 0, result.output
        assert "Purged 3 expired token records and 0 idempotency keys." in result.output
        with app.app_context():
            assert set(db.session.scalars(select(RevokedToken.jti))) == {"live-1"}
            refresh_after = db.session.scalar(select(func.count()).select_from(RefreshToken))
            assert refresh_after == refresh_before - 1
            assert db.session.get(RefreshToken, "old-refresh") is None
        # Live tokens are untouched.
        response = client.post("/api/auth/refresh", json={"refresh_token": live["refresh_token"]})
        assert response.status_code == 200
