"""Passwords follow NIST SP 800-63B: at least 8 characters (not bytes), at most 72 bytes (bcrypt),
and not a common, breached or easily guessed one; `errors.password` says why. Every place that
sets a password applies the same rule; passwords set before the rule keep working."""

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from api.core.security import hash_password
from models import User, db
from tests.factories import random_email, random_name, random_password, random_user
from tests.helpers import Account, assert_error, login
from tests.spec import SPEC

REGISTER, CHANGE_PASSWORD = "/api/auth/register", "/api/auth/change-password"

WEAK = {
    "password": "password",
    "12345678": "12345678",
    "two-emoji": "😀😀",
    "four-emoji-16-bytes": "😀😀😀😀",
    "seven-accented-14-bytes": "ééééééé",
    "common-capitalised": "Password",
    "top-100": "qwertyuiop",
    "l33t-common": "p@ssw0rd!1",
    "repeat": "aaaaaaaaaaaa",
    "sequence": "abcdefghijkl",
    "seed-default": "admin2025",
}


@pytest.mark.parametrize("password", WEAK.values(), ids=WEAK.keys())
def test_register_refuses_a_weak_password_and_says_why(client: FlaskClient, password: str) -> None:
    body = assert_error(client.post(REGISTER, json=random_user(password=password)), 400)
    reason = body["errors"]["password"]
    assert reason.startswith(("must be at least 8 characters", "is ")), reason
    assert f"'{password}'" not in reason  # the password is never echoed back


@pytest.mark.parametrize(
    "password, reason",
    [
        ("😀😀", "at least 8 characters"),
        ("password", "commonly used"),
        ("12345678", "commonly used"),
        ("x" * 73, "at most 72 bytes"),
        ("é" * 37, "at most 72 bytes"),
    ],
)
def test_the_reason_names_the_rule(client: FlaskClient, password: str, reason: str) -> None:
    body = assert_error(client.post(REGISTER, json=random_user(password=password)), 400)
    assert reason in body["errors"]["password"]


def test_eight_characters_count_not_bytes(client: FlaskClient) -> None:
    """Eight non-ASCII characters are enough; four 4-byte emoji (16 bytes) are not."""
    accepted = client.post(REGISTER, json=random_user(password="ñ€ö✓ß日Ωж"))
    assert accepted.status_code == 201, accepted.get_json()
    assert_error(client.post(REGISTER, json=random_user(password="😀🎉🔥✨")), 400, "password")


def test_a_password_made_of_the_username_is_refused(client: FlaskClient) -> None:
    name = random_name()
    for password in (name, name.upper(), f"{name}1"):
        payload = random_user(username=name, password=password)
        assert_error(client.post(REGISTER, json=payload), 400, "password")


def test_the_weakness_is_reported_with_the_other_fields(client: FlaskClient) -> None:
    payload = {"username": "x", "email": random_email(), "password": "password"}
    body = assert_error(client.post(REGISTER, json=payload), 400, "username", "password")
    assert body["errors"]["password"] == "is a commonly used password"


def test_change_password_refuses_a_weak_new_password(client: FlaskClient, user: Account) -> None:
    for weak in ("password", "12345678", "😀😀"):
        response = client.post(
            CHANGE_PASSWORD,
            json={"current_password": user.password, "new_password": weak},
            headers=user.headers,
        )
        assert_error(response, 400, "new_password")
    login(client, user.username, user.password)  # unchanged


def test_users_with_passwords_from_before_the_policy_still_log_in(
    app: Flask, client: FlaskClient
) -> None:
    with app.app_context():
        db.session.add(
            User(
                username="oldtimer",
                email="oldtimer@example.com",
                password_hash=hash_password("12345678", rounds=4),
            )
        )
        db.session.commit()
    old = login(client, "oldtimer", "12345678")
    # ... and may move to a strong password
    strong = random_password()
    response = client.post(
        CHANGE_PASSWORD,
        json={"current_password": "12345678", "new_password": strong},
        headers=old.headers,
    )
    assert response.status_code == 200, response.get_json()
    login(client, "oldtimer", strong)


def test_create_admin_cli_refuses_a_weak_password(app_factory: Callable[..., Flask]) -> None:
    app = app_factory()
    runner = app.test_cli_runner()
    for weak in ("password", "admin2025", "12345678"):
        result = runner.invoke(args=["create-admin", "--username", "root3", "--password", weak])
        assert result.exit_code == 1, result.output
        assert "The admin password is" in result.output
        assert "Traceback" not in result.output
    with app.app_context():
        assert db.session.query(User).filter_by(username="root3").count() == 0


def test_factory_passwords_meet_the_policy(client: FlaskClient) -> None:
    for _ in range(20):
        response = client.post(REGISTER, json=random_user(password=random_password()))
        assert response.status_code == 201, response.get_json()


@pytest.mark.parametrize(
    "model, field", [("RegisterRequest", "password"), ("ChangePasswordRequest", "new_password")]
)
def test_spec_states_the_password_rule(model: str, field: str) -> None:
    schema: dict[str, Any] = SPEC["components"]["schemas"][model]["properties"][field]
    assert schema["minLength"] == 8
    assert schema["maxLength"] == 72
    assert "72 bytes" in schema["description"] and "8 characters" in schema["description"]
    assert "breached" in schema["description"]
