"""`POST /api/auth/token`: the OAuth2 password and refresh-token grants (RFC 6749 §4.3, §6),
form-encoded, answering §5.1 tokens and §5.2 errors."""

import pytest

from api.core.scopes import ADMIN_SCOPES, USER_SCOPES, as_string
from tests.helpers import register

TOKEN_URL = "/api/auth/token"


def grant(client, **form):
    return client.post(TOKEN_URL, data=form)


def password_grant(client, account, **extra):
    return grant(
        client, grant_type="password", username=account.username, password=account.password, **extra
    )


def test_password_grant_returns_an_rfc_6749_token_response(client, user):
    response = password_grant(client, user)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert set(body) == {
        "access_token",
        "token_type",
        "expires_in",
        "refresh_token",
        "refresh_expires_in",
        "scope",
    }
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] > 0
    assert body["scope"] == as_string(USER_SCOPES)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Pragma"] == "no-cache"
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.get_json()["id"] == user.id


def test_admin_gets_the_admin_scopes(client, admin):
    assert password_grant(client, admin).get_json()["scope"] == as_string(ADMIN_SCOPES)


def test_username_may_be_the_email(client, user):
    response = grant(client, grant_type="password", username=user.email, password=user.password)
    assert response.status_code == 200


def test_multipart_form_is_accepted_too(client, user):
    response = client.post(
        TOKEN_URL,
        data={"grant_type": "password", "username": user.username, "password": user.password},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200


def test_unknown_parameters_are_ignored(client, user):
    """RFC 6749 §3.2; Swagger UI sends `client_id`."""
    assert password_grant(client, user, client_id="swagger-ui").status_code == 200


def test_wrong_password_is_invalid_grant(client, user):
    response = grant(client, grant_type="password", username=user.username, password="nope-nope")
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "invalid_grant"
    assert body["error_description"] == "Invalid username or password"


def test_inactive_account_is_invalid_grant(client, admin, user):
    client.post(f"/api/admin/users/{user.id}/toggle", headers=admin.headers)
    assert password_grant(client, user).get_json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({}, "invalid_request"),
        ({"grant_type": "password"}, "invalid_request"),
        ({"grant_type": "password", "username": "alice"}, "invalid_request"),
        ({"grant_type": "refresh_token"}, "invalid_request"),
        ({"grant_type": "client_credentials"}, "unsupported_grant_type"),
        ({"grant_type": "authorization_code", "code": "x"}, "unsupported_grant_type"),
        ({"grant_type": "password", "username": "a" * 300, "password": "x"}, "invalid_request"),
        ({"grant_type": "refresh_token", "refresh_token": "not-a-jwt"}, "invalid_grant"),
    ],
)
def test_bad_requests_get_rfc_6749_errors(client, form, error):
    response = grant(client, **form)
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == error
    assert body["error_description"]


def test_json_body_is_invalid_request(client, user):
    body = {"grant_type": "password", "username": user.username, "password": user.password}
    response = client.post(TOKEN_URL, json=body)
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_request"


