"""The spec says which scopes each operation needs; the server must agree, exactly.

For every operation in `openapi.json` and every scope, a token holding exactly that scope (a
personal access token, and a login JWT narrowed with `scope=`) is allowed or refused as the
operation's declared security says: allowed when the OAuth2 requirement's scopes are all held
(or the operation is public), refused with 403 and `WWW-Authenticate: Bearer
error="insufficient_scope", scope="..."` (RFC 6750 §3.1) otherwise. Operations marked
`x-interactive-login-required` refuse personal access tokens whatever their scopes.
"""

import io
from typing import Any

import pytest

from api.core.scopes import SCOPES
from api.http.auth import INTERACTIVE_EXTENSION
from tests.factories import tiny_png
from tests.helpers import narrowed_login, register
from tests.spec import operations

# Bodies that pass validation, so an allowed call reaches the operation itself.
BODIES: dict[str, Any] = {
    "createItem": {"name": "scoped"},
    "replaceItem": {"name": "scoped"},
    "updateItem": {"name": "scoped"},
    "adminBulkDeleteItems": {"ids": [2_000_000_000]},
    "adminUpdateUser": {"is_active": True},
    "changePassword": {"current_password": "wrong-password", "new_password": "whatever new"},
    "createPersonalAccessToken": {"name": "child", "scopes": ["items:read"], "expires_in_days": 1},
}


def declared_scopes(operation: dict[str, Any]) -> list[str] | None:
    """The OAuth2 scopes an operation needs; None when it declares no OAuth2 requirement."""
    for requirement in operation.get("security", []):
        if "OAuth2" in requirement:
            return requirement["OAuth2"]
    return None


def is_public(operation: dict[str, Any]) -> bool:
    if operation["operationId"] == "downloadFile":  # public only with a signed link
        return False
    return not operation.get("security") or {} in operation["security"]


def test_every_protected_operation_declares_oauth2_scopes():
    for path, method, operation in operations():
        if not is_public(operation):
            assert declared_scopes(operation) is not None, f"{method} {path}"
            assert set(declared_scopes(operation)) <= set(SCOPES)


@pytest.fixture
def world(client, admin):
    """An item, a file, a spare user and a spare token for the path parameters."""
    spare = register(client)
    item = client.post("/api/items", json={"name": "target"}, headers=admin.headers).get_json()
    upload = client.post(
        "/api/upload",
        data={"file": (io.BytesIO(tiny_png()), "a.png")},
        headers=admin.headers,
        content_type="multipart/form-data",
    ).get_json()
    return {
        "{item_id}": str(item["id"]),
        "{user_id}": str(spare.id),
        "{filename}": upload["download_path"].rsplit("/", 1)[-1],
        "{upload_id}": str(upload["id"]),
        "{pat_id}": "2000000000",
        "{webhook_id}": "2000000000",
        "{delivery_id}": "2000000000",
    }


