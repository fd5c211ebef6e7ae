"""The Backend API: a Flask-RESTX application with `auth`, `user` and `admin` namespaces.

`create_app(config)` builds the application; `config` overrides anything read from the
environment (see `api/core/config.py`).
"""

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, current_app, jsonify, request
from flask.sessions import SecureCookieSessionInterface
from flask.wrappers import Request, Response
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map

from api.cli import register_cli
from api.core import observability
from api.core.config import ROOT, finalize_config, load_config
from api.core.extensions import cors, db, migrate
from api.http import jsonio, page_cache, ratelimit
from api.http.errors import ApiError, register_error_handlers
from api.http.schemas import MAX_ID
from api.namespaces import create_api_blueprint
from api.openapi.ui import docs_blueprint

# The doc UIs run only their own static scripts; their inline styles (React style attributes,
# ReDoc's styled-components) still need 'unsafe-inline' in style-src. Everything else gets nothing.
DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
DOCS_PATHS = ("/api/docs", "/api/redoc", "/swaggerui")
API_CSP = "default-src 'none'; frame-ancestors 'none'"
# Response headers browser clients may read (CORS hides all but a few by default).
EXPOSED_HEADERS = [
    "ETag",
    "Link",
    "X-Total-Count",
    "X-Request-ID",
    "Idempotent-Replayed",
    "Retry-After",
    "WWW-Authenticate",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "RateLimit",
    "RateLimit-Policy",
]


class IdConverter(IntegerConverter):
    """`<int:...>` path ids: beyond what an id column holds the URL matches nothing (a 404) rather
    than overflowing the database driver (a 500)."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


class ApiRequest(Request):
    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        if e is None:
            raise ApiError(415, "Content-Type must be application/json")
        raise ApiError(400, "Malformed JSON body", errors={"body": "is not valid JSON"})


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.request_class = ApiRequest
    app.session_interface = NoSessions()
    jsonio.init_app(app)
    settings = load_config()
    settings.update(config or {})
    finalize_config(settings)
    app.config.update(settings)
    observability.init_app(app)

    if app.config["PROXY_FIX_COUNT"]:
        count = app.config["PROXY_FIX_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)  # type: ignore[method-assign]

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    ratelimit.init_app(app)
    page_cache.init_app(app)
    cors.init_app(
        app,
        resources={r"/api/*": {"origins": _origins(app.config["CORS_ORIGINS"])}},
        expose_headers=EXPOSED_HEADERS,
        always_send=False,  # only requests with an `Origin` need CORS headers
    )
    register_error_handlers(app)
    app.url_map.converters["int"] = IdConverter
    app.register_blueprint(create_api_blueprint())
    app.register_blueprint(docs_blueprint)
    app.add_url_rule("/api", "api_index", _api_index, strict_slashes=False)
    register_cli(app)
    app.before_request(_limit_json_body)
    app.after_request(_security_headers)
    Path(app.config["UPLOAD_FOLDER"]).mkdir(parents=True, exist_ok=True)
    return app


def _api_index() -> Response:
    """`/api` itself: where to find the documentation (instead of a redirect page)."""
    return jsonify(
        {
            "service": "backend",
            "docs": "/api/docs",
            "redoc": "/api/redoc",
            "openapi": "/api/openapi.json",
            "swagger": "/api/swagger.json",
            "health": "/api/health",
        }
    )


def _origins(value: str) -> str | list[str]:
    origins = [origin.strip() for origin in value.split(",") if origin.strip()]
    return "*" if origins in ([], ["*"]) else origins


def _limit_json_body() -> None:
    """Only the upload route may receive MAX_UPLOAD_MB; every other body is kept small."""
    if request.endpoint != "api.upload":
        request.max_content_length = current_app.config["MAX_JSON_BYTES"]
        jsonio.limit_streamed_body(request, current_app.config["MAX_JSON_BYTES"])


API_HEADERS = [
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Cache-Control", "no-store"),
]
DOCS_HEADERS = [
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Content-Security-Policy", DOCS_CSP),
]


def _security_headers(response: Response) -> Response:
    """Added in one pass (this runs on every response); a view's own values win."""
    headers = response.headers
    is_docs = request.path.startswith(DOCS_PATHS)
    present = {name.lower() for name, _ in headers.items()}
    for name, value in DOCS_HEADERS if is_docs else API_HEADERS:
        if name.lower() not in present:
            headers.add(name, value)
    if not is_docs and "content-security-policy" not in present:
        headers.add("Content-Security-Policy", API_CSP)
    return response


class NoSessions(SecureCookieSessionInterface):
    """A stateless API has no cookie sessions; skip loading and saving one per request."""

    def open_session(self, app: Flask, request: Request) -> None:
        return None
