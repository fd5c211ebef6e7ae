"""The error contract and cross-cutting HTTP behaviour: JSON errors, headers, health, docs, CORS."""

import json
import re
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from api import create_app
from api.services import auth as auth_service
from models import db
from tests.helpers import assert_error, build_test_config

MIB = 1024 * 1024


# --- 404 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/nope",
        "/index.html",
        "/api/",
        "/api/nope",
        "/api/auth",
        "/api/auth/nope",
        "/api/items/not-a-number",
        "/api/items/999999",
        "/api/admin/nope",
        "/api//items",  # not merged into /api/items by an HTML redirect
        "//api/items",
        "/static/x.js",
        "/" + "a" * 20_000,
    ],
    ids=lambda p: p if len(p) < 40 else "very-long-url",
)
def test_unknown_routes_are_json_404(client, path):
    assert_error(client.get(path), 404)


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_unknown_routes_are_json_404_for_every_method(client, method):
    assert_error(client.open("/api/does-not-exist", method=method, json={}), 404)
    assert_error(client.open("/does-not-exist", method=method), 404)


# --- 405 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, path, allowed",
    [
        ("DELETE", "/api/health", {"GET"}),
        ("POST", "/api/health", {"GET"}),
        ("GET", "/api/auth/login", {"POST"}),
        ("PUT", "/api/auth/register", {"POST"}),
        ("DELETE", "/api/auth/me", {"GET"}),
        ("GET", "/api/auth/logout", {"POST"}),
        ("DELETE", "/api/items", {"GET", "POST"}),
        ("GET", "/api/admin/items/bulk-delete", {"POST"}),
        # An id beyond what an id column holds, with a method the path does not take.
        ("POST", "/api/items/99999999999", {"GET", "PATCH"}),
        ("PUT", "/api/webhooks/99999999999", {"GET", "PATCH", "DELETE"}),
        ("GET", "/api/webhooks/2147483648/ping", {"POST"}),
        ("DELETE", "/api/webhooks/1/deliveries/99999999999/redeliver", {"POST"}),
    ],
)
def test_wrong_method_is_json_405_with_allow(raw_client, method, path, allowed):
    response = raw_client.open(path, method=method)
    assert_error(response, 405)
    allow = {value.strip() for value in response.headers["Allow"].split(",")}
    assert allowed <= allow
    assert method not in allow


# --- request bodies ---------------------------------------------------------------------------


JSON_ENDPOINTS = [
    ("/api/auth/register", False),
    ("/api/auth/login", False),
    ("/api/auth/change-password", True),
    ("/api/items", True),
]


@pytest.mark.parametrize("path, needs_token", JSON_ENDPOINTS)
@pytest.mark.parametrize(
    "raw",
    ['{"username": "alice"', "{'single': 'quotes'}", "not json", "{,}", '{"a": 1} trailing'],
    ids=["truncated", "single-quotes", "text", "bad-comma", "trailing"],
)
def test_malformed_json_is_400(client, user, path, needs_token, raw):
    headers = user.headers if needs_token else {}
    response = client.post(path, data=raw, content_type="application/json", headers=headers)
    assert_error(response, 400)


def test_malformed_json_error_names_the_body(client):
    response = client.post("/api/auth/login", data="{", content_type="application/json")
    body = assert_error(response, 400)
    assert body.get("errors"), body


@pytest.mark.parametrize("path, needs_token", JSON_ENDPOINTS)
@pytest.mark.parametrize(
    "content_type, data",
    [
        ("application/x-www-form-urlencoded", "username=alice&password=secret-pass"),
        ("text/plain", '{"username": "alice", "password": "secret-pass"}'),
        ("multipart/form-data; boundary=xyz", "--xyz--\r\n"),
        ("application/xml", "<login/>"),
    ],
    ids=["form", "text", "multipart", "xml"],
)
def test_wrong_content_type_is_415(client, user, path, needs_token, content_type, data):
    headers = user.headers if needs_token else {}
    response = client.post(path, data=data, content_type=content_type, headers=headers)
    assert_error(response, 415)


def test_form_fields_via_form_helper_are_415(client):
    response = client.post(
        "/api/auth/login", data={"username": "admin", "password": "admin-password-1"}
    )
    assert_error(response, 415)


