"""Personal access tokens: created with scopes and an expiry, shown once, stored hashed, listed,
revoked by their owner or an admin, audited, and dead with a deactivated account."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from models import AuditEntry, PersonalAccessToken, db
from tests.helpers import bearer

ALL_FIELDS = {"id", "user_id", "name", "prefix", "scopes", "created_at", "expires_at"}


def create(client, account, **fields):
    body = {"name": "ci", "scopes": ["items:read"], "expires_in_days": 30, **fields}
    body = {key: value for key, value in body.items() if value is not None}
    return client.post("/api/me/tokens", json=body, headers=account.headers)


@pytest.fixture
def pat(client, user):
    response = create(client, user, scopes=["items:read", "items:write", "account"])
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_created_token_is_shown_once_with_a_recognisable_prefix(client, user, pat):
    assert pat["token"].startswith("bapi_pat_") and len(pat["token"]) > 40
    assert pat["token"].startswith(pat["prefix"])
    assert pat["scopes"] == ["items:read", "items:write", "account"]
    assert pat["user_id"] == user.id
    expires = datetime.fromisoformat(pat["expires_at"])
    assert timedelta(days=29) < expires - datetime.now(UTC) <= timedelta(days=30)
    listed = client.get("/api/me/tokens", headers=user.headers).get_json()
    assert listed["total"] == 1
    [entry] = listed["items"]
    assert "token" not in entry
    assert ALL_FIELDS <= set(entry) and entry["last_used_at"] is None


def test_token_works_as_a_bearer_token_within_its_scopes(client, user, pat):
    headers = bearer(pat["token"])
    created = client.post("/api/items", json={"name": "from ci"}, headers=headers)
    assert created.status_code == 201
    assert created.get_json()["user_id"] == user.id
    assert client.get("/api/me/items", headers=headers).get_json()["total"] == 1
    upload = client.post("/api/upload", data={}, headers=headers)
    assert upload.status_code == 403
    assert upload.headers["WWW-Authenticate"] == (
        'Bearer error="insufficient_scope", scope="uploads:write"'
    )


def test_a_login_only_operation_refuses_a_token_without_naming_a_scope(client, user):
    """A challenge naming `account` to a token that has it would send a client in circles."""
    pat = create(client, user, scopes=["account"]).get_json()
    refused = client.post(
        "/api/me/tokens",
        json={"name": "n", "scopes": ["account"], "expires_in_days": 1},
        headers=bearer(pat["token"]),
    )
    assert refused.status_code == 403
    challenge = refused.headers["WWW-Authenticate"]
    assert "scope=" not in challenge and "interactive login" in challenge


def test_only_a_hash_is_stored(app, client, pat):
    with app.app_context():
        row = db.session.get(PersonalAccessToken, pat["id"])
        stored = " ".join(str(value) for value in row.to_dict().values()) + row.token_hash
    assert pat["token"] not in stored
    assert len(row.token_hash) == 64


def test_a_token_rebuilt_from_the_database_does_not_work(app, client, pat):
    with app.app_context():
        row = db.session.get(PersonalAccessToken, pat["id"])
    for guess in (row.token_hash, row.prefix, f"bapi_pat_{row.token_hash}"):
        assert client.get("/api/auth/me", headers=bearer(guess)).status_code == 401


def test_revoked_token_is_401(client, user, pat):
    response = client.delete(f"/api/me/tokens/{pat['id']}", headers=user.headers)
    assert response.status_code == 204
    refused = client.get("/api/me/items", headers=bearer(pat["token"]))
    assert refused.status_code == 401
    assert client.get("/api/me/tokens", headers=user.headers).get_json()["total"] == 0
    again = client.delete(f"/api/me/tokens/{pat['id']}", headers=user.headers)
    assert again.status_code == 404


def test_a_token_may_revoke_itself_with_the_account_scope(client, pat):
    response = client.delete(f"/api/me/tokens/{pat['id']}", headers=bearer(pat["token"]))
    assert response.status_code == 204


def test_expired_token_is_401(app, client, pat):
    with app.app_context():
        db.session.execute(
            update(PersonalAccessToken).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        db.session.commit()
    assert client.get("/api/me/items", headers=bearer(pat["token"])).status_code == 401


def test_deactivation_kills_tokens_for_good(client, admin, user, pat):
    client.post(f"/api/admin/users/{user.id}/toggle", headers=admin.headers)
    assert client.get("/api/me/items", headers=bearer(pat["token"])).status_code == 401
    client.post(f"/api/admin/users/{user.id}/toggle", headers=admin.headers)
    assert client.get("/api/me/items", headers=bearer(pat["token"])).status_code == 401


def test_inactive_user_is_refused_on_every_use(app, client, user, pat):
    """Deactivated behind the API's back (e.g. SQL): the token check still reads is_active."""
    from models import User

    with app.app_context():
        db.session.execute(update(User).where(User.id == user.id).values(is_active=False))
        db.session.commit()
    assert client.get("/api/me/items", headers=bearer(pat["token"])).status_code == 401


