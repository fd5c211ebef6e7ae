"""Bearer-token security: every bad, forged, expired or dead token is a JSON 401."""

import base64
import io
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest

from api.core.security import VerifiedTokens, create_access_token
from models import User, db
from tests.helpers import ADMIN, assert_error, bearer, claims_of, login, register, sign

ME = "/api/auth/me"
ITEMS = "/api/items"


def secret(app: Any) -> str:
    return app.config["JWT_SECRET_KEY"]


def b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def with_payload(token: str, **changes: Any) -> str:
    """The same header and signature around an edited payload."""
    header, payload, signature = token.split(".")
    claims = json.loads(b64decode(payload))
    claims.update(changes)
    return ".".join([header, b64encode(json.dumps(claims).encode()), signature])


# --- the Authorization header -----------------------------------------------------------------


def test_valid_token_is_accepted(client, user):
    response = client.get(ME, headers=user.headers)
    assert response.status_code == 200
    assert response.get_json()["id"] == user.id


def test_bearer_scheme_is_case_insensitive(client, user):
    response = client.get(ME, headers={"Authorization": f"bearer {user.token}"})
    assert response.status_code == 200
    assert response.get_json()["id"] == user.id


def test_missing_header_is_401(client):
    assert_error(client.get(ME), 401)


@pytest.mark.parametrize(
    "header",
    [
        "",
        "Bearer",
        "Bearer ",
        "Bearer    ",
        "Basic dXNlcjpwYXNzd29yZA==",
        "Token abc.def.ghi",
        "Bearer garbage",
        "Bearer a.b.c",
        "Bearer ...",
        "Bearer eyJhbGciOiJIUzI1NiJ9",
        "Bearer eyJhbGciOiJIUzI1NiJ9.e30",
        "Bearer \u00e9\u00e9\u00e9",
        "Bearer " + "x" * 5000,
    ],
    ids=[
        "empty",
        "scheme-only",
        "scheme-and-space",
        "scheme-and-spaces",
        "basic",
        "token-scheme",
        "garbage",
        "three-junk-parts",
        "dots-only",
        "header-only",
        "two-parts",
        "non-ascii",
        "very-long",
    ],
)
def test_malformed_authorization_is_401(client, header):
    assert_error(client.get(ME, headers={"Authorization": header}), 401)


def test_valid_token_with_wrong_scheme_is_401(client, user):
    assert_error(client.get(ME, headers={"Authorization": f"Token {user.token}"}), 401)
    assert_error(client.get(ME, headers={"Authorization": user.token}), 401)


# --- forged and tampered tokens ---------------------------------------------------------------


def test_tampered_sub_is_401(client, user, admin):
    forged = with_payload(user.token, sub=str(admin.id))
    assert_error(client.get(ME, headers=bearer(forged)), 401)
    assert_error(client.get("/api/admin/stats", headers=bearer(forged)), 401)


def test_tampered_exp_is_401(client, user):
    later = int((datetime.now(UTC) + timedelta(days=365)).timestamp())
    assert_error(client.get(ME, headers=bearer(with_payload(user.token, exp=later))), 401)


def test_tampered_signature_is_401(client, user):
    header, payload, signature = user.token.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    assert_error(client.get(ME, headers=bearer(f"{header}.{payload}.{flipped}")), 401)
    assert_error(client.get(ME, headers=bearer(f"{header}.{payload}.")), 401)


def test_token_signed_with_wrong_key_is_401(client, user):
    issued = create_access_token(
        user_id=user.id, version=0, secret="another-key-" + "x" * 40, expires_in=3600
    )
    assert_error(client.get(ME, headers=bearer(issued.token)), 401)


def test_token_from_another_app_instance_with_other_key_is_401(app_factory, user):
    other_app = app_factory(SECRET_KEY="a-completely-different-secret-key-0123456789")
    assert_error(other_app.test_client().get(ME, headers=user.headers), 401)


