"""The documentation pages over HTTP: Swagger UI and ReDoc on the OpenAPI 3 document, offline,
under a CSP that allows no inline script (the browser itself is driven in test_swagger_ui.py)."""

import hashlib
import re

import pytest
from flask.testing import FlaskClient

from api.core.config import ROOT

REDOC_BUNDLE = ROOT / "api" / "openapi" / "ui" / "static" / "redoc" / "redoc.standalone.js"
# sha256 of bundles/redoc.standalone.js in the npm package redoc@3.0.1 (`npm pack redoc@3.0.1`).
REDOC_SHA256 = "8c70c2de83d33e33a75b225e573d6d9fe851f066f824b44b1637d831d52d7543"


def csp(response) -> dict[str, list[str]]:
    directives = response.headers["Content-Security-Policy"].split(";")
    parsed = (d.split() for d in directives if d.strip())
    return {name: values for name, *values in parsed}


def text_of(client: FlaskClient, path: str) -> str:
    """A static file's text (its response streams the file: close it)."""
    with client.get(path, buffered=True) as response:
        assert response.status_code == 200, path
        return response.get_data(as_text=True)


def page_assets(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html)


@pytest.mark.parametrize("path", ["/api/docs", "/api/redoc"])
def test_docs_pages_allow_no_inline_script(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    policy = csp(response)
    assert policy["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["default-src"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    html = response.get_data(as_text=True)
    # no inline script at all: every <script> loads a file, no on* handler attributes
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert re.search(r"\son[a-z]+\s*=", html) is None


@pytest.mark.parametrize("path", ["/api/docs", "/api/redoc"])
def test_docs_pages_load_only_local_assets(client: FlaskClient, path: str) -> None:
    assets = page_assets(client.get(path).get_data(as_text=True))
    assert assets
    for asset in assets:
        assert asset.startswith("/") and not asset.startswith("//"), asset
        with client.get(asset, buffered=True) as response:
            assert response.status_code == 200, asset
            assert response.get_data(), asset


def test_swagger_ui_reads_the_openapi3_document_and_persists_authorization(
    client: FlaskClient,
) -> None:
    html = client.get("/api/docs").get_data(as_text=True)
    assert 'data-spec-url="/api/openapi.json"' in html
    assert "swagger.json" not in html
    init = text_of(client, "/api/docs/assets/swagger-init.js")
    assert "persistAuthorization: true" in init
    assert "validatorUrl: null" in init
    assert client.get("/api/openapi.json").get_json()["openapi"].startswith("3.")


def test_redoc_is_the_vendored_bundle_without_telemetry(client: FlaskClient) -> None:
    html = client.get("/api/redoc").get_data(as_text=True)
    assert 'data-spec-url="/api/openapi.json"' in html
    init = text_of(client, "/api/docs/assets/redoc-init.js")
    assert 'from "./redoc/redoc.standalone.js"' in init
    assert "disableTelemetry: true" in init
    with client.get("/api/docs/assets/redoc/redoc.standalone.js", buffered=True) as response:
        assert response.status_code == 200
        assert response.mimetype == "text/javascript"
        served = response.get_data()
    assert hashlib.sha256(served).hexdigest() == REDOC_SHA256
    assert hashlib.sha256(REDOC_BUNDLE.read_bytes()).hexdigest() == REDOC_SHA256
    assert b"Version: 3.0.1" in served[:300]
    assert (REDOC_BUNDLE.parent / "LICENSE").read_text().startswith("The MIT License")


def test_api_index_names_both_documentation_pages(client: FlaskClient) -> None:
    body = client.get("/api").get_json()
    assert body["docs"] == "/api/docs" and body["redoc"] == "/api/redoc"
    assert body["openapi"] == "/api/openapi.json"


def test_api_responses_keep_the_strict_csp(client: FlaskClient) -> None:
    assert csp(client.get("/api/items"))["default-src"] == ["'none'"]