def test_a_personal_access_token_cannot_create_tokens_or_change_the_password(client, pat):
    headers = bearer(pat["token"])
    body = {"name": "child", "scopes": ["items:read"], "expires_in_days": 1}
    refused = client.post("/api/me/tokens", json=body, headers=headers)
    assert refused.status_code == 403
    assert 'error="insufficient_scope"' in refused.headers["WWW-Authenticate"]
    change = {"current_password": "x", "new_password": "something new"}
    assert client.post("/api/auth/change-password", json=change, headers=headers).status_code == 403
    assert client.post("/api/auth/logout", headers=headers).status_code == 403


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"scopes": ["admin:read"]}, "scopes"),
        ({"scopes": ["items:read", "admin:write"]}, "scopes"),
        ({"scopes": []}, "scopes"),
        ({"scopes": ["items:delete"]}, "scopes"),
        ({"expires_in_days": 0}, "expires_in_days"),
        ({"expires_in_days": 366}, "expires_in_days"),
        ({"expires_in_days": None}, "expires_in_days"),
        ({"expires_at": "2020-01-01T00:00:00Z", "expires_in_days": None}, "expires_at"),
        ({"expires_at": "2999-01-01T00:00:00Z", "expires_in_days": None}, "expires_at"),
        ({"expires_at": "tomorrow", "expires_in_days": None}, "expires_at"),
        ({"expires_at": "0001-01-01T00:00:00+14:00", "expires_in_days": None}, "expires_at"),
        ({"expires_at": "9999-12-31T23:59:59-14:00", "expires_in_days": None}, "expires_at"),
        ({"expires_at": "2999-01-01T00:00:00Z"}, "expires_at"),
        ({"name": "   "}, "name"),
        ({"name": ""}, "name"),
    ],
)
def test_invalid_requests_are_400(client, user, fields, field):
    body = {"name": "ci", "scopes": ["items:read"], "expires_in_days": 30, **fields}
    body = {key: value for key, value in body.items() if value is not None}
    response = client.post("/api/me/tokens", json=body, headers=user.headers)
    assert response.status_code == 400, response.get_json()
    assert any(key.startswith(field) for key in response.get_json()["errors"]), response.get_json()


def test_expiry_may_be_a_date(client, user):
    at = (datetime.now(UTC) + timedelta(days=365) - timedelta(minutes=1)).isoformat()
    response = create(client, user, expires_in_days=None, expires_at=at)
    assert response.status_code == 201, response.get_json()


def test_admin_may_create_admin_scoped_tokens(client, admin):
    response = create(client, admin, scopes=["admin:read"])
    assert response.status_code == 201
    headers = bearer(response.get_json()["token"])
    assert client.get("/api/admin/stats", headers=headers).status_code == 200
    toggle = client.post("/api/admin/users/1/toggle", headers=headers)
    assert toggle.status_code == 403
    assert 'scope="admin:write"' in toggle.headers["WWW-Authenticate"]


def test_demoted_admin_tokens_lose_admin_scopes(client, admin, make_user):
    other_admin = make_user()
    client.patch(
        f"/api/admin/users/{other_admin.id}", json={"is_admin": True}, headers=admin.headers
    )
    from tests.helpers import login

    other_admin = login(client, other_admin.username, other_admin.password)
    token = create(client, other_admin, scopes=["admin:read"]).get_json()["token"]
    assert client.get("/api/admin/stats", headers=bearer(token)).status_code == 200
    plain = create(client, other_admin, scopes=["items:read"]).get_json()["token"]
    client.patch(
        f"/api/admin/users/{other_admin.id}", json={"is_admin": False}, headers=admin.headers
    )
    # A token made for admin work is revoked: a later promotion must not revive it.
    assert client.get("/api/admin/stats", headers=bearer(token)).status_code == 401
    assert client.get("/api/me/items", headers=bearer(plain)).status_code == 200
    client.patch(
        f"/api/admin/users/{other_admin.id}", json={"is_admin": True}, headers=admin.headers
    )
    assert client.get("/api/admin/stats", headers=bearer(token)).status_code == 401


