"""Refresh tokens: issued with every login, rotated on use, revoked as a family when one is
reused, by logout, by a password change or deactivation; never usable as an access token.
"""

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.factories import random_email, random_name, random_password
from tests.helpers import (
    Account,
    assert_error,
    bearer,
    login_body,
    refresh,
)


class TestRefreshTokens:
    def test_register_and_login_return_refresh_tokens(self, client: FlaskClient) -> None:
        password = random_password()
        name = random_name()
        registered = client.post(
            "/api/auth/register",
            json={"username": name, "email": random_email(), "password": password},
        )
        assert registered.status_code == 201
        body = registered.get_json()
        assert body["refresh_token"] and body["refresh_token"] != body["token"]
        assert body["refresh_expires_in"] > body["expires_in"] > 0
        logged_in = login_body(client, name, password)
        assert logged_in["refresh_token"] not in (body["refresh_token"], logged_in["token"])
        assert refresh(client, body["refresh_token"]).status_code == 200

    def test_rotation_gives_new_working_tokens(self, client: FlaskClient, user: Account) -> None:
        first = login_body(client, user.username, user.password)
        response = refresh(client, first["refresh_token"])
        assert response.status_code == 200
        body = response.get_json()
        assert body["token_type"] == "Bearer"
        assert body["token"] != first["token"]
        assert body["refresh_token"] != first["refresh_token"]
        assert body["user"]["id"] == user.id
        me = client.get("/api/auth/me", headers=bearer(body["token"]))
        assert me.status_code == 200 and me.get_json()["id"] == user.id
        # The rotated-to token rotates again.
        again = refresh(client, body["refresh_token"])
        assert again.status_code == 200
        assert (
            client.get("/api/auth/me", headers=bearer(again.get_json()["token"])).status_code == 200
        )

    def test_reuse_revokes_the_whole_family(
        self, app: Flask, client: FlaskClient, user: Account
    ) -> None:
        app.config["REFRESH_REUSE_INTERVAL"] = 0  # the reuse below comes after the retry window
        first = login_body(client, user.username, user.password)
        other_login = login_body(client, user.username, user.password)
        second = refresh(client, first["refresh_token"]).get_json()
        assert client.get("/api/auth/me", headers=bearer(second["token"])).status_code == 200

        reuse = refresh(client, first["refresh_token"])
        assert_error(reuse, 401)
        assert_error(refresh(client, second["refresh_token"]), 401)
        assert_error(client.get("/api/auth/me", headers=bearer(second["token"])), 401)
        assert_error(client.get("/api/auth/me", headers=bearer(first["token"])), 401)
        # Another login of the same user is a different family and keeps working.
        assert client.get("/api/auth/me", headers=bearer(other_login["token"])).status_code == 200
        assert refresh(client, other_login["refresh_token"]).status_code == 200

    def test_logout_revokes_refresh_token(self, client: FlaskClient, user: Account) -> None:
        body = login_body(client, user.username, user.password)
        assert client.post("/api/auth/logout", headers=bearer(body["token"])).status_code == 200
        assert_error(refresh(client, body["refresh_token"]), 401)
        assert_error(client.get("/api/auth/me", headers=bearer(body["token"])), 401)

    def test_logout_after_rotation_revokes_the_rotated_refresh_token(
        self, client: FlaskClient, user: Account
    ) -> None:
        body = login_body(client, user.username, user.password)
        rotated = refresh(client, body["refresh_token"]).get_json()
        assert client.post("/api/auth/logout", headers=bearer(rotated["token"])).status_code == 200
        assert_error(refresh(client, rotated["refresh_token"]), 401)

    def test_password_change_kills_old_refresh_tokens(
        self, client: FlaskClient, user: Account
    ) -> None:
        old = login_body(client, user.username, user.password)
        changed = client.post(
            "/api/auth/change-password",
            json={"current_password": user.password, "new_password": "brand-new-password"},
            headers=bearer(old["token"]),
        )
        assert changed.status_code == 200
        assert_error(refresh(client, old["refresh_token"]), 401)
        fresh = refresh(client, changed.get_json()["refresh_token"])
        assert fresh.status_code == 200
        assert (
            client.get("/api/auth/me", headers=bearer(fresh.get_json()["token"])).status_code == 200
        )

    def test_deactivated_user_cannot_refresh(
        self, client: FlaskClient, admin: Account, user: Account
    ) -> None:
        body = login_body(client, user.username, user.password)
        assert (
            client.patch(
                f"/api/admin/users/{user.id}", json={"is_active": False}, headers=admin.headers
            ).status_code
            == 200
        )
        assert_error(refresh(client, body["refresh_token"]), 401)

    def test_token_kinds_are_not_interchangeable(self, client: FlaskClient, user: Account) -> None:
        body = login_body(client, user.username, user.password)
        assert_error(refresh(client, body["token"]), 401)
        assert_error(client.get("/api/auth/me", headers=bearer(body["refresh_token"])), 401)
        # Neither failure burned the real refresh token.
        assert refresh(client, body["refresh_token"]).status_code == 200

    @pytest.mark.parametrize("garbage", ["garbage", "a.b.c", "x" * 500])
    def test_garbage_refresh_token_is_401(self, client: FlaskClient, garbage: str) -> None:
        assert_error(refresh(client, garbage), 401)

    def test_missing_refresh_token_is_400(self, client: FlaskClient) -> None:
        body = assert_error(client.post("/api/auth/refresh", json={}), 400)
        assert "refresh_token" in body["errors"]
