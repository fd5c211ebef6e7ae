"""All namespaces, collected on one Flask-RESTX `Api` mounted at `/api`."""

import json
from typing import Any

from flask import Blueprint, Response, current_app
from flask_restx import Api
from flask_restx.mask import MaskError, ParseError

from api.docs import document
from api.errors import error_response
from api.jsonio import output_json
from api.namespaces import admin, auth, health, user
from api.observability import REQUEST_ID_HEADER
from api.schemas import SHARED_MODELS

NAMESPACES = (health.ns, auth.ns, user.ns, admin.ns)

AUTHORIZATIONS = {
    "Bearer": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "JWT access token from `login`/`register`, sent as `Bearer <token>`. "
        "HS256 only, with `exp`, `iat`, `iss` and `aud` checked, per RFC8725 (JWT best current "
        "practices).",
    }
}

API_DESCRIPTION = """JSON REST API with JWT authentication, items, uploads and administration.

* Authenticate with `POST /api/auth/login` and send `Authorization: Bearer <token>`.
* Lists return `{"items": [...], "total", "page", "per_page"}`; `per_page` is at most 100.
* Errors return `{"error": "<message>"}`, plus `errors` (field -> reason) on validation errors.
* The same API as OpenAPI 3: `GET /api/openapi.json`.
"""


# Every operation accepts and echoes a request id (see api/observability.py).
REQUEST_ID_DOC = {
    "params": {
        REQUEST_ID_HEADER: {
            "in": "header",
            "type": "string",
            "maxLength": 128,
            "description": "Your id for this request (letters, digits, `._:@-`); "
            "one is generated when absent or invalid",
        }
    },
    "headers": {
        REQUEST_ID_HEADER: {
            "description": "The request id: yours if valid, else a generated one",
            "type": "string",
        }
    },
}


class JsonApi(Api):
    """An `Api` whose every error, including its own validation aborts, has our JSON shape."""

    def handle_error(self, e: Exception) -> Response:
        return error_response(e)


def create_api_blueprint() -> Blueprint:
    blueprint = Blueprint("api", __name__, url_prefix="/api")
    api = JsonApi(
        blueprint,
        version="1.0.0",
        title="Backend API",
        description=API_DESCRIPTION,
        doc="/docs",
        authorizations=AUTHORIZATIONS,
        validate=True,
        ordered=True,
        contact="API team",
        contact_email="api@example.com",
        contact_url="https://example.com/api-support",
        license="MIT",
        license_url="https://opensource.org/licenses/MIT",
    )
    api.representations["application/json"] = output_json
    # Masks are disabled (see api/docs.py `returns`), so their error responses do not apply.
    api.error_handlers.pop(ParseError, None)
    api.error_handlers.pop(MaskError, None)
    for model in SHARED_MODELS:
        api.models[model.name] = model
    for namespace in NAMESPACES:
        api.add_namespace(namespace)
        for route in namespace.resources:
            document(route.resource, **REQUEST_ID_DOC)
    blueprint.add_url_rule("/openapi.json", "openapi", _serve_openapi)
    blueprint.extensions = {"restx_api": api}  # type: ignore[attr-defined]
    return blueprint


def openapi_document(api: Api) -> dict[str, Any]:
    """The OpenAPI 3 document, converted from the Swagger 2.0 one Flask-RESTX generates."""
    from api.openapi import to_openapi3
    from api.openapi_sdk import finish

    swagger = api.__schema__
    if "error" in swagger and "paths" not in swagger:  # __schema__ swallows its own errors
        raise RuntimeError(f"Flask-RESTX could not render the spec: {swagger['error']}")
    document = to_openapi3(swagger, servers=_servers(current_app.config["PUBLIC_BASE_URL"]))
    # Full paths (`/api/items`) let SDK generators that ignore `servers` build working URLs.
    base = swagger.get("basePath", "").rstrip("/")
    document["paths"] = {base + path: item for path, item in document["paths"].items()}
    config = current_app.config
    return finish(
        document,
        max_json_bytes=config["MAX_JSON_BYTES"],
        max_upload_bytes=config["MAX_UPLOAD_BYTES"],
    )


def _servers(public_base_url: str) -> list[dict[str, Any]]:
    """`/` (whatever host serves the document) unless a public base URL is configured, so
    generated clients default to the real host; the committed openapi.json keeps `/`."""
    this = {
        "url": "/",
        "description": "This server: production, staging or local, wherever this document "
        "was served from",
        "x-internal": False,
    }
    if not public_base_url:
        return [this]
    public = {
        "url": public_base_url.rstrip("/"),
        "description": "Public production URL",
        "x-internal": False,
    }
    return [public, this]


def _serve_openapi() -> Response:
    """Rendered once per app (the model never changes while it runs), then served as is."""
    rendered = current_app.extensions.get("openapi_json")
    if rendered is None:
        api = current_app.blueprints["api"].extensions["restx_api"]  # type: ignore[attr-defined]
        document = openapi_document(api)
        rendered = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        current_app.extensions["openapi_json"] = rendered
    return Response(rendered, mimetype="application/json")