def test_users_see_and_revoke_only_their_own(client, user, other_user, pat):
    assert client.get("/api/me/tokens", headers=other_user.headers).get_json()["total"] == 0
    response = client.delete(f"/api/me/tokens/{pat['id']}", headers=other_user.headers)
    assert response.status_code == 404
    assert client.get("/api/me/items", headers=bearer(pat["token"])).status_code == 200


def test_admin_lists_and_revokes_anyones(client, admin, user, other_user, pat):
    create(client, other_user)
    listed = client.get("/api/admin/tokens", headers=admin.headers).get_json()
    assert listed["total"] == 2
    mine = client.get(f"/api/admin/tokens?user_id={user.id}", headers=admin.headers).get_json()
    assert [entry["id"] for entry in mine["items"]] == [pat["id"]]
    assert client.delete(f"/api/admin/tokens/{pat['id']}", headers=admin.headers).status_code == 204
    assert client.get("/api/me/items", headers=bearer(pat["token"])).status_code == 401
    assert client.get("/api/admin/tokens", headers=user.headers).status_code == 403
    missing = client.delete("/api/admin/tokens/999999", headers=admin.headers)
    assert missing.status_code == 404


def test_issue_and_revoke_are_audited(client, admin, user, pat):
    client.delete(f"/api/admin/tokens/{pat['id']}", headers=admin.headers)
    entries = client.get("/api/admin/audit", headers=admin.headers).get_json()["items"]
    by_action = {entry["action"]: entry for entry in entries}
    created, revoked = by_action["token.create"], by_action["token.revoke"]
    assert (created["actor_id"], created["target_id"]) == (user.id, str(pat["id"]))
    assert created["details"]["scopes"] == pat["scopes"]
    assert (revoked["actor_id"], revoked["target_id"]) == (admin.id, str(pat["id"]))
    assert revoked["details"]["user_id"] == user.id
    assert pat["token"] not in str(entries)


def test_last_used_is_written_at_most_once_a_minute(app, client, user, pat):
    client.get("/api/me/items", headers=bearer(pat["token"]))
    first = client.get("/api/me/tokens", headers=user.headers).get_json()["items"][0]
    assert first["last_used_at"] is not None
    client.get("/api/me/items", headers=bearer(pat["token"]))
    second = client.get("/api/me/tokens", headers=user.headers).get_json()["items"][0]
    assert second["last_used_at"] == first["last_used_at"]
    with app.app_context():  # a minute later the next use is recorded again
        earlier = datetime.now(UTC) - timedelta(seconds=61)
        db.session.execute(update(PersonalAccessToken).values(last_used_at=earlier))
        db.session.commit()
    client.get("/api/me/items", headers=bearer(pat["token"]))
    third = client.get("/api/me/tokens", headers=user.headers).get_json()["items"][0]
    assert datetime.fromisoformat(third["last_used_at"]) > earlier


def test_garbage_after_the_prefix_is_401(client):
    for token in ("bapi_pat_", "bapi_pat_nope", "bapi_pat_" + "x" * 5000):
        response = client.get("/api/me/items", headers=bearer(token))
        assert response.status_code == 401
        assert response.get_json()["error"]


def test_audit_rows_reference_the_token(app, client, pat):
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action)).all()
    assert actions == ["token.create"]


def test_a_password_change_revokes_personal_access_tokens(client, user, pat):
    headers = bearer(pat["token"])
    assert client.get("/api/me/items", headers=headers).status_code == 200
    change = {"current_password": user.password, "new_password": "a fresh passphrase 42"}
    changed = client.post("/api/auth/change-password", json=change, headers=user.headers)
    assert changed.status_code == 200
    assert client.get("/api/me/items", headers=headers).status_code == 401
    fresh = bearer(changed.get_json()["token"])
    assert client.get("/api/me/tokens", headers=fresh).get_json()["total"] == 0


@pytest.mark.parametrize("offset", ["+05:00", "-12:00", "+14:00"])
def test_an_expiry_given_with_an_offset_comes_back_in_utc(client, user, offset):
    at = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0, tzinfo=None)
    response = create(client, user, expires_in_days=None, expires_at=at.isoformat() + offset)
    assert response.status_code == 201, response.get_json()
    created = response.get_json()["expires_at"]
    assert created.endswith("+00:00")
    [listed] = client.get("/api/me/tokens", headers=user.headers).get_json()["items"]
    assert listed["expires_at"] == created
    assert datetime.fromisoformat(created) == datetime.fromisoformat(at.isoformat() + offset)
