"""Security tests organised by the OWASP API Security Top 10 (2023), one test per threat.

API1 object-level authorization · API2 authentication · API3 property-level authorization ·
API4 resource consumption · API5 function-level authorization · API6 sensitive business flows ·
API7 SSRF · API8 misconfiguration · API9 inventory · API10 unsafe consumption of APIs.

Route lists come from the committed openapi.json wherever possible, so a new route is covered
by the same checks without editing this file.
"""

import ast
import base64
import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from flask import Flask
from flask.testing import FlaskClient

from api import create_app
from api.services import items as item_service
from models import Upload, User, db
from tests.helpers import (
    ADMIN,
    Account,
    assert_error,
    bearer,
    build_test_config,
    login,
    register,
    upload,
)
from tests.spec import SPEC, operations

ROOT = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024
SECRET_PROPERTIES = {"password", "password_hash", "token_version"}


def op_id(value: Any) -> str:
    return value if isinstance(value, str) else ""


def item_as_admin(client: FlaskClient, admin: Account, item_id: int) -> dict[str, Any]:
    response = client.get(f"/api/items/{item_id}", headers=admin.headers)
    assert response.status_code == 200
    return response.get_json()


# === API1: broken object-level authorization ===================================================

# Operations on one object (a path parameter names it) and what a stranger gets.
OBJECT_OPERATIONS = [
    (method.upper(), path, operation["operationId"])
    for path, method, operation in operations()
    if "{" in path
]
# The item is inactive for getItem (an active item is public by design); another user's
# personal access token does not exist as far as a stranger's `/me/tokens` can tell.
STRANGER_STATUS = {"getItem": 404, "revokePersonalAccessToken": 404}
OBJECT_BODIES: dict[str, Any] = {
    "replaceItem": {"name": "stolen"},
    "updateItem": {"name": "stolen"},
    "adminUpdateUser": {"is_admin": True},
    "updateWebhook": {"url": "https://93.184.215.14/stolen", "enabled": False},
}
# Someone else's webhook subscription is not even confirmed to exist.
WEBHOOK_STRANGER_STATUS = 404


def test_api1_object_routes_are_discovered() -> None:
    found = {operation for _, _, operation in OBJECT_OPERATIONS}
    assert {"getItem", "replaceItem", "updateItem", "deleteItem", "downloadFile"} <= found
    assert {"adminToggleItem", "adminUpdateUser", "adminToggleUser"} <= found


@pytest.mark.parametrize("method, path, operation", OBJECT_OPERATIONS, ids=op_id)
def test_api1_another_users_object_is_out_of_reach(
    app: Flask,
    client: FlaskClient,
    admin: Account,
    user: Account,
    other_user: Account,
    method: str,
    path: str,
    operation: str,
) -> None:
    """`other_user` aims every object route at `user`'s item, file and account."""
    item = client.post("/api/items", json={"name": "mine"}, headers=user.headers).get_json()
    if operation == "getItem":
        assert client.delete(f"/api/items/{item['id']}", headers=user.headers).status_code == 204
    stored = upload(client, user, b"private bytes", "secret.txt").get_json()
    filename = stored["download_path"].rsplit("/", 1)[-1]
    pat = client.post(
        "/api/me/tokens",
        json={"name": "mine", "scopes": ["account"], "expires_in_days": 1},
        headers=user.headers,
    ).get_json()
    url = (
        path.replace("{item_id}", str(item["id"]))
        .replace("{upload_id}", str(stored["id"]))
        .replace("{user_id}", str(user.id))
        .replace("{filename}", filename)
        .replace("{pat_id}", str(pat["id"]))
    )
    before = item_as_admin(client, admin, item["id"])
    hook = client.post(
        "/api/webhooks",
        json={"url": "https://93.184.215.14/hooks", "events": ["item.created"]},  # public IP
        headers=user.headers,
    ).get_json()
    delivery = client.post(f"/api/webhooks/{hook['id']}/ping", headers=user.headers).get_json()
    url = url.replace("{webhook_id}", str(hook["id"])).replace("{delivery_id}", str(delivery["id"]))
    hook_before = client.get(f"/api/webhooks/{hook['id']}", headers=admin.headers).get_json()

    response = client.open(
        url,
        method=method,
        json=OBJECT_BODIES.get(operation),
        headers=other_user.headers,
        buffered=True,
    )

    expected = STRANGER_STATUS.get(operation, 403)
    if "{webhook_id}" in path:
        expected = WEBHOOK_STRANGER_STATUS
    assert_error(response, expected)
    assert "private bytes" not in response.get_data(as_text=True)
    assert item_as_admin(client, admin, item["id"]) == before
    hook_after = client.get(f"/api/webhooks/{hook['id']}", headers=admin.headers).get_json()
    assert hook_after == hook_before
    me = client.get("/api/auth/me", headers=user.headers)
    assert me.status_code == 200 and me.get_json()["is_admin"] is False
    pat_headers = {"Authorization": f"Bearer {pat['token']}"}
    assert client.get("/api/auth/me", headers=pat_headers).status_code == 200


