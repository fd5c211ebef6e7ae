"""The auth namespace through HTTP: register, login, me, logout, change-password, throttling."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.factories import random_user
from tests.helpers import ADMIN, USER_FIELDS, assert_error, bearer, fail_login, login, register

REGISTER = "/api/auth/register"
LOGIN = "/api/auth/login"
ME = "/api/auth/me"
LOGOUT = "/api/auth/logout"
CHANGE_PASSWORD = "/api/auth/change-password"


def assert_token_body(body: dict[str, Any]) -> None:
    assert {"token", "token_type", "expires_in", "user"} <= set(body)
    assert isinstance(body["token"], str) and body["token"].count(".") == 2
    assert body["token_type"] == "Bearer"
    assert isinstance(body["expires_in"], int) and body["expires_in"] > 0
    assert USER_FIELDS <= set(body["user"])
    assert "password_hash" not in body["user"]
    assert "password" not in body["user"]


def parse_utc(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    assert parsed.utcoffset() == timedelta(0), value
    return parsed


# --- register -------------------------------------------------------------------------------


def test_register_returns_201_with_token_and_user(client):
    payload = random_user()
    response = client.post(REGISTER, json=payload)
    assert response.status_code == 201
    body = response.get_json()
    assert_token_body(body)
    user = body["user"]
    assert user["username"] == payload["username"]
    assert user["email"] == payload["email"]
    assert user["is_admin"] is False
    assert user["is_active"] is True
    assert user["last_login"] is None
    assert isinstance(user["id"], int)
    assert abs(parse_utc(user["created_at"]) - datetime.now(UTC)) < timedelta(minutes=1)


def test_register_token_works_immediately(client):
    body = client.post(REGISTER, json=random_user()).get_json()
    response = client.get(ME, headers=bearer(body["token"]))
    assert response.status_code == 200
    assert response.get_json()["id"] == body["user"]["id"]


def test_registered_user_can_log_in(client):
    payload = random_user()
    assert client.post(REGISTER, json=payload).status_code == 201
    account = login(client, payload["username"], payload["password"])
    assert account.username == payload["username"]


def test_register_stores_email_lowercased(client):
    response = client.post(REGISTER, json=random_user(email="Mixed.Case@Example.COM"))
    assert response.status_code == 201
    assert response.get_json()["user"]["email"] == "mixed.case@example.com"


@pytest.mark.parametrize(
    "username",
    [
        "abc",
        "a" * 80,
        "A.b-c_9",
        "___",
        "0123456789",
        "Name.With-All_Kinds",
    ],
    ids=["3-chars", "80-chars", "mixed", "underscores", "digits", "all-classes"],
)
def test_register_accepts_valid_usernames(client, username):
    response = client.post(REGISTER, json=random_user(username=username))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["user"]["username"] == username


@pytest.mark.parametrize(
    "username",
    [
        "ab",
        "a" * 81,
        "",
        "has space",
        "with@at",
        "semi;colon",
        "slash/name",
        "quote'name",
        "tab\tname",
        "abc\n",
        "\nabc",
        " abc ",
        "ünïcode",
        "emoji😀x",
        "<script>",
    ],
    ids=[
        "2-chars",
        "81-chars",
        "empty",
        "space",
        "at-sign",
        "semicolon",
        "slash",
        "quote",
        "tab",
        "trailing-newline",
        "leading-newline",
        "padded",
        "non-ascii",
        "emoji",
        "markup",
    ],
)
def test_register_rejects_invalid_usernames(client, username):
    response = client.post(REGISTER, json=random_user(username=username))
    assert_error(response, 400, "username")


@pytest.mark.parametrize(
    "email",
    [
        "plainaddress",
        "missing-at.example.com",
        "@example.com",
        "user@",
        "user@example",
        "user@@example.com",
        "us er@example.com",
        "user@exa mple.com",
        "user@example.com.",
        "",
        "a@b.c" + "o" * 260,
    ],
    ids=[
        "no-at",
        "no-at-dotted",
        "no-local",
        "no-domain",
        "no-tld",
        "double-at",
        "space-local",
        "space-domain",
        "trailing-dot",
        "empty",
        "too-long",
    ],
)
def test_register_rejects_invalid_emails(client, email):
    response = client.post(REGISTER, json=random_user(email=email))
    assert_error(response, 400, "email")


@pytest.mark.parametrize(
    "password",
    [
        "k7#Qm2vZ",  # 8 characters
        "The quick brown fox jumps over the lazy dog while 7 wizards box 9 jugs!!",
        "ñéüöäçàèìòùâêîôûëïÿœæåøßðþáíóúýčšžřě",  # 36 characters, 72 bytes in UTF-8
        "日本語のパスワードは長くても安全ですか本当に大丈",  # 24 characters, 72 bytes
        "pass word with spaces",
    ],
    ids=["8-chars", "72-ascii", "72-bytes-2byte-chars", "72-bytes-3byte-chars", "spaces"],
)
def test_register_accepts_passwords_of_8_to_72_bytes(client, password):
    payload = random_user(password=password)
    response = client.post(REGISTER, json=payload)
    assert response.status_code == 201, response.get_json()
    assert login(client, payload["username"], password).id == response.get_json()["user"]["id"]


@pytest.mark.parametrize(
    "password",
    [
        "",
        "x" * 7,
        "x" * 73,
        "é" * 36 + "x",  # 36 characters + 1, but 73 bytes
        "€" * 24 + "x",  # 25 characters, 73 bytes
        "😀" * 19,  # 19 characters, 76 bytes
        "x" * 10_000,
    ],
    ids=[
        "empty",
        "7-bytes",
        "73-ascii",
        "73-bytes-2byte",
        "73-bytes-3byte",
        "76-bytes-4byte",
        "huge",
    ],
)
def test_register_rejects_passwords_outside_8_to_72_bytes(client, password):
    response = client.post(REGISTER, json=random_user(password=password))
    assert_error(response, 400, "password")


def test_register_duplicate_username_is_409(client, user):
    response = client.post(REGISTER, json=random_user(username=user.username))
    body = assert_error(response, 409)
    assert "username" in body.get("errors", {}) or "username" in body["error"].lower()


@pytest.mark.parametrize("transform", [str.upper, str.capitalize, str.swapcase])
def test_register_username_differing_only_in_case_is_409(client, transform):
    original = register(client, username="CaseUser_x")
    response = client.post(REGISTER, json=random_user(username=transform(original.username)))
    assert_error(response, 409)


def test_register_duplicate_email_is_409(client, user):
    response = client.post(REGISTER, json=random_user(email=user.email))
    body = assert_error(response, 409)
    assert "email" in body.get("errors", {}) or "email" in body["error"].lower()


def test_register_duplicate_email_differing_in_case_is_409(client, user):
    response = client.post(REGISTER, json=random_user(email=user.email.upper()))
    assert_error(response, 409)


def test_register_admin_username_is_taken(client):
    assert_error(client.post(REGISTER, json=random_user(username=ADMIN["username"])), 409)


def test_register_failed_duplicate_creates_nothing(client, admin, user):
    client.post(REGISTER, json=random_user(username=user.username))
    stats = client.get("/api/admin/stats", headers=admin.headers).get_json()
    assert stats["users"]["total"] == 2  # admin + user


def test_register_ignores_is_admin(client, admin):
    payload = random_user(is_admin=True, is_active=False)
    response = client.post(REGISTER, json=payload)
    assert response.status_code == 201
    created = response.get_json()["user"]
    assert created["is_admin"] is False
    assert created["is_active"] is True
    token = response.get_json()["token"]
    assert client.get(ME, headers=bearer(token)).get_json()["is_admin"] is False
    assert client.get("/api/admin/stats", headers=bearer(token)).status_code == 403
    assert client.get("/api/admin/stats", headers=admin.headers).get_json()["users"]["admins"] == 1


def test_register_ignores_other_extra_fields(client):
    payload = random_user(
        id=9999,
        created_at="2000-01-01T00:00:00+00:00",
        last_login="2000-01-01T00:00:00+00:00",
        password_hash="$2b$04$" + "x" * 53,
        token_version=42,
    )
    response = client.post(REGISTER, json=payload)
    assert response.status_code == 201
    created = response.get_json()["user"]
    assert created["id"] != 9999
    assert created["last_login"] is None
    assert not created["created_at"].startswith("2000")
    login(client, payload["username"], payload["password"])  # the real password was hashed


@pytest.mark.parametrize("field", ["username", "email", "password"])
@pytest.mark.parametrize(
    "value", [None, 123, 1.5, True, [], {}, ["alice"]], ids=lambda v: type(v).__name__
)
def test_register_rejects_wrong_json_types(client, field, value):
    response = client.post(REGISTER, json=random_user(**{field: value}))
    assert_error(response, 400, field)


@pytest.mark.parametrize("field", ["username", "email", "password"])
def test_register_rejects_missing_field(client, field):
    payload = random_user()
    del payload[field]
    assert_error(client.post(REGISTER, json=payload), 400, field)


def test_register_empty_object_reports_every_field(client):
    assert_error(client.post(REGISTER, json={}), 400, "username", "email", "password")


@pytest.mark.parametrize("body", ["[]", "[1, 2]", '"alice"', "42", "true", "null"], ids=lambda b: b)
def test_register_rejects_non_object_body(client, body):
    response = client.post(REGISTER, data=body, content_type="application/json")
    assert_error(response, 400)
    assert "errors" in response.get_json()


# --- login ----------------------------------------------------------------------------------


def test_login_by_username(client, user):
    response = client.post(LOGIN, json={"username": user.username, "password": user.password})
    assert response.status_code == 200
    body = response.get_json()
    assert_token_body(body)
    assert body["user"]["id"] == user.id
    assert client.get(ME, headers=bearer(body["token"])).get_json()["id"] == user.id


def test_login_by_email(client, user):
    response = client.post(LOGIN, json={"username": user.email, "password": user.password})
    assert response.status_code == 200
    assert response.get_json()["user"]["id"] == user.id


def test_login_by_email_is_case_insensitive(client, user):
    response = client.post(LOGIN, json={"username": user.email.upper(), "password": user.password})
    assert response.status_code == 200
    assert response.get_json()["user"]["id"] == user.id


@pytest.mark.parametrize("transform", [str.upper, str.swapcase])
def test_login_username_is_case_insensitive(client, user, transform):
    response = client.post(
        LOGIN, json={"username": transform(user.username), "password": user.password}
    )
    assert response.status_code == 200
    assert response.get_json()["user"]["id"] == user.id


def test_login_default_admin(client):
    response = client.post(
        LOGIN, json={"username": ADMIN["username"], "password": ADMIN["password"]}
    )
    assert response.status_code == 200
    assert response.get_json()["user"]["is_admin"] is True


def test_login_password_is_case_sensitive(client, user):
    response = client.post(
        LOGIN, json={"username": user.username, "password": user.password.swapcase()}
    )
    assert_error(response, 401)


def test_login_failures_share_one_message(client, user, admin):
    inactive = register(client)
    assert (
        client.post(f"/api/admin/users/{inactive.id}/toggle", headers=admin.headers).status_code
        == 200
    )
    attempts = {
        "wrong password": {"username": user.username, "password": "wrong-password-1"},
        "unknown user": {"username": "nobody_here", "password": "wrong-password-1"},
        "unknown email": {"username": "nobody@example.com", "password": "wrong-password-1"},
        "inactive user": {"username": inactive.username, "password": inactive.password},
        "overlong password": {"username": user.username, "password": user.password + "x" * 80},
    }
    bodies = {}
    for label, payload in attempts.items():
        response = client.post(LOGIN, json=payload)
        bodies[label] = assert_error(response, 401)
        assert "errors" not in bodies[label], label
    assert len({body["error"] for body in bodies.values()}) == 1, bodies


def test_login_inactive_user_with_right_password_is_401(client, user, admin):
    response = client.post(f"/api/admin/users/{user.id}/toggle", headers=admin.headers)
    assert response.status_code == 200
    assert response.get_json()["is_active"] is False
    response = client.post(LOGIN, json={"username": user.username, "password": user.password})
    assert_error(response, 401)


def test_login_updates_last_login(client, user):
    me = client.get(ME, headers=user.headers).get_json()
    assert me["last_login"] is None
    before = datetime.now(UTC) - timedelta(seconds=1)
    body = client.post(
        LOGIN, json={"username": user.username, "password": user.password}
    ).get_json()
    first = parse_utc(body["user"]["last_login"])
    assert before <= first <= datetime.now(UTC) + timedelta(seconds=1)
    assert parse_utc(client.get(ME, headers=user.headers).get_json()["last_login"]) == first
    second = login(client, user.username, user.password)
    later = parse_utc(client.get(ME, headers=second.headers).get_json()["last_login"])
    assert later >= first


def test_failed_login_does_not_update_last_login(client, user):
    client.post(LOGIN, json={"username": user.username, "password": "wrong-password-1"})
    assert client.get(ME, headers=user.headers).get_json()["last_login"] is None


@pytest.mark.parametrize(
    "payload, fields",
    [
        ({}, ("username", "password")),
        ({"username": "alice"}, ("password",)),
        ({"password": "secret-pass"}, ("username",)),
        ({"username": "", "password": "secret-pass"}, ("username",)),
        ({"username": "alice", "password": ""}, ("password",)),
        ({"username": None, "password": "secret-pass"}, ("username",)),
        ({"username": 42, "password": "secret-pass"}, ("username",)),
        ({"username": "alice", "password": ["x"]}, ("password",)),
    ],
    ids=[
        "empty",
        "no-password",
        "no-username",
        "empty-username",
        "empty-password",
        "null-username",
        "int-username",
        "list-password",
    ],
)
def test_login_rejects_invalid_body(client, payload, fields):
    assert_error(client.post(LOGIN, json=payload), 400, *fields)


def test_login_rejects_non_object_body(client):
    assert_error(client.post(LOGIN, json=["admin", "admin-password-1"]), 400)


# --- me ---------------------------------------------------------------------------------------


def test_me_returns_current_user(client, user):
    response = client.get(ME, headers=user.headers)
    assert response.status_code == 200
    body = response.get_json()
    assert USER_FIELDS <= set(body)
    assert "password_hash" not in body
    assert body["id"] == user.id
    assert body["username"] == user.username
    assert body["email"] == user.email
    assert body["is_admin"] is False
    assert body["is_active"] is True


def test_me_for_admin(client, admin):
    body = client.get(ME, headers=admin.headers).get_json()
    assert body["username"] == ADMIN["username"]
    assert body["is_admin"] is True


def test_me_distinguishes_users(client, user, other_user):
    assert client.get(ME, headers=user.headers).get_json()["id"] == user.id
    assert client.get(ME, headers=other_user.headers).get_json()["id"] == other_user.id


def test_me_requires_token(client):
    response = client.get(ME)
    assert_error(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


# --- logout -----------------------------------------------------------------------------------


def test_logout_revokes_the_token(client, user):
    response = client.post(LOGOUT, headers=user.headers)
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"message"}
    assert isinstance(body["message"], str) and body["message"]
    assert_error(client.get(ME, headers=user.headers), 401)
    assert_error(client.post(LOGOUT, headers=user.headers), 401)


def test_logout_only_revokes_that_token(client, user):
    second = login(client, user.username, user.password)
    assert client.post(LOGOUT, headers=user.headers).status_code == 200
    assert client.get(ME, headers=second.headers).status_code == 200
    assert_error(client.get(ME, headers=user.headers), 401)


def test_logout_then_login_again_works(client, user):
    client.post(LOGOUT, headers=user.headers)
    fresh = login(client, user.username, user.password)
    assert client.get(ME, headers=fresh.headers).status_code == 200


def test_logout_requires_token(client):
    assert_error(client.post(LOGOUT), 401)


# --- change-password --------------------------------------------------------------------------


def change_password(client: Any, account: Any, current: str, new: str) -> Any:
    return client.post(
        CHANGE_PASSWORD,
        json={"current_password": current, "new_password": new},
        headers=account.headers,
    )


def test_change_password_returns_a_fresh_working_token(client, user):
    response = change_password(client, user, user.password, "brand-new-password")
    assert response.status_code == 200
    body = response.get_json()
    assert_token_body(body)
    assert body["user"]["id"] == user.id
    assert body["token"] != user.token
    assert client.get(ME, headers=bearer(body["token"])).get_json()["id"] == user.id


def test_change_password_kills_old_tokens(client, user):
    other_session = login(client, user.username, user.password)
    response = change_password(client, user, user.password, "brand-new-password")
    assert response.status_code == 200
    assert_error(client.get(ME, headers=user.headers), 401)
    assert_error(client.get(ME, headers=other_session.headers), 401)


def test_change_password_new_works_old_fails(client, user):
    assert change_password(client, user, user.password, "brand-new-password").status_code == 200
    assert login(client, user.username, "brand-new-password").id == user.id
    response = client.post(LOGIN, json={"username": user.username, "password": user.password})
    assert_error(response, 401)


def test_change_password_wrong_current_is_400(client, user):
    response = change_password(client, user, "not-the-password", "brand-new-password")
    assert_error(response, 400, "current_password")
    # Nothing changed: the token and the old password still work.
    assert client.get(ME, headers=user.headers).status_code == 200
    login(client, user.username, user.password)


@pytest.mark.parametrize(
    "new_password",
    ["", "short", "x" * 7, "ééé", "x" * 73, "é" * 36 + "x"],
    ids=["empty", "5-bytes", "7-bytes", "6-bytes-multibyte", "73-ascii", "73-bytes-multibyte"],
)
def test_change_password_rejects_invalid_new_password(client, user, new_password):
    response = change_password(client, user, user.password, new_password)
    assert_error(response, 400, "new_password")
    assert client.get(ME, headers=user.headers).status_code == 200
    login(client, user.username, user.password)


def test_change_password_accepts_72_byte_multibyte_password(client, user):
    new_password = "日本語のパスワードは長くても安全ですか本当に大丈"  # 24 characters, 72 bytes
    assert change_password(client, user, user.password, new_password).status_code == 200
    assert login(client, user.username, new_password).id == user.id


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"new_password": "brand-new-password"}, "current_password"),
        ({"current_password": "whatever-1"}, "new_password"),
        ({"current_password": None, "new_password": "brand-new-password"}, "current_password"),
        ({"current_password": "whatever-1", "new_password": 12345678}, "new_password"),
    ],
    ids=["no-current", "no-new", "null-current", "int-new"],
)
def test_change_password_rejects_invalid_body(client, user, payload, field):
    response = client.post(CHANGE_PASSWORD, json=payload, headers=user.headers)
    assert_error(response, 400, field)


def test_change_password_requires_token(client):
    response = client.post(
        CHANGE_PASSWORD,
        json={"current_password": "whatever-1", "new_password": "brand-new-password"},
    )
    assert_error(response, 401)


# --- rate limiting of failed logins -----------------------------------------------------------


def test_failed_logins_are_rate_limited_per_username(app_factory):
    client = app_factory(LOGIN_RATE_LIMIT="3 per minute").test_client()
    for _ in range(3):
        assert_error(fail_login(client, "admin"), 401)
    response = fail_login(client, "admin")
    body = assert_error(response, 429)
    assert int(response.headers["Retry-After"]) > 0
    assert "errors" not in body
    # Once limited, even the right password waits (no brute-forcing around the limit).
    response = client.post(LOGIN, json={"username": "admin", "password": ADMIN["password"]})
    assert_error(response, 429)


def test_username_limit_ignores_case(app_factory):
    client = app_factory(LOGIN_RATE_LIMIT="3 per minute").test_client()
    for name in ("admin", "ADMIN", "Admin"):
        assert_error(fail_login(client, name), 401)
    assert_error(fail_login(client, "aDmIn"), 429)


def test_username_limit_does_not_affect_other_usernames(app_factory):
    app = app_factory(LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    other = register(client)
    for _ in range(4):
        fail_login(client, "admin")
    assert_error(fail_login(client, "admin"), 429)
    assert_error(fail_login(client, other.username), 401)
    assert login(client, other.username, other.password).id == other.id


def test_successful_logins_are_not_counted(app_factory):
    client = app_factory(LOGIN_RATE_LIMIT="3 per minute").test_client()
    for _ in range(6):
        login(client, ADMIN["username"], ADMIN["password"])
    for _ in range(3):
        assert_error(fail_login(client, "admin"), 401)
    assert_error(fail_login(client, "admin"), 429)


def test_validation_errors_are_not_counted(app_factory):
    client = app_factory(LOGIN_RATE_LIMIT="3 per minute").test_client()
    for _ in range(5):
        assert_error(client.post(LOGIN, json={"username": "admin"}), 400, "password")
    login(client, ADMIN["username"], ADMIN["password"])


def test_failed_logins_are_rate_limited_per_address(app_factory):
    client = app_factory(
        LOGIN_RATE_LIMIT="100 per minute", LOGIN_IP_RATE_LIMIT="3 per minute"
    ).test_client()
    for index in range(3):
        assert_error(fail_login(client, f"nobody_{index}"), 401)
    response = fail_login(client, "someone_else")
    assert_error(response, 429)
    assert int(response.headers["Retry-After"]) > 0
    # Another address is not affected.
    other = {"environ_base": {"REMOTE_ADDR": "203.0.113.7"}}
    assert_error(fail_login(client, "someone_else", **other), 401)
    response = client.post(
        LOGIN, json={"username": ADMIN["username"], "password": ADMIN["password"]}, **other
    )
    assert response.status_code == 200


def test_default_limits_allow_normal_use(client, user):
    for _ in range(5):
        fail_login(client, user.username)
    for _ in range(30):
        assert client.get(ME, headers=user.headers).status_code == 200
    for _ in range(5):
        assert login(client, user.username, user.password).id == user.id


@pytest.mark.parametrize(
    ("path", "field", "secret"),
    [
        ("/api/auth/login", "password", "MySecretPassw0rd!" * 70),
        ("/api/auth/login", "password", 31415926535),
        ("/api/auth/change-password", "current_password", "MySecretPassw0rd!" * 70),
        ("/api/auth/refresh", "refresh_token", ["MySecretRefresh"]),
    ],
)
def test_validation_errors_never_quote_a_secret(client, user, path, field, secret):
    body = {"username": user.username, "password": user.password, "new_password": "x" * 12}
    response = client.post(path, json={**body, field: secret}, headers=user.headers)
    errors = assert_error(response, 400, field)["errors"]
    assert "MySecret" not in response.get_data(as_text=True)
    assert "31415926535" not in response.get_data(as_text=True)
    assert errors[field].startswith("must ")