def test_missing_body_is_415_or_400(client):
    response = client.post("/api/auth/login")
    assert response.status_code in (400, 415)
    assert_error(response, response.status_code)


def test_json_content_type_with_charset_is_accepted(client):
    response = client.post(
        "/api/auth/login",
        data=json.dumps({"username": "admin", "password": "admin-password-1"}),
        content_type="application/json; charset=utf-8",
    )
    assert response.status_code == 200
    assert response.get_json()["token"]


@pytest.mark.parametrize("path, needs_token", JSON_ENDPOINTS)
def test_json_body_over_1_mib_is_413(client, user, path, needs_token):
    headers = user.headers if needs_token else {}
    payload = json.dumps({"name": "x" * (MIB + 10), "username": "alice", "password": "p"})
    response = client.post(path, data=payload, content_type="application/json", headers=headers)
    assert_error(response, 413)


def test_json_body_just_under_1_mib_is_not_413(client, user):
    payload = json.dumps({"name": "x" * (MIB - 1000)})
    assert len(payload) < MIB
    response = client.post(
        "/api/items", data=payload, content_type="application/json", headers=user.headers
    )
    assert_error(response, 400, "name")


def test_413_does_not_create_anything(client, user):
    payload = json.dumps({"name": "big", "description": "x" * (2 * MIB)})
    response = client.post(
        "/api/items", data=payload, content_type="application/json", headers=user.headers
    )
    assert_error(response, 413)
    assert client.get("/api/me/items", headers=user.headers).get_json()["total"] == 0


# --- validation errors ------------------------------------------------------------------------


def test_validation_errors_are_keyed_by_field(client):
    response = client.post(
        "/api/auth/register", json={"username": "x", "email": "nope", "password": "short"}
    )
    body = assert_error(response, 400, "username")
    assert set(body["errors"]) <= {"username", "email", "password"}
    assert all(isinstance(reason, str) for reason in body["errors"].values())


def test_missing_fields_are_all_reported(client):
    body = assert_error(client.post("/api/auth/register", json={}), 400)
    assert {"username", "email", "password"} <= set(body["errors"])


def test_item_validation_errors_are_keyed_by_field(client, user):
    response = client.post("/api/items", json={"name": ""}, headers=user.headers)
    assert_error(response, 400, "name")
    response = client.post("/api/items", json={"name": "x" * 256}, headers=user.headers)
    assert_error(response, 400, "name")
    response = client.post("/api/items", json={"description": "no name"}, headers=user.headers)
    assert_error(response, 400, "name")


@pytest.mark.parametrize("blank", [" ", "   ", "\t\n", "\u3000", "\ufeff"])
def test_a_blank_item_name_is_400(client, user, make_item, blank):
    response = client.post("/api/items", json={"name": blank}, headers=user.headers)
    assert assert_error(response, 400, "name")["errors"]["name"] == "must not be blank"
    item = make_item(user, " spaced ")
    response = client.patch(f"/api/items/{item['id']}", json={"name": blank}, headers=user.headers)
    assert assert_error(response, 400, "name")["errors"]["name"] == "must not be blank"
    assert client.get(f"/api/items/{item['id']}").get_json()["name"] == " spaced "


def test_validation_reasons_do_not_quote_the_refused_value(client, user, admin):
    """jsonschema's messages repeat the value: a description of just under 1 MiB came back
    whole in its 400, and a bulk delete of 1,001 ids echoed all of them."""
    long_description = {"name": "n", "description": "d" * 900_000}
    response = client.post("/api/items", json=long_description, headers=user.headers)
    body = assert_error(response, 400, "description")
    assert body["errors"]["description"] == "must be at most 10000 characters"
    assert len(response.data) < 1000
    response = client.post(
        "/api/admin/items/bulk-delete", json={"ids": [1] * 1001}, headers=admin.headers
    )
    assert assert_error(response, 400, "ids")["errors"]["ids"] == "must have at most 1000 items"
    response = client.post("/api/items", json={"name": ["n" * 5000]}, headers=user.headers)
    assert assert_error(response, 400, "name")["errors"]["name"] == "must be of type string"
    response = client.post(
        "/api/admin/items/bulk-delete", json={"ids": [0, 2**40]}, headers=admin.headers
    )
    reasons = assert_error(response, 400)["errors"]
    assert reasons["ids.0"] == "must be at least 1" and reasons["ids.1"].startswith(
        "must be at most"
    )