def test_api1_inactive_item_is_hidden_from_strangers_and_anonymous(
    client: FlaskClient, admin: Account, user: Account, other_user: Account
) -> None:
    item = client.post("/api/items", json={"name": "draft"}, headers=user.headers).get_json()
    client.delete(f"/api/items/{item['id']}", headers=user.headers)
    url = f"/api/items/{item['id']}"
    assert_error(client.get(url), 404)
    assert_error(client.get(url, headers=other_user.headers), 404)
    # the same answer as for an id that does not exist: existence is not revealed
    assert (
        client.get("/api/items/987654").get_json()["error"] == client.get(url).get_json()["error"]
    )
    assert client.get(url, headers=user.headers).status_code == 200
    assert client.get(url, headers=admin.headers).status_code == 200


def test_api1_my_items_lists_only_the_callers_items(
    client: FlaskClient, user: Account, other_user: Account
) -> None:
    client.post("/api/items", json={"name": "theirs"}, headers=other_user.headers)
    mine = client.post("/api/items", json={"name": "mine"}, headers=user.headers).get_json()
    listed = client.get("/api/me/items", headers=user.headers)
    assert listed.status_code == 200
    assert [item["id"] for item in listed.get_json()["items"]] == [mine["id"]]
    assert listed.get_json()["total"] == 1
    for name in ("owner_id", "user_id"):  # no way to point it at someone else: refused
        refused = client.get(f"/api/me/items?{name}={other_user.id}", headers=user.headers)
        assert refused.status_code == 400, name
        assert refused.get_json()["errors"] == {name: "unknown parameter"}


def test_api1_user_cannot_make_itself_admin(client: FlaskClient, user: Account) -> None:
    for method, url, body in [
        ("PATCH", f"/api/admin/users/{user.id}", {"is_admin": True}),
        ("POST", f"/api/admin/users/{user.id}/toggle", None),
    ]:
        assert_error(client.open(url, method=method, json=body, headers=user.headers), 403)
    me = client.get("/api/auth/me", headers=user.headers).get_json()
    assert me["is_admin"] is False and me["is_active"] is True


# === API2: broken authentication ===============================================================


def _claims(token: str, **changes: Any) -> dict[str, Any]:
    claims = jwt.decode(token, options={"verify_signature": False})
    claims.update(changes)
    return claims


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned(claims: dict[str, Any], alg: str) -> str:
    header = _b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    return f"{header}.{_b64(json.dumps(claims).encode())}."


def _forged_tokens(app: Flask, user: Account, admin: Account) -> dict[str, str]:
    key = app.config["JWT_SECRET_KEY"]
    past = datetime.now(UTC) - timedelta(hours=2)
    header, _, signature = user.token.split(".")
    elevated = _b64(json.dumps(_claims(user.token, sub=str(admin.id))).encode())
    return {
        "alg-none": _unsigned(_claims(user.token), "none"),
        "alg-None": _unsigned(_claims(user.token), "None"),
        "wrong-key": jwt.encode(_claims(user.token), "another-key-" + "x" * 40, "HS256"),
        "expired": jwt.encode(
            _claims(user.token, iat=past, exp=past + timedelta(minutes=5)), key, "HS256"
        ),
        "tampered-sub": f"{header}.{elevated}.{signature}",
        "truncated-signature": user.token[:-4],
    }


