"""A login is a token family: once it is logged out, its password changed, its user deactivated
or a used refresh token replayed late, no token of it is ever honoured again, whatever ran
concurrently. A client that lost a refresh response may retry within the reuse interval and gets
the same pair back. Tokens carry and check `iss` and `aud`; a `sub` that is no user id is a 401.
"""

import time
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from models import db
from tests.helpers import (
    Account,
    assert_error,
    bearer,
    claims_of,
    login_body,
    race,
    refresh,
    register,
    sign,
)
from tests.loadclient import report

LOGOUT, ME = "/api/auth/logout", "/api/auth/me"
ROUNDS = 100
# The races loop for tens of seconds: they run in the full suite (`make test`), not the fast one.
RACE = pytest.mark.slow


def assert_dead(client: FlaskClient, pair: dict[str, Any]) -> None:
    """Neither the access token nor the refresh token of `pair` is honoured."""
    assert_error(client.get(ME, headers=bearer(pair["token"])), 401)
    assert_error(refresh(client, pair["refresh_token"]), 401)


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_app(
    request: pytest.FixtureRequest, app_factory: Callable[..., Flask], tmp_path: Any
) -> Flask:
    """An app on a database that several threads really share (a SQLite file, or PostgreSQL)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'race.db'}"
    else:
        url = request.getfixturevalue("module_postgres_url")
    # Hundreds of refreshes and logins from one test client: the limits are not under test here.
    return app_factory(SQLALCHEMY_DATABASE_URI=url, RATELIMIT_ENABLED=False)


# --- logout, password change and deactivation racing rotation --------------------------------


def logout_racing(app: Flask, rounds: int, attempts: int) -> None:
    """`rounds` times: a new login, then its logout at the same instant as `attempts`
    presentations of its refresh token (a rotation, then retries); afterwards every token
    issued in those rounds is refused, refreshing included."""
    client = app.test_client()
    account = register(client)
    issued: list[dict[str, Any]] = []
    outcomes: dict[int, int] = {}

    def present(token: str, delay: float) -> list[Any]:
        other = app.test_client()
        time.sleep(delay)
        return [refresh(other, token) for _ in range(attempts)]

    for number in range(rounds):
        pair = login_body(client, account.username, account.password)
        issued.append(pair)
        # The refresh starts 0-19 ms after the logout, sweeping every interleaving of the two.
        logged_out, rotations = race(
            partial(app.test_client().post, LOGOUT, headers=bearer(pair["token"])),
            partial(present, pair["refresh_token"], (number % 20) / 1000),
        )
        assert logged_out.status_code == 200
        for response in rotations:
            assert response.status_code in (200, 401), response.get_json()
            outcomes[response.status_code] = outcomes.get(response.status_code, 0) + 1
            if response.status_code == 200:
                issued.append(response.get_json())
    report(f"\n{rounds} rounds of logout racing {attempts} refresh(es): statuses {outcomes}")
    # Newest first: presenting an older, used token first would revoke the family (reuse
    # detection) and so hide a token that had escaped the logout.
    for pair in reversed(issued):
        assert_dead(client, pair)
    assert client.get(ME, headers=account.headers).status_code == 200  # another login lives


@RACE
def test_logout_racing_refresh_leaves_no_live_token(shared_app: Flask) -> None:
    """Issue 10.3: 100 rounds of logout against a refresh of the same login."""
    logout_racing(shared_app, ROUNDS, attempts=1)


@RACE
def test_logout_racing_refresh_and_its_retry_leaves_no_live_token(shared_app: Flask) -> None:
    """Issue 20.3: a retry within the reuse interval never outlives a logout either."""
    logout_racing(shared_app, ROUNDS // 2, attempts=2)


@RACE
def test_password_change_racing_refresh_leaves_no_live_token(shared_app: Flask) -> None:
    client = shared_app.test_client()
    account = register(client)
    issued: list[dict[str, Any]] = []
    password = account.password
    for round_number in range(20):
        pair = login_body(client, account.username, password)
        issued.append(pair)
        new_password = f"{account.password}-round-{round_number}"
        changed, rotated = race(
            partial(
                shared_app.test_client().post,
                "/api/auth/change-password",
                json={"current_password": password, "new_password": new_password},
                headers=bearer(pair["token"]),
            ),
            partial(refresh, shared_app.test_client(), pair["refresh_token"]),
        )
        assert changed.status_code == 200, changed.get_json()
        password = new_password
        if rotated.status_code == 200:
            issued.append(rotated.get_json())
    for pair in reversed(issued):
        assert_dead(client, pair)


@RACE
def test_duplicate_refreshes_at_once_get_one_pair_and_keep_the_login(shared_app: Flask) -> None:
    """Two presentations of one refresh token at the same instant (a client retrying at once):
    both get the same pair, and the login is not revoked."""
    client = shared_app.test_client()
    account = register(client)
    for _ in range(20):
        pair = login_body(client, account.username, account.password)
        first, second = race(
            partial(refresh, shared_app.test_client(), pair["refresh_token"]),
            partial(refresh, shared_app.test_client(), pair["refresh_token"]),
        )
        assert first.status_code == second.status_code == 200, (first.json, second.json)
        assert first.get_json()["refresh_token"] == second.get_json()["refresh_token"]
        assert first.get_json()["token"] == second.get_json()["token"]
        assert refresh(client, first.get_json()["refresh_token"]).status_code == 200


# --- the reuse interval (issue 20.3) ---------------------------------------------------------


def test_retry_within_the_reuse_interval_returns_the_same_pair(
    app: Flask, client: FlaskClient, user: Account
) -> None:
    app.config["REFRESH_REUSE_INTERVAL"] = 60
    pair = login_body(client, user.username, user.password)
    first = refresh(client, pair["refresh_token"])
    retry = refresh(client, pair["refresh_token"])
    assert first.status_code == retry.status_code == 200
    assert retry.get_json()["token"] == first.get_json()["token"]
    assert retry.get_json()["refresh_token"] == first.get_json()["refresh_token"]
    assert retry.get_json()["expires_in"] == first.get_json()["expires_in"]
    # the login lives on: the new pair works and rotates
    assert client.get(ME, headers=bearer(first.get_json()["token"])).status_code == 200
    assert refresh(client, first.get_json()["refresh_token"]).status_code == 200


def test_replay_after_the_reuse_interval_revokes_the_login(
    app: Flask, client: FlaskClient, user: Account
) -> None:
    app.config["REFRESH_REUSE_INTERVAL"] = 60
    pair = login_body(client, user.username, user.password)
    rotated = refresh(client, pair["refresh_token"]).get_json()
    assert refresh(client, pair["refresh_token"]).status_code == 200  # within: a retry
    app.config["REFRESH_REUSE_INTERVAL"] = 0  # the interval has passed
    body = assert_error(refresh(client, pair["refresh_token"]), 401)
    assert "log in again" in body["error"]
    assert_dead(client, rotated)
    assert_dead(client, pair)
    assert client.get(ME, headers=user.headers).status_code == 200  # other logins live


def test_retry_within_the_interval_after_logout_is_refused(
    app: Flask, client: FlaskClient, user: Account
) -> None:
    app.config["REFRESH_REUSE_INTERVAL"] = 60
    pair = login_body(client, user.username, user.password)
    rotated = refresh(client, pair["refresh_token"]).get_json()
    assert client.post(LOGOUT, headers=bearer(rotated["token"])).status_code == 200
    assert_error(refresh(client, pair["refresh_token"]), 401)
    assert_dead(client, rotated)


def test_retry_after_password_change_is_refused(
    app: Flask, client: FlaskClient, user: Account
) -> None:
    app.config["REFRESH_REUSE_INTERVAL"] = 60
    pair = login_body(client, user.username, user.password)
    rotated = refresh(client, pair["refresh_token"]).get_json()
    changed = client.post(
        "/api/auth/change-password",
        json={"current_password": user.password, "new_password": user.password + "-changed"},
        headers=bearer(rotated["token"]),
    )
    assert changed.status_code == 200
    assert_error(refresh(client, pair["refresh_token"]), 401)
    assert_dead(client, rotated)


def test_stored_token_records_hold_no_usable_token(
    app: Flask, client: FlaskClient, user: Account
) -> None:
    """A leaked database yields no token: only ids and times are stored (the retry's pair is
    re-signed from the parent's id, not read back)."""
    pair = login_body(client, user.username, user.password)
    rotated = refresh(client, pair["refresh_token"]).get_json()
    with app.app_context():
        dump = repr(
            [
                db.session.execute(text(f"SELECT * FROM {table}")).all()
                for table in ("refresh_tokens", "token_families", "revoked_tokens")
            ]
        )
    for token in (pair["token"], pair["refresh_token"], rotated["token"], rotated["refresh_token"]):
        signature = token.rsplit(".", 1)[1]
        assert signature not in dump and token not in dump


# --- iss, aud and sub (issue 10.12 and 10.6) ---------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"iss": None},
        {"aud": None},
        {"iss": "someone-else"},
        {"aud": "another-api"},
        {"aud": ["another-api"]},
    ],
    ids=["no-iss", "no-aud", "other-iss", "other-aud", "other-aud-list"],
)
def test_token_without_our_issuer_or_audience_is_401(
    app: Flask, client: FlaskClient, user: Account, overrides: dict[str, Any]
) -> None:
    claims = claims_of(user.token, **overrides)
    for name, value in overrides.items():
        if value is None:
            del claims[name]
    assert_error(client.get(ME, headers=bearer(sign(app, claims))), 401)
    pair = login_body(client, user.username, user.password)
    refresh_claims = claims_of(pair["refresh_token"], **overrides)
    for name, value in overrides.items():
        if value is None:
            del refresh_claims[name]
    assert_error(refresh(client, sign(app, refresh_claims)), 401)
    assert refresh(client, pair["refresh_token"]).status_code == 200  # not burned by the forgery