@pytest.mark.parametrize(
    "query, field",
    [
        ("page=abc", "page"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("per_page=0", "per_page"),
        ("per_page=101", "per_page"),
        ("per_page=x", "per_page"),
        ("sort=password_hash", "sort"),
        # Escapes that are not percent-encoded UTF-8 were searched for as literal text.
        ("q=%ff%fe", "q"),
        ("q=%C3%28", "q"),
        ("q=%e2%82", "q"),
        ("q=%zz", "q"),
        ("q=50%", "q"),
        ("per_page=5&q=%", "q"),
        ("%ff=1", "query"),
    ],
)
def test_bad_query_parameters_are_400_with_errors(client, query, field):
    assert_error(client.get(f"/api/items?{query}"), 400, field)


def test_percent_encoded_utf8_queries_are_searched_as_decoded(client, user, make_item):
    make_item(user, "weird %FF name")
    make_item(user, "café 50% off")
    assert client.get("/api/items?q=%25FF").get_json()["total"] == 1
    assert client.get("/api/items?q=caf%C3%A9+50%25").get_json()["total"] == 1


# --- unexpected failures ----------------------------------------------------------------------


def test_unexpected_exception_is_json_500_without_details(app, raw_client, monkeypatch):
    def explode(**kwargs: Any) -> None:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(auth_service, "authenticate", explode)
    monkeypatch.setattr(app.logger, "disabled", True)  # keep the expected traceback quiet
    response = raw_client.post(
        "/api/auth/login", json={"username": "admin", "password": "admin-password-1"}
    )
    body = assert_error(response, 500)
    assert "secret internal detail" not in response.get_data(as_text=True)
    assert "RuntimeError" not in body["error"]


# --- no HTML, ever ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, path, kwargs",
    [
        ("GET", "/missing", {}),
        ("GET", "/api/missing", {}),
        ("GET", "/api/auth/me", {}),
        ("GET", "/api/auth/me", {"headers": {"Authorization": "Bearer junk"}}),
        ("POST", "/api/auth/login", {"data": "{", "content_type": "application/json"}),
        ("POST", "/api/auth/login", {"data": "a=b", "content_type": "text/plain"}),
        ("POST", "/api/auth/login", {"json": {"username": "admin", "password": "wrong-pass"}}),
        ("POST", "/api/auth/register", {"json": {"username": "admin"}}),
        ("GET", "/api/items?per_page=1000", {}),
        ("GET", "/api/items/424242", {}),
        (
            "POST",
            "/api/auth/login",
            {"data": "x" * (MIB + 1), "content_type": "application/json"},
        ),
    ],
    ids=[
        "404",
        "api-404",
        "401-missing",
        "401-junk",
        "400-malformed",
        "415",
        "401-login",
        "400-validation",
        "400-query",
        "404-item",
        "413",
    ],
)
def test_error_responses_are_json_not_html(client, method, path, kwargs):
    response = client.open(path, method=method, **kwargs)
    assert 400 <= response.status_code < 500
    assert response.headers["Content-Type"].startswith("application/json")
    assert_error(response, response.status_code)


def test_405_is_json_not_html(raw_client):
    response = raw_client.put("/api/health")
    assert response.headers["Content-Type"].startswith("application/json")
    assert_error(response, 405)


# --- security headers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path, status",
    [
        ("/api/health", 200),
        ("/api/items", 200),
        ("/api/auth/me", 401),
        ("/api/nope", 404),
        ("/nope", 404),
        ("/api/docs", 200),
        ("/api/swagger.json", 200),
    ],
)
def test_security_headers_are_present(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] in ("DENY", "SAMEORIGIN")


def test_api_responses_are_not_cached(client, user):
    response = client.get("/api/auth/me", headers=user.headers)
    assert response.status_code == 200
    assert "no-store" in response.headers.get("Cache-Control", "")


# --- health -------------------------------------------------------------------------------------


def test_health_is_200_healthy(client):
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["status"] == "healthy"
    assert body["service"] == "backend"