@pytest.mark.parametrize(
    "repeated", ["username={name}&username=x", "grant_type=refresh_token&username={name}"]
)
def test_repeated_parameter_is_invalid_request(client, user, repeated):
    """RFC 6749 §3.1: no parameter more than once, `grant_type` included."""
    response = client.post(
        TOKEN_URL,
        data=f"grant_type=password&{repeated.format(name=user.username)}&password={user.password}",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_request"
    assert "is repeated" in response.get_json()["error_description"]


def test_an_unknown_long_grant_type_is_unsupported(client):
    data = {"grant_type": "urn:ietf:params:oauth:grant-type:device_code"}
    response = client.post(TOKEN_URL, data=data)
    assert response.get_json()["error"] == "unsupported_grant_type"


def test_scope_narrows_the_token(client, user, make_item):
    body = password_grant(client, user, scope="items:read").get_json()
    assert body["scope"] == "items:read"
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    assert client.get("/api/me/items", headers=headers).status_code == 200
    refused = client.post("/api/items", json={"name": "x"}, headers=headers)
    assert refused.status_code == 403
    assert refused.headers["WWW-Authenticate"] == (
        'Bearer error="insufficient_scope", scope="items:write"'
    )


@pytest.mark.parametrize("scope", ["admin:read", "items:read admin:write", "bogus"])
def test_scope_beyond_the_role_is_invalid_scope(client, user, scope):
    response = password_grant(client, user, scope=scope)
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_scope"


def test_failed_password_grants_count_like_failed_logins(app_factory):
    from tests.helpers import register

    client = app_factory(LOGIN_RATE_LIMIT="3 per minute").test_client()
    account = register(client)
    bad = {"grant_type": "password", "username": account.username, "password": "wrong-pass"}
    statuses = [client.post(TOKEN_URL, data=bad).status_code for _ in range(3)]
    assert statuses == [400, 400, 400]
    limited = client.post(TOKEN_URL, data=bad)
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
    # the JSON login shares the same count
    login = client.post("/api/auth/login", json={"username": account.username, "password": "x"})
    assert login.status_code == 429


def test_refresh_grant_rotates(app_factory):
    client = app_factory(REFRESH_REUSE_INTERVAL=0).test_client()  # a retry is reuse at once
    user = register(client)
    first = password_grant(client, user).get_json()
    response = grant(client, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert response.status_code == 200, response.get_json()
    second = response.get_json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["scope"] == first["scope"]
    reused = grant(client, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert reused.status_code == 400
    assert reused.get_json()["error"] == "invalid_grant"


def test_refresh_keeps_and_may_narrow_the_scope(client, user):
    first = password_grant(client, user, scope="items:read items:write").get_json()
    kept = grant(client, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert kept.get_json()["scope"] == "items:read items:write"
    narrowed = grant(
        client,
        grant_type="refresh_token",
        refresh_token=kept.get_json()["refresh_token"],
        scope="items:read",
    )
    assert narrowed.get_json()["scope"] == "items:read"
    widened = grant(
        client,
        grant_type="refresh_token",
        refresh_token=narrowed.get_json()["refresh_token"],
        scope="items:read uploads:write",
    )
    assert widened.status_code == 400
    assert widened.get_json()["error"] == "invalid_scope"


def test_refresh_from_the_json_login_works_at_the_token_endpoint(client, user):
    login = client.post(
        "/api/auth/login", json={"username": user.username, "password": user.password}
    ).get_json()
    response = grant(client, grant_type="refresh_token", refresh_token=login["refresh_token"])
    assert response.status_code == 200
    assert response.get_json()["scope"] == as_string(USER_SCOPES)


def test_spec_declares_the_oauth2_password_flow(client):
    spec = client.get("/api/openapi.json").get_json()
    scheme = spec["components"]["securitySchemes"]["OAuth2"]
    flow = scheme["flows"]["password"]
    assert (flow["tokenUrl"], flow["refreshUrl"]) == (TOKEN_URL, TOKEN_URL)
    assert set(flow["scopes"]) == set(ADMIN_SCOPES)
    body = spec["paths"][TOKEN_URL]["post"]["requestBody"]["content"]
    assert "application/x-www-form-urlencoded" in body
    swagger = client.get("/api/swagger.json").get_json()
    assert swagger["securityDefinitions"]["OAuth2"]["flow"] == "password"
    assert swagger["securityDefinitions"]["OAuth2"]["tokenUrl"].endswith(TOKEN_URL)


def test_refresh_of_a_json_login_cannot_report_another_roles_scopes(client, user):
    """A JSON login's refresh token holds every scope of the user's role: a user asking for
    the admin scopes got a 200 reporting `admin:read admin:write` (though the role still
    ruled them out), where the password grant answers invalid_scope."""
    login = client.post(
        "/api/auth/login", json={"username": user.username, "password": user.password}
    ).get_json()
    form = {
        "grant_type": "refresh_token",
        "refresh_token": login["refresh_token"],
        "scope": "admin:read admin:write",
    }
    response = client.post("/api/auth/token", data=form)
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error"] == "invalid_scope"
    form["scope"] = "items:read"
    narrowed = client.post("/api/auth/token", data=form)
    assert narrowed.status_code == 200 and narrowed.get_json()["scope"] == "items:read"
