"""All namespaces, collected on one Flask-RESTX `Api` mounted at `/api`."""

import copy
import json
from typing import Any

from flask import Blueprint, Response, current_app, has_request_context, request
from flask_restx import Api, Resource
from flask_restx.mask import MaskError, ParseError
from werkzeug.exceptions import HTTPException

from api.core.scopes import OAUTH2_SCHEME, SCOPES
from api.http.errors import error_response
from api.http.jsonio import output_json
from api.http.observability import REQUEST_ID_HEADER
from api.http.operations import declare_unavailable, document
from api.http.ratelimit import document_limits
from api.http.schemas import SHARED_MODELS
from api.namespaces import (  # noqa: F401 (uploads: see below)
    admin,
    auth,
    health,
    oauth,
    password_reset,
    tokens,
    uploads,
    user,
    webhooks,
)
from api.openapi.ui import install as install_docs_ui
from api.webhooks import spec as webhook_spec

# `uploads` adds its resources to the `user` and `admin` namespaces when imported.
NAMESPACES = (health.ns, auth.ns, user.ns, admin.ns, webhooks.ns)
# Modules that add their routes to the namespaces above (auth, user, admin) when imported.
ROUTE_MODULES = (oauth, password_reset, tokens)

AUTHORIZATIONS = {
    "Bearer": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "JWT access token from `login`/`register`/`oauthToken`, or a personal "
        "access token (`bapi_pat_...`), sent as `Bearer <token>`. Either must hold the scopes "
        "the operation's `OAuth2` requirement lists (403 `insufficient_scope` otherwise). JWTs are "
        "HS256 only, with `exp`, `iat`, `iss` and `aud` checked, per RFC8725 (JWT best current "
        "practices).",
    },
    OAUTH2_SCHEME: {
        "type": "oauth2",
        "flow": "password",
        "tokenUrl": "/api/auth/token",
        "x-refreshUrl": "/api/auth/token",
        "scopes": SCOPES,
        "description": "Username and password at `POST /api/auth/token` (RFC 6749 §4.3); each "
        "operation lists the scopes it needs. Personal access tokens carry scopes too. The tokens "
        "are JWTs checked per RFC8725 (HS256 only; `exp`, `iat`, `iss`, `aud`).",
    },
}

API_DESCRIPTION = """JSON REST API with JWT authentication, items, uploads and administration.

* Authenticate with `POST /api/auth/login` and send `Authorization: Bearer <token>`.
* Lists return `{"items": [...], "total", "page", "per_page"}`; `per_page` is at most 100.
  Unknown query parameters are refused (400, named in `errors`) on every list. Item lists share
  one parameter set (`sort=updated_at` with `updated_since` is a change feed) and carry an
  `ETag` (`If-None-Match` gives 304).
* Errors return `{"error": "<message>"}`, plus `errors` (field -> reason) on validation errors.
* JSON bodies: strings must not contain NUL (U+0000) characters, nesting is limited (32 levels
  by default), and fields an operation does not read are ignored.
* While a dependency (the database) is down, every operation answers 503 with `Retry-After`.
* The same API as OpenAPI 3: `GET /api/openapi.json`; browse it at `/api/docs` or `/api/redoc`.
"""


# Every operation accepts and echoes a request id (see api/http/observability.py).
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

    def _should_use_fr_error_handler(self) -> bool:
        # For a 405, Flask-RESTX matches the URL again with an allowed method; an id out of
        # range then matches nothing and its NotFound escaped every handler (a bare 500 for
        # `POST /api/items/99999999999`). Under /api, every error is this API's.
        try:
            return bool(super()._should_use_fr_error_handler())  # type: ignore[misc]
        except HTTPException:
            return True

    @property
    def __schema__(self) -> dict[str, Any]:
        """The Swagger 2.0 document served at /api/swagger.json. Swagger 2.0 wants an absolute
        OAuth2 `tokenUrl`, so it is made absolute for the caller's host; the OpenAPI 3 document
        (`openapi_document`) keeps the relative one, valid on any host."""
        schema = _swagger_document(self)
        if not has_request_context() or "securityDefinitions" not in schema:
            return schema
        schemes = copy.deepcopy(schema["securityDefinitions"])
        for scheme in schemes.values():
            for key in ("tokenUrl", "x-refreshUrl"):
                if str(scheme.get(key, "")).startswith("/"):
                    scheme[key] = request.host_url.rstrip("/") + scheme[key]
        return {**schema, "securityDefinitions": schemes}


def _swagger_document(api: Api) -> dict[str, Any]:
    """Flask-RESTX's own Swagger 2.0 document, computed afresh: its `__schema__` getter, called
    directly (not through the cached property, nor JsonApi's absolute-URL variant)."""
    # A werkzeug cached_property, which its type hints present as the value even on the class.
    document: dict[str, Any] = Api.__schema__.fget(api)  # type: ignore[attr-defined]
    return document


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
    install_docs_ui(api)  # Swagger UI on the OpenAPI 3 document, not the Swagger 2.0 one
    # Masks are disabled (see `returns` in api/http/operations.py): their errors do not apply.
    api.error_handlers.pop(ParseError, None)
    api.error_handlers.pop(MaskError, None)
    for model in SHARED_MODELS:
        api.models[model.name] = model
    for namespace in NAMESPACES:
        api.add_namespace(namespace)
        for route in namespace.resources:
            _document_shared(route.resource)
    blueprint.add_url_rule("/openapi.json", "openapi", _serve_openapi)
    blueprint.add_url_rule("/webhooks.json", "webhooks_openapi", webhook_spec.serve)
    # Where the docs and spec views find the Api (Flask's Blueprint type has no `extensions`).
    blueprint.extensions = {"restx_api": api}  # type: ignore[attr-defined]
    return blueprint


# Resource classes live at module level, so what every operation shares is added to them once
# per process; merging it again on each `create_app` (the suite builds hundreds) deep-copies it.
_DOCUMENTED: set[type[Resource]] = set()


def _document_shared(resource: type[Resource]) -> None:
    """The request id, the 503 of an unreachable dependency and the rate limits."""
    if resource in _DOCUMENTED:
        return
    _DOCUMENTED.add(resource)
    document(resource, **REQUEST_ID_DOC)
    declare_unavailable(resource)
    document_limits(resource)


def openapi_document(api: Api) -> dict[str, Any]:
    """The OpenAPI 3 document, converted from the Swagger 2.0 one Flask-RESTX generates."""
    from api.http.operations import LINKS
    from api.openapi.converter import add_links, to_openapi3
    from api.openapi.sdk import finish

    swagger = _swagger_document(api)
    if "error" in swagger and "paths" not in swagger:  # __schema__ swallows its own errors
        raise RuntimeError(f"Flask-RESTX could not render the spec: {swagger['error']}")
    document = to_openapi3(swagger, servers=_servers(current_app.config["PUBLIC_BASE_URL"]))
    # Full paths (`/api/items`) let SDK generators that ignore `servers` build working URLs.
    base = swagger.get("basePath", "").rstrip("/")
    document["paths"] = {base + path: item for path, item in document["paths"].items()}
    webhook_spec.add_to_openapi3(document)
    document = add_links(document, LINKS)
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
        # Set by `create_api_blueprint` (Flask's Blueprint type has no `extensions`).
        api: Api = current_app.blueprints["api"].extensions["restx_api"]  # type: ignore[attr-defined]
        document = openapi_document(api)
        rendered = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        current_app.extensions["openapi_json"] = rendered
    return Response(rendered, mimetype="application/json")