def test_health_is_503_when_database_query_fails(app, client, monkeypatch):
    def broken(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("SELECT 1", {}, Exception("database is gone"))

    with app.app_context():  # every database access, ORM or not, checks out from the pool
        monkeypatch.setattr(db.engine.pool, "connect", broken)
    response = client.get("/api/health")
    assert response.status_code == 503
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["status"] == "unhealthy"
    assert body["service"] == "backend"
    assert "database is gone" not in response.get_data(as_text=True)


def test_health_is_503_when_database_is_unreachable(tmp_path):
    config = build_test_config(
        tmp_path, SQLALCHEMY_DATABASE_URI="sqlite:////nonexistent-dir/nested/x.db"
    )
    app = create_app(config)
    try:
        response = app.test_client().get("/api/health")
        assert response.status_code == 503
        assert response.mimetype == "application/json"
        body = response.get_json()
        assert body["status"] == "unhealthy"
        assert body["service"] == "backend"
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_health_recovers_after_database_failure(app, client, monkeypatch):
    def broken(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("SELECT 1", {}, Exception("down"))

    with app.app_context():  # every database access, ORM or not, checks out from the pool
        monkeypatch.setattr(db.engine.pool, "connect", broken)
    assert client.get("/api/health").status_code == 503
    monkeypatch.undo()
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.get_json()["status"] == "healthy"


# --- CORS ----------------------------------------------------------------------------------------


def test_cors_header_for_an_origin(client):
    response = client.get("/api/health", headers={"Origin": "https://app.example"})
    assert response.status_code == 200
    assert response.headers.get("Access-Control-Allow-Origin") in ("*", "https://app.example")


def test_cors_header_on_error_responses(client):
    response = client.get("/api/auth/me", headers={"Origin": "https://app.example"})
    assert_error(response, 401)
    assert response.headers.get("Access-Control-Allow-Origin") in ("*", "https://app.example")


def test_cors_preflight_allows_authorization_header(raw_client):
    response = raw_client.options(
        "/api/items",
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization, Content-Type",
        },
    )
    assert response.status_code in (200, 204)
    assert response.headers.get("Access-Control-Allow-Origin") in ("*", "https://app.example")
    assert "POST" in response.headers.get("Access-Control-Allow-Methods", "")
    assert "authorization" in response.headers.get("Access-Control-Allow-Headers", "").lower()
    # Browsers may keep the answer (ours: 10 minutes) instead of asking before every write.
    assert response.headers["Access-Control-Max-Age"] == "600"
    assert "Content-Type" not in response.headers and response.data == b""


def test_options_has_no_content_type_for_its_empty_body(raw_client):
    response = raw_client.options("/api/items")
    assert response.status_code == 200 and response.data == b""
    assert "Content-Type" not in response.headers
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST", "OPTIONS"}


def test_cors_exposes_retry_after(client):
    response = client.get("/api/health", headers={"Origin": "https://app.example"})
    exposed = response.headers.get("Access-Control-Expose-Headers", "").lower()
    assert "retry-after" in exposed


def test_cors_origins_are_configurable(app_factory):
    client = app_factory(CORS_ORIGINS="https://good.example").test_client()
    good = client.get("/api/health", headers={"Origin": "https://good.example"})
    assert good.headers.get("Access-Control-Allow-Origin") == "https://good.example"
    evil = client.get("/api/health", headers={"Origin": "https://evil.example"})
    assert evil.status_code == 200
    assert "Access-Control-Allow-Origin" not in evil.headers


# --- documentation ------------------------------------------------------------------------------


def test_swagger_ui_is_served(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "swagger" in response.get_data(as_text=True).lower()


def test_swagger_ui_assets_are_bundled(client):
    page = client.get("/api/docs").get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert any(asset.endswith("swagger-ui-bundle.js") for asset in assets), assets
    for asset in assets:
        assert asset.startswith("/") and not asset.startswith("//"), asset
        with client.get(asset, buffered=True) as response:
            assert response.status_code == 200, asset
            assert response.get_data(), asset


def test_swagger_json_is_served(client):
    response = client.get("/api/swagger.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    spec = response.get_json()
    assert spec["swagger"] == "2.0"
    assert spec.get("basePath") == "/api"
    for path in ("/auth/register", "/auth/login", "/auth/me", "/health", "/items"):
        assert path in spec["paths"], path
    assert "Bearer" in spec.get("securityDefinitions", {})


def test_openapi_json_is_served(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    assert "/api/auth/login" in spec["paths"]