@pytest.mark.parametrize(
    "kind",
    ["alg-none", "alg-None", "wrong-key", "expired", "tampered-sub", "truncated-signature"],
)
def test_api2_forged_token_is_401(
    app: Flask, client: FlaskClient, admin: Account, user: Account, kind: str
) -> None:
    token = _forged_tokens(app, user, admin)[kind]
    for url in ("/api/auth/me", "/api/admin/stats", "/api/items"):
        response = client.get(url, headers=bearer(token))
        assert_error(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_api2_revoked_token_is_401(client: FlaskClient, user: Account) -> None:
    assert client.post("/api/auth/logout", headers=user.headers).status_code == 200
    assert_error(client.get("/api/auth/me", headers=user.headers), 401)
    assert_error(client.post("/api/items", json={"name": "x"}, headers=user.headers), 401)


def test_api2_deactivated_users_tokens_die_for_good(
    client: FlaskClient, admin: Account, user: Account
) -> None:
    url = f"/api/admin/users/{user.id}"
    assert client.patch(url, json={"is_active": False}, headers=admin.headers).status_code == 200
    assert_error(client.get("/api/auth/me", headers=user.headers), 401)
    assert_error(
        client.post("/api/auth/login", json={"username": user.username, "password": user.password}),
        401,
    )
    assert client.patch(url, json={"is_active": True}, headers=admin.headers).status_code == 200
    assert_error(client.get("/api/auth/me", headers=user.headers), 401)


def test_api2_tokens_from_before_a_password_change_are_401(
    client: FlaskClient, user: Account
) -> None:
    second = login(client, user.username, user.password)
    response = client.post(
        "/api/auth/change-password",
        json={"current_password": user.password, "new_password": "a-brand-new-password"},
        headers=user.headers,
    )
    assert response.status_code == 200
    fresh = response.get_json()
    for stale in (user.token, second.token):
        assert_error(client.get("/api/auth/me", headers=bearer(stale)), 401)
    assert client.get("/api/auth/me", headers=bearer(fresh["token"])).status_code == 200
    assert_error(
        client.post("/api/auth/login", json={"username": user.username, "password": user.password}),
        401,
    )


def test_api2_refresh_token_reuse_revokes_the_whole_login(
    app: Flask, client: FlaskClient, user: Account
) -> None:
    app.config["REFRESH_REUSE_INTERVAL"] = 0  # the replay below comes after the retry window
    first = client.post(
        "/api/auth/login", json={"username": user.username, "password": user.password}
    ).get_json()
    rotated = client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert rotated.status_code == 200
    successor = rotated.get_json()
    assert client.get("/api/auth/me", headers=bearer(successor["token"])).status_code == 200

    # a thief replays the first refresh token: refused, and the whole login family dies
    assert_error(
        client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]}), 401
    )
    assert_error(
        client.post("/api/auth/refresh", json={"refresh_token": successor["refresh_token"]}), 401
    )
    assert_error(client.get("/api/auth/me", headers=bearer(successor["token"])), 401)
    assert_error(client.get("/api/auth/me", headers=bearer(first["token"])), 401)
    # other logins of the same user are unaffected
    assert client.get("/api/auth/me", headers=user.headers).status_code == 200


def test_api2_token_types_are_not_interchangeable(client: FlaskClient, user: Account) -> None:
    pair = client.post(
        "/api/auth/login", json={"username": user.username, "password": user.password}
    ).get_json()
    assert_error(client.get("/api/auth/me", headers=bearer(pair["refresh_token"])), 401)
    assert_error(client.post("/api/auth/refresh", json={"refresh_token": pair["token"]}), 401)


def test_api2_login_failure_does_not_reveal_which_part_was_wrong(
    client: FlaskClient, admin: Account, user: Account
) -> None:
    client.patch(f"/api/admin/users/{user.id}", json={"is_active": False}, headers=admin.headers)
    attempts = [
        {"username": "nobody-by-that-name", "password": "whatever-password"},
        {"username": ADMIN["username"], "password": "wrong-password"},
        {"username": user.username, "password": user.password},  # inactive
    ]
    messages = {
        assert_error(client.post("/api/auth/login", json=body), 401)["error"] for body in attempts
    }
    assert len(messages) == 1


# === API3: broken object property level authorization ==========================================


def test_api3_register_ignores_privileged_fields(client: FlaskClient, admin: Account) -> None:
    response = client.post(
        "/api/auth/register",
        json={
            "username": "mallory",
            "email": "mallory@example.com",
            "password": "mallory-password",
            "is_admin": True,
            "is_active": False,
            "id": 4242,
            "token_version": 99,
            "created_at": "2000-01-01T00:00:00Z",
        },
    )
    assert response.status_code == 201, response.get_json()
    created = response.get_json()["user"]
    assert created["is_admin"] is False and created["is_active"] is True
    assert created["id"] != 4242 and not created["created_at"].startswith("2000")
    token = response.get_json()["token"]
    assert client.get("/api/auth/me", headers=bearer(token)).status_code == 200
    assert_error(client.get("/api/admin/stats", headers=bearer(token)), 403)
    assert jwt.decode(token, options={"verify_signature": False})["ver"] == 0
    stats = client.get("/api/admin/stats", headers=admin.headers).get_json()
    assert stats["users"]["admins"] == 1


