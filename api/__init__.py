"""The Backend API: a Flask-RESTX application with `auth`, `user` and `admin` namespaces.

`create_app(config)` builds the application; `config` overrides anything read from the
environment (see `api/core/config.py`). This module is the composition root: it is the one
place that binds every extension and hook to the app.
"""

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, jsonify
from flask.wrappers import Response
from sqlalchemy import event
from werkzeug.middleware.proxy_fix import ProxyFix

from api.cli import register_cli
from api.core.config import ROOT, db_call_limit, finalize_config, load_config
from api.core.db_watchdog import StatementWatchdog
from api.core.extensions import BUSY_TIMEOUT_MS, cors, db, migrate, sqlite_pragmas
from api.core.security import configure_hashing
from api.core.sqlite_writes import WriteQueue
from api.http import jsonio, observability, page_cache, ratelimit
from api.http.errors import register_error_handlers
from api.http.headers import (
    CORS_PREFLIGHT_MAX_AGE,
    EXPOSED_HEADERS,
    cors_origins,
    security_headers,
    vary_on_origin,
)
from api.http.keepalive import CloseAfterUnreadBody
from api.http.requests import ApiRequest, IdConverter, NoSessions, limit_json_body
from api.namespaces import create_api_blueprint
from api.openapi.ui import docs_blueprint


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.request_class = ApiRequest
    app.session_interface = NoSessions()
    settings = load_config()
    settings.update(config or {})
    finalize_config(settings)
    app.config.update(settings)
    bind_extensions(app)
    register_error_handlers(app)
    app.url_map.converters["int"] = IdConverter
    # `/api//items` is no path of ours: a JSON 404, not Werkzeug's HTML redirect to the merged one.
    app.url_map.merge_slashes = False
    app.register_blueprint(create_api_blueprint())
    app.register_blueprint(docs_blueprint)
    app.add_url_rule("/api", "api_index", _api_index, strict_slashes=False)
    register_cli(app)
    app.before_request(limit_json_body)
    app.after_request(security_headers)
    Path(app.config["UPLOAD_FOLDER"]).mkdir(parents=True, exist_ok=True)
    return app


def bind_extensions(app: Flask) -> None:
    """Every extension, in the order their hooks must run."""
    app.json = jsonio.OrjsonProvider(app)  # orjson for every body in and out
    observability.init_app(app)  # request ids and the access log first, so all else is logged
    if count := app.config["PROXY_FIX_COUNT"]:
        # Flask's documented way to add WSGI middleware, though its types call it a method.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)  # type: ignore[method-assign]
    app.wsgi_app = CloseAfterUnreadBody(app.wsgi_app)  # type: ignore[method-assign]
    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            event.listen(engine, "connect", sqlite_pragmas)
            path = engine.url.database
            if engine.dialect.name == "sqlite" and path and path != ":memory:":
                WriteQueue(f"{path}.write-lock", BUSY_TIMEOUT_MS / 1000).attach(engine)
            if engine.dialect.name == "postgresql":
                StatementWatchdog(db_call_limit(app.config)).attach(engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    configure_hashing(max_wait=app.config["BCRYPT_MAX_WAIT"])
    ratelimit.init_app(app)
    page_cache.init_app(app)
    origins = cors_origins(app.config["CORS_ORIGINS"])
    cors.init_app(
        app,
        resources={r"/api/*": {"origins": origins}},
        expose_headers=EXPOSED_HEADERS,
        always_send=False,  # only requests with an `Origin` need CORS headers
        # Any origin: `*` itself, never the request's `Origin` echoed back (whatever it holds).
        send_wildcard=origins == "*",
        max_age=CORS_PREFLIGHT_MAX_AGE,
    )
    if origins != "*":
        app.after_request(vary_on_origin)


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