def pat_with(client, admin, scope: str) -> str:
    body = {"name": scope, "scopes": [scope], "expires_in_days": 1}
    response = client.post("/api/me/tokens", json=body, headers=admin.headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["token"]


def jwt_with(client, admin, scope: str) -> str:
    form = {
        "grant_type": "password",
        "username": admin.username,
        "password": admin.password,
        "scope": scope,
    }
    response = client.post("/api/auth/token", data=form)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["access_token"]


def call(client, method: str, path: str, operation: dict[str, Any], world, token: str):
    url = path
    for placeholder, value in world.items():
        url = url.replace(placeholder, value)
    kwargs: dict[str, Any] = {"headers": {"Authorization": f"Bearer {token}"}, "buffered": True}
    if operation["operationId"] == "uploadFile":
        kwargs["data"] = {"file": (io.BytesIO(tiny_png()), "b.png")}
        kwargs["content_type"] = "multipart/form-data"
    elif operation["operationId"] == "oauthToken":
        kwargs["data"] = {"grant_type": "password"}
    elif "requestBody" in operation:
        kwargs["json"] = BODIES.get(operation["operationId"], {"email": "x@example.com"})
    return client.open(url, method=method.upper(), **kwargs)


@pytest.mark.parametrize("kind", ["personal access token", "login JWT"])
def test_each_scope_is_allowed_or_refused_exactly_as_declared(client, admin, world, kind):
    mint = pat_with if kind == "personal access token" else jwt_with
    checked = 0
    for scope in SCOPES:
        token = mint(client, admin, scope)
        for path, method, operation in operations():
            needed = declared_scopes(operation)
            interactive_only = operation.get(INTERACTIVE_EXTENSION, False)
            refused_for_pat = interactive_only and kind == "personal access token"
            allowed = is_public(operation) or (set(needed or []) <= {scope} and not refused_for_pat)
            response = call(client, method, path, operation, world, token)
            where = f"{operation['operationId']} with {kind} [{scope}] -> {response.status_code}"
            challenge = response.headers.get("WWW-Authenticate", "")
            if allowed:
                assert response.status_code not in (401, 403) or (
                    response.status_code == 403 and "insufficient_scope" not in challenge
                ), where
            else:
                assert response.status_code == 403, where
                assert challenge.startswith('Bearer error="insufficient_scope"'), where
                if needed and not set(needed) <= {scope}:
                    assert f'scope="{" ".join(needed)}"' in challenge, where
                elif refused_for_pat:  # the scopes are there: no scope would help
                    assert "scope=" not in challenge, where
                    assert 'error_description="interactive login"' in challenge, where
            if operation["operationId"] == "logout" and response.status_code == 200:
                token = mint(client, admin, scope)  # that one is revoked now
            checked += 1
    assert checked == len(SCOPES) * len(operations())


def test_a_public_operation_serves_an_under_scoped_token_as_anonymous(client, user, make_item):
    item = make_item(user)
    client.delete(f"/api/items/{item['id']}", headers=user.headers)
    body = {"name": "up", "scopes": ["uploads:read"], "expires_in_days": 1}
    token = client.post("/api/me/tokens", json=body, headers=user.headers).get_json()["token"]
    hidden = client.get(f"/api/items/{item['id']}", headers={"Authorization": f"Bearer {token}"})
    assert hidden.status_code == 404  # its owner's token, but without items:read
    assert client.get(f"/api/items/{item['id']}", headers=user.headers).status_code == 200


def test_logins_get_every_scope_of_their_role(client, user, admin):
    for account in (user, admin):
        spec_ops = [op for _, _, op in operations() if declared_scopes(op)]
        assert spec_ops
        assert client.get("/api/me/items", headers=account.headers).status_code == 200
    assert client.get("/api/admin/stats", headers=admin.headers).status_code == 200


@pytest.mark.parametrize("kind", ["user", "admin"])
def test_a_narrowed_login_cannot_mint_a_wider_personal_access_token(client, user, admin, kind):
    account = admin if kind == "admin" else user
    narrowed = {"Authorization": f"Bearer {jwt_with(client, account, 'account')}"}
    for wider in (["items:write"], ["account", "items:read"], ["admin:read", "admin:write"]):
        if kind == "user" and "admin:read" in wider:
            continue  # beyond the role: refused for that reason already
        body = {"name": "wider", "scopes": wider, "expires_in_days": 1}
        refused = client.post("/api/me/tokens", json=body, headers=narrowed)
        assert refused.status_code == 400, (wider, refused.get_json())
        assert "beyond the scopes of the token asking" in refused.get_json()["errors"]["scopes"]
    body = {"name": "same", "scopes": ["account"], "expires_in_days": 1}
    assert client.post("/api/me/tokens", json=body, headers=narrowed).status_code == 201
    body["scopes"] = ["admin:write"] if kind == "admin" else ["items:write"]
    assert client.post("/api/me/tokens", json=body, headers=account.headers).status_code == 201


def test_an_admin_token_without_admin_scopes_has_no_power_over_others_items(
    client, user, admin, make_item
):
    active, deleted = make_item(user), make_item(user)
    assert client.delete(f"/api/items/{deleted['id']}", headers=user.headers).status_code == 204
    for token in (jwt_with(client, admin, "items:read items:write"), pat_items(client, admin)):
        headers = {"Authorization": f"Bearer {token}"}
        change = {"description": "moderated"}
        assert (
            client.patch(f"/api/items/{active['id']}", json=change, headers=headers).status_code
            == 403
        )
        assert client.delete(f"/api/items/{active['id']}", headers=headers).status_code == 403
        assert client.get(f"/api/items/{deleted['id']}", headers=headers).status_code == 404
        own = client.post("/api/items", json={"name": "the admin's own"}, headers=headers)
        assert (
            client.patch(
                f"/api/items/{own.get_json()['id']}", json=change, headers=headers
            ).status_code
            == 200
        )
    # admin:read shows someone else's deleted item; admin:write changes it.
    reader = {"Authorization": f"Bearer {jwt_with(client, admin, 'items:read admin:read')}"}
    assert client.get(f"/api/items/{deleted['id']}", headers=reader).status_code == 200
    change = {"description": "moderated"}
    assert (
        client.patch(f"/api/items/{active['id']}", json=change, headers=reader).status_code == 403
    )
    writer = {"Authorization": f"Bearer {jwt_with(client, admin, 'items:write admin:write')}"}
    assert (
        client.patch(f"/api/items/{active['id']}", json=change, headers=writer).status_code == 200
    )
    assert (
        client.patch(f"/api/items/{active['id']}", json=change, headers=admin.headers).status_code
        == 200
    )


def test_an_admin_token_without_admin_scopes_has_no_power_over_others_uploads(client, user, admin):
    upload = client.post(
        "/api/upload",
        data={"file": (io.BytesIO(tiny_png()), "theirs.png")},
        headers=user.headers,
        content_type="multipart/form-data",
    ).get_json()
    body = {"name": "files", "scopes": ["uploads:read", "uploads:write"], "expires_in_days": 1}
    pat = client.post("/api/me/tokens", json=body, headers=admin.headers).get_json()["token"]
    headers = {"Authorization": f"Bearer {pat}"}
    assert client.get(f"/api/upload/{upload['id']}", headers=headers).status_code == 403
    assert client.get(upload["download_path"], headers=headers).status_code == 403
    assert client.delete(f"/api/upload/{upload['id']}", headers=headers).status_code == 403
    assert client.get(f"/api/upload/{upload['id']}", headers=admin.headers).status_code == 200
    assert client.get(upload["download_path"], headers=admin.headers).status_code == 200
    assert client.delete(f"/api/upload/{upload['id']}", headers=admin.headers).status_code == 204


def pat_items(client, admin) -> str:
    body = {"name": "items", "scopes": ["items:read", "items:write"], "expires_in_days": 1}
    response = client.post("/api/me/tokens", json=body, headers=admin.headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["token"]


def test_a_password_change_keeps_the_login_as_narrow_as_it_was(client, admin):
    """It answered a login narrowed to `account` with a token of every admin scope."""
    headers = narrowed_login(client, admin, "account")
    assert client.get("/api/admin/stats", headers=headers).status_code == 403
    body = {"current_password": admin.password, "new_password": "another-long-admin-passphrase"}
    changed = client.post("/api/auth/change-password", json=body, headers=headers)
    assert changed.status_code == 200, changed.get_json()
    fresh = {"Authorization": f"Bearer {changed.get_json()['token']}"}
    assert client.get("/api/admin/stats", headers=fresh).status_code == 403
    assert client.get("/api/auth/me", headers=fresh).status_code == 200


def test_a_demoted_admins_logins_refresh_to_a_users_scopes_only(client, admin, make_user):
    """A refresh answered a demoted admin with `admin:read admin:write` (and granted a narrowing
    to `admin:write`); kept in the new pair, those scopes came back to life on a promotion."""
    other = make_user()
    promote = {"is_admin": True}
    client.patch(f"/api/admin/users/{other.id}", json=promote, headers=admin.headers)
    form = {"grant_type": "password", "username": other.username, "password": other.password}
    grants = [client.post("/api/auth/token", data=form).get_json() for _ in range(2)]
    assert "admin:write" in grants[0]["scope"].split()
    demote = {"is_admin": False}
    client.patch(f"/api/admin/users/{other.id}", json=demote, headers=admin.headers)

    asked = {"grant_type": "refresh_token", "refresh_token": grants[0]["refresh_token"]}
    narrowed = client.post("/api/auth/token", data={**asked, "scope": "admin:write"})
    assert narrowed.status_code == 400 and narrowed.get_json()["error"] == "invalid_scope"
    refreshed = client.post("/api/auth/token", data=asked)
    assert refreshed.status_code == 200, refreshed.get_json()
    assert not {"admin:read", "admin:write"} & set(refreshed.get_json()["scope"].split())
    json_refresh = {"refresh_token": grants[1]["refresh_token"]}
    pair = client.post("/api/auth/refresh", json=json_refresh).get_json()

    client.patch(f"/api/admin/users/{other.id}", json=promote, headers=admin.headers)
    for token in (refreshed.get_json()["access_token"], pair["token"]):
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/admin/stats", headers=headers).status_code == 403
        assert client.get("/api/me/items", headers=headers).status_code == 200