PROTECTED_ITEM_FIELDS = {
    "user_id": 1,
    "is_active": False,
    "id": 999_999,
    "created_at": "2000-01-01T00:00:00Z",
    "updated_at": "2000-01-01T00:00:00Z",
}


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
def test_api3_item_writes_ignore_owner_state_id_and_timestamps(
    client: FlaskClient, admin: Account, user: Account, method: str
) -> None:
    if method == "POST":
        url = "/api/items"
    else:
        created = client.post("/api/items", json={"name": "a"}, headers=user.headers).get_json()
        url = f"/api/items/{created['id']}"
    response = client.open(
        url,
        method=method,
        json={"name": "renamed", **PROTECTED_ITEM_FIELDS, "user_id": admin.id},
        headers=user.headers,
    )
    assert response.status_code in (200, 201), response.get_json()
    item = response.get_json()
    assert item["name"] == "renamed"
    assert item["user_id"] == user.id
    assert item["is_active"] is True
    assert item["id"] != PROTECTED_ITEM_FIELDS["id"]
    assert not item["created_at"].startswith("2000") and not item["updated_at"].startswith("2000")
    assert item_as_admin(client, admin, item["id"]) == item
    assert client.get("/api/items/999999").status_code == 404


def test_api3_admin_user_patch_changes_only_role_and_state(
    app: Flask, client: FlaskClient, admin: Account, user: Account
) -> None:
    response = client.patch(
        f"/api/admin/users/{user.id}",
        json={
            "password_hash": "$2b$04$" + "x" * 53,
            "password": "attacker-chosen-pw",
            "username": "renamed-user",
            "email": "attacker@example.com",
            "token_version": 7,
            "id": 1,
        },
        headers=admin.headers,
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["id"], body["username"], body["email"]) == (user.id, user.username, user.email)
    # the old password and the old token still work: neither hash nor token version was touched
    assert client.get("/api/auth/me", headers=user.headers).status_code == 200
    login(client, user.username, user.password)
    with app.app_context():
        assert db.session.get(User, user.id).token_version == 0


def test_api3_no_response_and_no_schema_exposes_secrets(
    client: FlaskClient, admin: Account, user: Account
) -> None:
    def properties(node: Any, seen: frozenset[str] = frozenset()) -> Iterator[str]:
        """Every property name a response schema can carry, through `$ref`s."""
        if isinstance(node, dict):
            target = node.get("$ref", "")
            ref = target.rsplit("/", 1)[-1] if target.startswith("#/components/schemas/") else ""
            if ref and ref not in seen:
                yield from properties(SPEC["components"]["schemas"][ref], seen | {ref})
            for key, value in node.items():
                if key == "properties" and isinstance(value, dict):
                    yield from value
                yield from properties(value, seen)
        elif isinstance(node, list):
            for value in node:
                yield from properties(value, seen)

    response_schemas = [
        content.get("schema", {})
        for _, _, operation in operations()
        for response in operation.get("responses", {}).values()
        for content in response.get("content", {}).values()
    ]
    returned = set(properties(response_schemas))
    assert {"username", "is_admin", "token"} <= returned  # the walk does reach the user model
    assert not returned & SECRET_PROPERTIES
    assert not [name for name in properties(SPEC["components"]) if "hash" in name]

    pair = client.post(
        "/api/auth/login", json={"username": user.username, "password": user.password}
    )
    responses = [
        pair,
        client.post("/api/auth/refresh", json={"refresh_token": pair.get_json()["refresh_token"]}),
        client.get("/api/auth/me", headers=user.headers),
        client.get("/api/admin/users?per_page=100", headers=admin.headers),
        client.patch(
            f"/api/admin/users/{user.id}", json={"is_admin": False}, headers=admin.headers
        ),
        client.post(f"/api/admin/users/{user.id}/toggle", headers=admin.headers),
        client.get("/api/admin/audit", headers=admin.headers),
    ]
    for response in responses:
        assert response.status_code == 200, response.get_json()
        text = response.get_data(as_text=True)
        assert "password_hash" not in text and "$2b$" not in text and "token_version" not in text
        assert user.password not in text


# === API4: unrestricted resource consumption ===================================================

JSON_BODY_OPERATIONS = [
    (method.upper(), path, operation["operationId"])
    for path, method, operation in operations()
    if "application/json" in operation.get("requestBody", {}).get("content", {})
]


