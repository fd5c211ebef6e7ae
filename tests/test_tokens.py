"""Bearer-token security: every bad, forged, expired or dead token is a JSON 401."""

import base64
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest

from api.core.security import create_access_token
from models import User, db
from tests.conftest import login, register

ME = "/api/auth/me"
ITEMS = "/api/items"


def assert_401(response: Any) -> dict[str, Any]:
    assert response.status_code == 401, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    assert response.headers.get("WWW-Authenticate", "").startswith("Bearer")
    body = response.get_json()
    assert isinstance(body["error"], str) and body["error"]
    assert "Traceback" not in body["error"]
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def secret(app: Any) -> str:
    return app.config["JWT_SECRET_KEY"]


def claims_of(token: str, **overrides: Any) -> dict[str, Any]:
    """The claims of a token the server issued, edited; re-sign them with `sign`."""
    claims = jwt.decode(token, options={"verify_signature": False})
    claims.update(overrides)
    return claims


def sign(app: Any, claims: dict[str, Any], algorithm: str = "HS256") -> str:
    return jwt.encode(claims, secret(app), algorithm=algorithm)


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
    assert_401(client.get(ME))


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
    assert_401(client.get(ME, headers={"Authorization": header}))


def test_valid_token_with_wrong_scheme_is_401(client, user):
    assert_401(client.get(ME, headers={"Authorization": f"Token {user.token}"}))
    assert_401(client.get(ME, headers={"Authorization": user.token}))


# --- forged and tampered tokens ---------------------------------------------------------------


def test_tampered_sub_is_401(client, user, admin):
    forged = with_payload(user.token, sub=str(admin.id))
    assert_401(client.get(ME, headers=bearer(forged)))
    assert_401(client.get("/api/admin/stats", headers=bearer(forged)))


def test_tampered_exp_is_401(client, user):
    later = int((datetime.now(UTC) + timedelta(days=365)).timestamp())
    assert_401(client.get(ME, headers=bearer(with_payload(user.token, exp=later))))


def test_tampered_signature_is_401(client, user):
    header, payload, signature = user.token.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    assert_401(client.get(ME, headers=bearer(f"{header}.{payload}.{flipped}")))
    assert_401(client.get(ME, headers=bearer(f"{header}.{payload}.")))


def test_token_signed_with_wrong_key_is_401(client, user):
    issued = create_access_token(
        user_id=user.id, version=0, secret="another-key-" + "x" * 40, expires_in=3600
    )
    assert_401(client.get(ME, headers=bearer(issued.token)))


def test_token_from_another_app_instance_with_other_key_is_401(app_factory, user):
    other_app = app_factory(SECRET_KEY="a-completely-different-secret-key-0123456789")
    assert_401(other_app.test_client().get(ME, headers=user.headers))