def test_alg_none_token_is_401(client, user):
    unsigned = jwt.encode(claims_of(user.token), None, algorithm="none")
    assert_error(client.get(ME, headers=bearer(unsigned)), 401)
    # The server's own token with its header rewritten to `none` and the signature dropped.
    header = b64encode(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    _, payload, _ = user.token.split(".")
    assert_error(client.get(ME, headers=bearer(f"{header}.{payload}.")), 401)


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
@pytest.mark.parametrize("algorithm", ["HS384", "HS512"])
def test_token_with_other_algorithm_is_401(app, client, user, algorithm):
    token = sign(app, claims_of(user.token), algorithm)
    assert_error(client.get(ME, headers=bearer(token)), 401)


def test_hand_made_token_with_server_claims_is_accepted(app, client, user):
    """Sanity check for the tests below: re-signed server claims are honoured."""
    token = sign(app, claims_of(user.token))
    assert client.get(ME, headers=bearer(token)).get_json()["id"] == user.id


@pytest.mark.parametrize("claim", ["sub", "exp", "iat", "jti", "ver", "type"])
def test_token_missing_a_claim_is_401(app, client, user, claim):
    claims = claims_of(user.token)
    del claims[claim]
    token = sign(app, claims)
    assert_error(client.get(ME, headers=bearer(token)), 401)


@pytest.mark.parametrize(
    "overrides",
    [
        {"type": "refresh"},
        {"sub": "not-a-number"},
        {"sub": "-1"},
        {"sub": ""},
        {"ver": "0"},
        {"ver": None},
        {"ver": 1},
        {"iat": "yesterday"},
    ],
    ids=[
        "refresh-type",
        "text-sub",
        "negative-sub",
        "empty-sub",
        "text-version",
        "null-version",
        "future-version",
        "text-iat",
    ],
)
def test_token_with_bad_claims_is_401(app, client, user, overrides):
    token = sign(app, claims_of(user.token, **overrides))
    assert_error(client.get(ME, headers=bearer(token)), 401)


def test_non_json_payload_is_401(app, client):
    token = jwt.api_jws.encode(b"not json", secret(app), algorithm="HS256")
    assert_error(client.get(ME, headers=bearer(token)), 401)


# --- expiry -------------------------------------------------------------------------------------


def test_expired_token_is_401(app, client, user):
    issued = create_access_token(
        user_id=user.id,
        version=0,
        secret=secret(app),
        expires_in=3600,
        now=datetime.now(UTC) - timedelta(hours=2),
    )
    response = client.get(ME, headers=bearer(issued.token))
    body = assert_error(response, 401)
    assert "expired" in body["error"].lower()
    challenge = response.headers["WWW-Authenticate"]
    assert challenge == 'Bearer error="invalid_token", error_description="Token has expired"'


def test_token_expired_a_minute_ago_is_401(app, client, user):
    issued = create_access_token(
        user_id=user.id,
        version=0,
        secret=secret(app),
        expires_in=60,
        now=datetime.now(UTC) - timedelta(seconds=120),
    )
    assert_error(client.get(ME, headers=bearer(issued.token)), 401)


def test_token_issued_in_the_past_but_unexpired_works(app, client, user):
    issued = create_access_token(
        user_id=user.id,
        version=0,
        secret=secret(app),
        expires_in=3600,
        now=datetime.now(UTC) - timedelta(minutes=30),
    )
    assert client.get(ME, headers=bearer(issued.token)).status_code == 200


def test_expires_in_follows_configuration(app_factory):
    client = app_factory(ACCESS_TOKEN_EXPIRES=120).test_client()
    response = client.post(
        "/api/auth/login", json={"username": "admin", "password": "admin-password-1"}
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["expires_in"] == 120
    claims = jwt.decode(body["token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 120


def test_token_used_before_stops_working_when_it_expires(app, client, user):
    """A verified token is remembered per worker (api/core/security.py `VerifiedTokens`); the
    remembered one still expires on time."""
    issued = create_access_token(
        user_id=user.id,
        version=0,
        secret=secret(app),
        expires_in=60,
        now=datetime.now(UTC) - timedelta(seconds=58),
    )
    for _ in range(3):  # the first request verifies it, the next ones find it remembered
        assert client.get(ME, headers=bearer(issued.token)).status_code == 200
    expires = jwt.decode(issued.token, options={"verify_signature": False})["exp"]
    time.sleep(max(0.0, expires - time.time()) + 0.05)
    body = assert_error(client.get(ME, headers=bearer(issued.token)), 401)
    assert "expired" in body["error"].lower()


def test_remembered_token_is_refused_under_another_secret(app_factory):
    """Rotating JWT_SECRET_KEY: a token remembered under the old secret is a 401 at once."""
    first = app_factory(JWT_SECRET_KEY="first-secret-that-is-long-enough-0123456789")
    token = login(first.test_client(), ADMIN["username"], ADMIN["password"]).token
    assert first.test_client().get(ME, headers=bearer(token)).status_code == 200
    second = app_factory(JWT_SECRET_KEY="second-secret-that-is-long-enough-012345678")
    assert_error(second.test_client().get(ME, headers=bearer(token)), 401)


def test_remembered_tokens_stay_within_their_bytes():
    cache = VerifiedTokens(max_bytes=100_000)
    for n in range(1_000):
        cache.put((f"token-{n}" + "x" * 400, "secret", "iss", "aud"), {"exp": time.time() + 60})
    assert cache.used <= 100_000
    assert cache.get(("token-999" + "x" * 400, "secret", "iss", "aud")) is not None
    assert cache.get(("token-0" + "x" * 400, "secret", "iss", "aud")) is None  # evicted first


def test_expired_token_on_public_endpoint_is_401(app, client, user):
    issued = create_access_token(
        user_id=user.id,
        version=0,
        secret=secret(app),
        expires_in=60,
        now=datetime.now(UTC) - timedelta(hours=1),
    )
    assert_error(client.get(ITEMS, headers=bearer(issued.token)), 401)


# --- tokens of users that are gone, logged out, deactivated or changed password --------------


def test_token_for_nonexistent_user_is_401(app, client, user):
    token = sign(app, claims_of(user.token, sub="999999"))
    assert_error(client.get(ME, headers=bearer(token)), 401)
    assert_error(client.get(ITEMS, headers=bearer(token)), 401)


def test_token_of_deleted_user_is_401(app, client, user):
    assert client.get(ME, headers=user.headers).status_code == 200
    with app.app_context():
        db.session.delete(db.session.get(User, user.id))
        db.session.commit()
    assert_error(client.get(ME, headers=user.headers), 401)


def test_revoked_token_is_401(client, user):
    assert client.post("/api/auth/logout", headers=user.headers).status_code == 200
    assert_error(client.get(ME, headers=user.headers), 401)
    assert_error(client.post("/api/items", json={"name": "x"}, headers=user.headers), 401)
    assert_error(client.get(ITEMS, headers=user.headers), 401)


def test_revocation_survives_a_new_app_on_the_same_database(app_factory, tmp_path):
    database = f"sqlite:///{tmp_path / 'shared.db'}"
    first = app_factory(SQLALCHEMY_DATABASE_URI=database)
    client = first.test_client()
    account = register(client)
    assert client.post("/api/auth/logout", headers=account.headers).status_code == 200
    from api import create_app
    from tests.helpers import build_test_config

    second = create_app(build_test_config(tmp_path, SQLALCHEMY_DATABASE_URI=database))
    try:
        assert_error(second.test_client().get(ME, headers=account.headers), 401)
    finally:
        with second.app_context():
            db.session.remove()
            db.engine.dispose()


def test_deactivated_user_token_is_401_and_stays_dead(client, admin, user):
    stale = login(client, user.username, user.password)
    response = client.post(f"/api/admin/users/{user.id}/toggle", headers=admin.headers)
    assert response.status_code == 200
    assert response.get_json()["is_active"] is False
    assert_error(client.get(ME, headers=user.headers), 401)
    assert_error(client.get(ITEMS, headers=user.headers), 401)

    response = client.post(f"/api/admin/users/{user.id}/toggle", headers=admin.headers)
    assert response.status_code == 200
    assert response.get_json()["is_active"] is True
    assert_error(client.get(ME, headers=user.headers), 401)
    assert_error(client.get(ME, headers=stale.headers), 401)

    fresh = login(client, user.username, user.password)
    assert client.get(ME, headers=fresh.headers).get_json()["id"] == user.id


def test_deactivated_via_patch_token_stays_dead(client, admin, user):
    response = client.patch(
        f"/api/admin/users/{user.id}", json={"is_active": False}, headers=admin.headers
    )
    assert response.status_code == 200
    client.patch(f"/api/admin/users/{user.id}", json={"is_active": True}, headers=admin.headers)
    assert_error(client.get(ME, headers=user.headers), 401)


def test_deactivating_one_user_leaves_others_alone(client, admin, user, other_user):
    client.post(f"/api/admin/users/{user.id}/toggle", headers=admin.headers)
    assert client.get(ME, headers=other_user.headers).status_code == 200
    assert client.get(ME, headers=admin.headers).status_code == 200


def test_token_issued_before_password_change_is_401(client, user):
    before = login(client, user.username, user.password)
    response = client.post(
        "/api/auth/change-password",
        json={"current_password": user.password, "new_password": "an-entirely-new-one"},
        headers=user.headers,
    )
    assert response.status_code == 200
    assert_error(client.get(ME, headers=user.headers), 401)
    assert_error(client.get(ME, headers=before.headers), 401)
    assert client.get(ME, headers=bearer(response.get_json()["token"])).status_code == 200


# --- public endpoints, and 401 versus 403 ------------------------------------------------------


def test_public_endpoint_without_token_is_200(client):
    response = client.get(ITEMS)
    assert response.status_code == 200
    assert set(response.get_json()) == {"items", "total", "page", "per_page"}


def test_public_endpoint_with_valid_token_is_200(client, user):
    assert client.get(ITEMS, headers=user.headers).status_code == 200


@pytest.mark.parametrize(
    "header",
    ["Bearer garbage", "Basic dXNlcjpwYXNz", "Bearer", "Bearer a.b.c"],
    ids=["garbage", "basic", "no-token", "junk-parts"],
)
def test_invalid_token_on_public_endpoint_is_401(client, header):
    response = client.get(ITEMS, headers={"Authorization": header})
    assert_error(response, 401)
    # RFC 6750 §3.1: a refused credential is named in the challenge (no token at all is not).
    error = "invalid_token" if header.startswith("Bearer ") else "invalid_request"
    assert response.headers["WWW-Authenticate"].startswith(f'Bearer error="{error}"')


def test_no_token_where_one_is_needed_is_a_plain_challenge(client):
    response = client.get(ME)
    assert_error(response, 401)
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_forged_token_on_public_endpoint_is_401(client, user):
    assert_error(client.get(ITEMS, headers=bearer(with_payload(user.token, sub="1"))), 401)


def test_invalid_token_on_public_item_detail_is_401(client, user, make_item):
    item = make_item(user)
    assert client.get(f"{ITEMS}/{item['id']}").status_code == 200
    assert_error(client.get(f"{ITEMS}/{item['id']}", headers={"Authorization": "Bearer nope"}), 401)


def test_valid_token_without_rights_is_403_not_401(client, user):
    response = client.get("/api/admin/stats", headers=user.headers)
    assert response.status_code == 403
    assert response.get_json()["error"]


def test_invalid_token_on_admin_endpoint_is_401_not_403(client):
    assert_error(client.get("/api/admin/stats", headers={"Authorization": "Bearer nope"}), 401)
    assert_error(client.get("/api/admin/stats"), 401)


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("GET", "/api/auth/me", None),
        ("POST", "/api/auth/logout", None),
        (
            "POST",
            "/api/auth/change-password",
            {"current_password": "whatever-1", "new_password": "brand-new-password"},
        ),
        ("POST", "/api/items", {"name": "widget"}),
        ("GET", "/api/me/items", None),
        ("GET", "/api/admin/items", None),
        ("GET", "/api/admin/stats", None),
        ("GET", "/api/admin/users", None),
        ("POST", "/api/admin/items/bulk-delete", {"ids": [1]}),
    ],
)
def test_protected_endpoints_require_a_token(client, method, path, body):
    assert_error(client.open(path, method=method, json=body), 401)
    assert_error(client.open(path, method=method, json=body, headers=bearer("nope")), 401)


def test_upload_requires_a_token(client):
    response = client.post(
        "/api/upload",
        data={"file": (io.BytesIO(b"hello"), "hello.txt")},
        content_type="multipart/form-data",
    )
    assert_error(response, 401)