def test_tokens_carry_issuer_and_audience(app: Flask, client: FlaskClient, user: Account) -> None:
    claims = claims_of(user.token)
    assert claims["iss"] == app.config["JWT_ISSUER"] == "backend-auth"
    assert claims["aud"] == app.config["JWT_AUDIENCE"] == "backend-api"


def test_token_for_another_audience_with_the_same_key_is_401(
    app_factory: Callable[..., Flask], user: Account, client: FlaskClient
) -> None:
    other = app_factory(JWT_AUDIENCE="reporting-api", JWT_ISSUER="reporting-auth")
    assert_error(other.test_client().get(ME, headers=user.headers), 401)
    assert other.test_client().get(ME).status_code == 401


@pytest.mark.parametrize(
    "subject",
    ["12345678901234567890", "١٢", "𝟏", "0012", "1 ", "+1", "2147483648", "1e3", 12],
    ids=["20-digits", "arabic-digits", "math-digit", "leading-zeros", "space", "plus",
         "over-int32", "exponent", "number-not-string"],
)  # fmt: skip
def test_signed_token_whose_subject_is_no_user_id_is_401(
    app: Flask, client: FlaskClient, user: Account, subject: Any
) -> None:
    """Issue 10.6: a validly signed token with such a `sub` was a 500 (or, for '١٢', user 12)."""
    forged = sign(app, claims_of(user.token, sub=subject))
    assert_error(client.get(ME, headers=bearer(forged)), 401)
    assert_error(client.get("/api/items", headers=bearer(forged)), 401)
    pair = login_body(client, user.username, user.password)
    assert_error(refresh(client, sign(app, claims_of(pair["refresh_token"], sub=subject))), 401)


@pytest.mark.parametrize("name", ["exp", "iat"])
def test_a_signed_token_with_a_time_written_as_text_is_401_every_time(
    app: Flask, client: FlaskClient, user: Account, name: str
) -> None:
    """PyJWT reads "9999999999" as a time: the first request passed, the second (from the cache
    of verified tokens, which compares numbers) was a 500."""
    claims = claims_of(user.token)
    claims[name] = str(claims[name])
    forged = bearer(sign(app, claims))
    for _ in range(2):
        assert_error(client.get(ME, headers=forged), 401)