def test_alg_none_token_is_401(client, user):
    unsigned = jwt.encode(claims_of(user.token), None, algorithm="none")
    assert_401(client.get(ME, headers=bearer(unsigned)))
    # The server's own token with its header rewritten to `none` and the signature dropped.
    header = b64encode(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    _, payload, _ = user.token.split(".")
    assert_401(client.get(ME, headers=bearer(f"{header}.{payload}.")))


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
@pytest.mark.parametrize("algorithm", ["HS384", "HS512"])
def test_token_with_other_algorithm_is_401(app, client, user, algorithm):
    token = sign(app, claims_of(user.token), algorithm)
    assert_401(client.get(ME, headers=bearer(token)))


def test_hand_made_token_with_server_claims_is_accepted(app, client, user):
    """Sanity check for the tests below: re-signed server claims are honoured."""
    token = sign(app, claims_of(user.token))
    assert client.get(ME, headers=bearer(token)).get_json()["id"] == user.id


@pytest.mark.parametrize("claim", ["sub", "exp", "iat", "jti", "ver", "type"])
def test_token_missing_a_claim_is_401(app, client, user, claim):
    claims = claims_of(user.token)
    del claims[claim]
    token = sign(app, claims)
    assert_401(client.get(ME, headers=bearer(token)))


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
    assert_401(client.get(ME, headers=bearer(token)))


def test_non_json_payload_is_401(app, client):
    token = jwt.api_jws.encode(b"not json", secret(app), algorithm="HS256")
    assert_401(client.get(ME, headers=bearer(token)))


# --- expiry -------------------------------------------------------------------------------------


def test_expired_token_is_401(app, client, user):
    issued = create_access_token(
        user_id=user.id,
        version=0,
        secret=secret(app),
        expires_in=3600,
        now=datetime.now(UTC) - timedelta(hours=2),
    )
    body = assert_401(client.get(ME, headers=bearer(issued.token)))
    assert "expired" in body["error"].lower()


def test_token_expired_a_minute_ago_is_401(app, client, user):
    issued = create_access_token(
        user_id=user.id,
        version=0,
        secret=secret(app),
        expires_in=60,
        now=datetime.now(UTC) - timedelta(seconds=120),
    )
    assert_401(client.get(ME, headers=bearer(issued.token)))


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


def test_expired_token_on_public_endpoint_is_401(app, client, user):
    issued = create_access_token(
        user_id=user.id,
        version=0,
        secret=secret(app),
        expires_in=60,
        now=datetime.now(UTC) - timedelta(hours=1),
    )
    assert_401(client.get(ITEMS, headers=bearer(issued.token)))


# --- tokens of users that are gone, logged out, deactivated or changed password --------------


def test_token_for_nonexistent_user_is_401(app, client, user):
    token = sign(app, claims_of(user.token, sub="999999"))
    assert_401(client.get(ME, headers=bearer(token)))
    assert_401(client.get(ITEMS, headers=bearer(token)))


def test_token_of_deleted_user_is_401(app, client, user):
    assert client.get(ME, headers=user.headers).status_code == 200
    with app.app_context():
        db.session.delete(db.session.get(User, user.id))
        db.session.commit()
    assert_401(client.get(ME, headers=user.headers))


def test_revoked_token_is_401(client, user):
    assert client.post("/api/auth/logout", headers=user.headers).status_code == 200
    assert_401(client.get(ME, headers=user.headers))
    assert_401(client.post("/api/items", json={"name": "x"}, headers=user.headers))
    assert_401(client.get(ITEMS, headers=user.headers))


def test_revocation_survives_a_new_app_on_the_same_database(app_factory, tmp_path):
    database = f"sqlite:///{tmp_path / 'shared.db'}"
    first = app_factory(SQLALCHEMY_DATABASE_URI=database)
    client = first.test_client()
    account = register(client)
    assert client.post("/api/auth/logout", headers=account.headers).status_code == 200
    from api import create_app
    from tests.conftest import build_test_config

    second = create_app(build_test_config(tmp_path, SQLALCHEMY_DATABASE_URI=database))
    try:
        assert_401(second.test_client().get(ME, headers=account.headers))
    finally:
        with second.app_context():
            db.session.remove()
            db.engine.dispose()


def test_deactivated_user_token_is_401_and_stays_dead(client, admin, user):
    stale = login(client, user.username, user.password)
    response = client.post(f"/api/admin/users/{user.id}/toggle", headers=admin.headers)
    assert response.status_code == 200
    assert response.get_json()["is_active"] is False
    assert_401(client.get(ME, headers=user.headers))
    assert_401(client.get(ITEMS, headers=user.headers))

    response = client.post(f"/api/admin/users/{user.id}/toggle", headers=admin.headers)
    assert response.status_code == 200
    assert response.get_json()["is_active"] is True
    assert_401(client.get(ME, headers=user.headers))
    assert_401(client.get(ME, headers=stale.headers))

    fresh = login(client, user.username, user.password)
    assert client.get(ME, headers=fresh.headers).get_json()["id"] == user.id


def test_deactivated_via_patch_token_stays_dead(client, admin, user):
    response = client.patch(
        f"/api/admin/users/{user.id}", json={"is_active": False}, headers=admin.headers
    )
    assert response.status_code == 200
    client.patch(f"/api/admin/users/{user.id}", json={"is_active": True}, headers=admin.headers)
    assert_401(client.get(ME, headers=user.headers))


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
    assert_401(client.get(ME, headers=user.headers))
    assert_401(client.get(ME, headers=before.headers))
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
    assert_401(client.get(ITEMS, headers={"Authorization": header}))


def test_forged_token_on_public_endpoint_is_401(client, user):
    assert_401(client.get(ITEMS, headers=bearer(with_payload(user.token, sub="1"))))


def test_invalid_token_on_public_item_detail_is_401(client, user, make_item):
    item = make_item(user)
    assert client.get(f"{ITEMS}/{item['id']}").status_code == 200
    assert_401(client.get(f"{ITEMS}/{item['id']}", headers={"Authorization": "Bearer nope"}))


def test_valid_token_without_rights_is_403_not_401(client, user):
    response = client.get("/api/admin/stats", headers=user.headers)
    assert response.status_code == 403
    assert response.get_json()["error"]


def test_invalid_token_on_admin_endpoint_is_401_not_403(client):
    assert_401(client.get("/api/admin/stats", headers={"Authorization": "Bearer nope"}))
    assert_401(client.get("/api/admin/stats"))


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
    assert_401(client.open(path, method=method, json=body))
    assert_401(client.open(path, method=method, json=body, headers=bearer("nope")))


def test_upload_requires_a_token(client):
    response = client.post(
        "/api/upload",
        data={"file": (io.BytesIO(b"hello"), "hello.txt")},
        content_type="multipart/form-data",
    )
    assert_401(response)