def test_api4_json_body_over_1_mib_is_413_on_every_json_route(
    client: FlaskClient, admin: Account
) -> None:
    assert len(JSON_BODY_OPERATIONS) >= 6
    oversized = json.dumps({"name": "x" * (MIB + 1)})
    for method, path, operation in JSON_BODY_OPERATIONS:
        url = re.sub(r"\{[^}]+\}", "1", path)
        response = client.open(
            url,
            method=method,
            data=oversized,
            content_type="application/json",
            headers=admin.headers,
        )
        assert response.status_code == 413, operation
        assert_error(response, 413)
    stats = client.get("/api/admin/stats", headers=admin.headers).get_json()
    assert stats["total"] == 0 and stats["users"]["total"] == 1


PAGED_OPERATIONS = [
    (path, operation["operationId"])
    for path, method, operation in operations()
    if method == "get" and any(p.get("name") == "per_page" for p in operation.get("parameters", []))
]


def test_api4_per_page_is_capped_at_100_everywhere(client: FlaskClient, admin: Account) -> None:
    assert len(PAGED_OPERATIONS) >= 5
    hook = client.post(
        "/api/webhooks",
        json={"url": "https://93.184.215.14/hooks", "events": ["item.created"]},  # public IP
        headers=admin.headers,
    ).get_json()
    for path, operation in PAGED_OPERATIONS:
        declared = next(
            p for p in SPEC["paths"][path]["get"]["parameters"] if p["name"] == "per_page"
        )
        assert declared["schema"].get("maximum") == 100, operation
        url = path.replace("{webhook_id}", str(hook["id"]))
        body = assert_error(client.get(f"{url}?per_page=101", headers=admin.headers), 400)
        assert "per_page" in body.get("errors", {}), operation
        assert client.get(f"{url}?per_page=100", headers=admin.headers).status_code == 200


def test_api4_upload_over_the_limit_is_413_and_leaves_nothing(
    app_factory: Callable[..., Flask],
) -> None:
    app = app_factory(MAX_UPLOAD_MB=1)
    client = app.test_client()
    user = register(client)
    response = upload(client, user, b"\0" * (MIB + 1), "big.zip")
    assert_error(response, 413)
    assert not any(Path(app.config["UPLOAD_FOLDER"]).iterdir())
    with app.app_context():
        assert db.session.query(Upload).count() == 0
    assert upload(client, user, b"x" * MIB, "ok.txt").status_code == 201


def test_api4_failed_logins_are_throttled_with_retry_after(
    app_factory: Callable[..., Flask],
) -> None:
    app = app_factory(LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    victim = register(client)
    wrong = {"username": victim.username, "password": "not-the-password"}
    for _ in range(3):
        assert_error(client.post("/api/auth/login", json=wrong), 401)
    throttled = client.post("/api/auth/login", json=wrong)
    assert_error(throttled, 429)
    assert int(throttled.headers["Retry-After"]) > 0
    # once throttled, even the right password gets no answer about the account
    right = {"username": victim.username.upper(), "password": victim.password}
    assert_error(client.post("/api/auth/login", json=right), 429)
    # successful logins and other users are not throttled by someone else's failures
    other = register(client)
    for _ in range(5):
        login(client, other.username, other.password)


# === API5: broken function level authorization =================================================

ADMIN_OPERATIONS = [
    (method.upper(), path, operation["operationId"])
    for path, method, operation in operations()
    if path.startswith("/api/admin/") or "admin" in operation.get("tags", [])
]
ADMIN_BODIES: dict[str, Any] = {
    "adminBulkDeleteItems": {"ids": [1]},
    "adminUpdateUser": {"is_admin": True},
}


def test_api5_admin_operations_are_found_and_documented() -> None:
    assert len(ADMIN_OPERATIONS) >= 8
    for method, path, operation in ADMIN_OPERATIONS:
        spec_op = SPEC["paths"][path][method.lower()]
        bearer_only, oauth2 = spec_op["security"]
        assert bearer_only == {"Bearer": []}, operation
        assert oauth2["OAuth2"] in (["admin:read"], ["admin:write"]), operation
        assert {"401", "403"} <= set(spec_op["responses"]), operation


@pytest.mark.parametrize("method, path, operation", ADMIN_OPERATIONS, ids=op_id)
def test_api5_admin_operation_refuses_users_and_anonymous(
    client: FlaskClient,
    admin: Account,
    user: Account,
    method: str,
    path: str,
    operation: str,
) -> None:
    item = client.post("/api/items", json={"name": "target"}, headers=user.headers).get_json()
    url = (
        path.replace("{item_id}", str(item["id"]))
        .replace("{user_id}", str(user.id))
        .replace("{pat_id}", "1")
    )
    body = ADMIN_BODIES.get(operation)
    before = client.get("/api/admin/stats", headers=admin.headers).get_json()

    assert_error(client.open(url, method=method, json=body, headers=user.headers), 403)
    assert_error(client.open(url, method=method, json=body), 401)
    assert_error(client.open(url, method=method, json=body, headers=bearer("junk")), 401)

    assert client.get("/api/admin/stats", headers=admin.headers).get_json() == before
    audit = client.get("/api/admin/audit", headers=admin.headers).get_json()
    assert audit["total"] == 0


# === API6: unrestricted access to sensitive business flows =====================================


def test_api6_credential_stuffing_from_one_address_is_throttled(
    app_factory: Callable[..., Flask],
) -> None:
    """Many usernames from one address: the per-address limit stops what per-user cannot."""
    app = app_factory(LOGIN_IP_RATE_LIMIT="5 per minute", LOGIN_RATE_LIMIT="100 per minute")
    client = app.test_client()
    for number in range(5):
        body = {"username": f"guess{number}", "password": "password123"}
        assert_error(client.post("/api/auth/login", json=body), 401)
    response = client.post("/api/auth/login", json={"username": "guess9", "password": "x" * 8})
    assert_error(response, 429)
    assert int(response.headers["Retry-After"]) > 0


# === API7: server side request forgery =========================================================


# Webhook subscriptions take the URL events are POSTed to, by design: the SSRF guard checks it
# when subscribing and before every delivery (tests/test_webhooks.py, the `ssrf` tests).
WEBHOOK_URL_INPUTS = {("createWebhook", "url"), ("updateWebhook", "url")}


def test_api7_no_operation_accepts_a_url_to_fetch() -> None:
    """No other input is a URL, so the server never fetches one on a caller's behalf."""
    suspicious = re.compile(r"(url|uri|href|callback|webhook|redirect|link|fetch)", re.IGNORECASE)

    def inputs(node: Any, name: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
        if isinstance(node, dict):
            if "$ref" in node:
                ref = node["$ref"].rsplit("/", 1)[-1]
                yield from inputs(SPEC["components"]["schemas"][ref], name)
                return
            yield name, node
            for key, value in node.get("properties", {}).items():
                yield from inputs(value, key)
            if isinstance(node.get("items"), dict):
                yield from inputs(node["items"], name)

    checked = 0
    for _, _, operation in operations():
        candidates = [(p["name"], p.get("schema", {})) for p in operation.get("parameters", [])]
        for content in operation.get("requestBody", {}).get("content", {}).values():
            candidates.extend(inputs(content.get("schema", {})))
        for name, schema in candidates:
            if (operation["operationId"], name) in WEBHOOK_URL_INPUTS:
                continue
            checked += 1
            assert schema.get("format") not in ("uri", "url", "uri-reference", "hostname"), name
            assert not suspicious.search(name), name
    assert checked > 20


# === API8: security misconfiguration ==========================================================


@pytest.mark.parametrize(
    "overrides",
    [
        {"SECRET_KEY": None},
        {"SECRET_KEY": ""},
        {"SECRET_KEY": "changeme"},
        {"SECRET_KEY": "secret"},
        {"SECRET_KEY": "short-but-not-default"},
        {"SECRET_KEY": "x7Lq2v9Rk4Tz8Wm3Np6Hd1Fb5Gc0Js2Ay", "JWT_SECRET_KEY": "dev"},
        {"SECRET_KEY": " " * 32},
        {"SECRET_KEY": "a" * 40},
        {"SECRET_KEY": "changeme" * 4},
        {"SECRET_KEY": "secret" * 6},
    ],
    ids=[
        "missing", "empty", "changeme", "secret", "short", "weak-jwt-key", "spaces", "one-letter",
        "changeme-x4", "secret-x6",
    ],
)  # fmt: skip
def test_api8_production_refuses_a_weak_secret(tmp_path: Path, overrides: dict[str, Any]) -> None:
    config = build_test_config(tmp_path, APP_ENV="production", TESTING=False, **overrides)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(config)
    assert not (tmp_path / ".secret_key").exists()  # no silent fallback to a generated key


@pytest.mark.parametrize("value", ["Production", " production ", "PRODUCTION"])
def test_api8_production_however_spelt_is_production(tmp_path: Path, value: str) -> None:
    """A misspelt production setting started in development mode: default admin password,
    a generated secret and none of production's refusals."""
    config = build_test_config(tmp_path, APP_ENV=value, TESTING=False, SECRET_KEY=None)
    with pytest.raises(RuntimeError, match="SECRET_KEY must be set when APP_ENV=production"):
        create_app(config)


@pytest.mark.parametrize("value", ["prod", "staging", "live", ""])
def test_api8_an_unknown_app_env_refuses_to_start(tmp_path: Path, value: str) -> None:
    config = build_test_config(tmp_path, APP_ENV=value, TESTING=False)
    with pytest.raises(RuntimeError, match="APP_ENV must be development or production"):
        create_app(config)


def test_api8_production_app_runs_without_debug(tmp_path: Path) -> None:
    config = build_test_config(tmp_path, APP_ENV="production", TESTING=False, METRICS_ENABLED=False)
    app = create_app(config)
    assert app.debug is False and app.testing is False
    client = FlaskClient(app, app.response_class)
    response = client.get("/console")
    assert_error(response, 404)
    assert "Werkzeug Debugger" not in response.get_data(as_text=True)


def test_api8_internal_error_is_json_500_without_details(
    app_factory: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = app_factory(APP_ENV="production", TESTING=False, METRICS_ENABLED=False)
    user = register(app.test_client())

    def explode(**kwargs: Any) -> None:
        raise RuntimeError(f"database at {ROOT}/secret.db said no")

    monkeypatch.setattr(item_service, "create_item", explode)
    monkeypatch.setattr(app.logger, "disabled", True)  # keep the expected traceback quiet
    client = FlaskClient(app, app.response_class)
    response = client.post("/api/items", json={"name": "boom"}, headers=user.headers)
    body = assert_error(response, 500)
    text = response.get_data(as_text=True)
    for leak in ("RuntimeError", "secret.db", str(ROOT), 'File "', "line ", "explode"):
        assert leak not in text
    assert set(body) <= {"error", "request_id"}
    assert client.get("/api/health").status_code == 200  # the worker survived


def test_api8_nosniff_on_every_response(
    client: FlaskClient, raw_client: FlaskClient, user: Account
) -> None:
    item = client.post("/api/items", json={"name": "n"}, headers=user.headers).get_json()
    url = upload(client, user, b"hello", "a.txt").get_json()["url"]
    requests = [
        (client, "GET", "/api", {}),
        (client, "GET", "/api/health", {}),
        (client, "GET", "/api/items", {}),
        (client, "GET", f"/api/items/{item['id']}", {}),
        (client, "GET", "/api/auth/me", {}),
        (client, "GET", "/api/items?per_page=0", {}),
        (client, "GET", url, {"headers": user.headers}),
        (client, "GET", "/api/docs", {}),
        (client, "GET", "/api/swagger.json", {}),
        (client, "GET", "/api/openapi.json", {}),
        (raw_client, "GET", "/swaggerui/swagger-ui-bundle.js", {}),
        (raw_client, "GET", "/nope", {}),
        (raw_client, "DELETE", "/api/health", {}),
        (raw_client, "OPTIONS", "/api/items", {}),
        (client, "POST", "/api/auth/login", {"data": "{", "content_type": "application/json"}),
    ]
    for test_client, method, path, kwargs in requests:
        response = test_client.open(path, method=method, buffered=True, **kwargs)
        assert response.status_code < 500, path
        assert response.headers.get("X-Content-Type-Options") == "nosniff", (method, path)


def test_api8_docs_cannot_be_framed_and_have_a_csp(client: FlaskClient) -> None:
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert response.headers["X-Frame-Options"] in ("DENY", "SAMEORIGIN")
    csp = {
        part.strip().split(" ", 1)[0]: part.strip()
        for part in response.headers["Content-Security-Policy"].split(";")
        if part.strip()
    }
    assert csp["frame-ancestors"] in ("frame-ancestors 'none'", "frame-ancestors 'self'")
    script = csp.get("script-src", csp.get("default-src", ""))
    assert "*" not in script and "http" not in script and "'self'" in script
    # and the JSON API itself allows nothing at all
    api_csp = client.get("/api/items").headers["Content-Security-Policy"]
    assert "default-src 'none'" in api_csp


def test_api8_cors_with_the_default_wildcard_never_allows_credentials(
    client: FlaskClient,
) -> None:
    """Any origin may read the public API, but a browser never sends its cookies along."""
    for origin in ("https://anywhere.example", "null", "<svg onload=1>"):
        response = client.get("/api/items", headers={"Origin": origin})
        assert response.headers["Access-Control-Allow-Origin"] == "*"  # never echoed back
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert "Set-Cookie" not in response.headers


def test_api8_cors_restricted_origins_are_enforced(app_factory: Callable[..., Flask]) -> None:
    app = app_factory(CORS_ORIGINS="https://app.example.com, https://admin.example.com")
    client = FlaskClient(app, app.response_class)
    allowed = client.get("/api/items", headers={"Origin": "https://admin.example.com"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://admin.example.com"
    assert "Origin" in allowed.headers.get("Vary", "")
    # The answer depends on Origin whatever it is: a cache must key on it every time.
    for headers in ({}, {"Origin": "https://evil.example"}):
        assert "Origin" in client.get("/api/items", headers=headers).headers.get("Vary", "")
    for origin in ("https://evil.example", "https://app.example.com.evil.example", "null"):
        response = client.get("/api/items", headers={"Origin": origin})
        assert "Access-Control-Allow-Origin" not in response.headers, origin
        preflight = client.options(
            "/api/items",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "Authorization",
            },
        )
        assert "Access-Control-Allow-Origin" not in preflight.headers, origin


@pytest.mark.slow
def test_api8_live_server_does_not_reveal_its_version(live_server: Any) -> None:
    """Against the real gunicorn: no `Server` version, no stack traces, JSON for its own errors."""
    urls = [
        f"{live_server.url}/api/health",
        f"{live_server.url}/api/nope",
        f"{live_server.url}/api/auth/me",
        f"{live_server.url}/api/docs",
        f"{live_server.url}/api/{'a' * 10_000}",  # gunicorn's own 414 error page
    ]
    for url in urls:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                status, headers, text = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, headers, text = error.code, error.headers, error.read()
        server = headers.get("Server", "")
        assert not re.search(r"\d", server), (url, server)
        assert headers.get("X-Content-Type-Options") == "nosniff", url
        assert status < 500 and b"Traceback" not in text, url
        if not url.endswith("/docs"):
            assert headers.get("Content-Type", "").startswith("application/json"), url


# === API9: improper inventory management =======================================================

UNDOCUMENTED_BY_DESIGN = {
    "/api",  # index pointing at the docs
    "/api/",  # Flask-RESTX root (same)
    "/api/docs",
    "/api/docs/assets/<path:filename>",  # the doc pages' scripts and ReDoc's bundle
    "/api/redoc",
    "/api/swagger.json",
    "/api/openapi.json",
    "/api/webhooks.json",  # the OpenAPI 3.1 document of the webhook events
    # SPEC.md's name for `/api/upload/<id>`; OpenAPI cannot list it beside `/uploads/{filename}`
    "/api/uploads/<int:upload_id>",
}


def _spec_operations() -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, method, _ in operations()}


def _served_operations(app: Flask) -> set[tuple[str, str]]:
    served = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api") or rule.rule in UNDOCUMENTED_BY_DESIGN:
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in rule.methods or ():
            if method not in ("HEAD", "OPTIONS"):
                served.add((method, path))
    return served


def test_api9_every_served_api_route_is_in_the_spec(app: Flask) -> None:
    served = _served_operations(app)
    assert len(served) >= 20
    assert served - _spec_operations() == set()
    assert _spec_operations() - served == set()


def test_api9_no_routes_outside_the_known_inventory(app: Flask) -> None:
    """Outside /api only the docs assets and metrics; nothing debug- or test-like anywhere."""
    outside = {rule.rule for rule in app.url_map.iter_rules() if not rule.rule.startswith("/api")}
    assert outside <= {"/static/<path:filename>", "/swaggerui/<path:filename>", "/metrics"}
    for rule in app.url_map.iter_rules():
        assert not re.search(r"debug|console|test|internal|shell", rule.rule), rule.rule
    assert SPEC["info"]["version"] and SPEC["openapi"].startswith("3.")


# === API10: unsafe consumption of APIs =========================================================

HTTP_CLIENTS = {
    "requests",
    "httpx",
    "aiohttp",
    "urllib3",
    "urllib.request",
    "http.client",
    "pycurl",
}


# The one outbound caller: webhook delivery, in the worker process. It keeps only the status
# code of the answer (its body is read up to a cap and discarded), so nothing the API returns
# comes from a receiver; its targets pass the SSRF guard (tests/test_webhooks.py).
OUTBOUND_CALLERS = {"api/webhooks/delivery.py"}


def test_api10_the_app_consumes_no_third_party_api() -> None:
    """The server calls no other API: nothing it returns comes from an upstream response."""
    sources = [*ROOT.joinpath("api").rglob("*.py"), *ROOT.joinpath("models").rglob("*.py")]
    sources = [s for s in sources if str(s.relative_to(ROOT)) not in OUTBOUND_CALLERS]
    sources.append(ROOT / "app.py")
    assert len(sources) > 10
    for source in sources:
        tree = ast.parse(source.read_text(), str(source))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                names = {node.module or ""}
            else:
                continue
            for name in names:
                assert not any(
                    name == client or name.startswith(client + ".") for client in HTTP_CLIENTS
                ), f"{source.relative_to(ROOT)} imports {name}"
