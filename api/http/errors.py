"""One error shape for the whole API: `{"error": "<message>", "errors"?: {"<field>": "<why>"}}`.

Every exception ends up in `error_response`: our own `ApiError`, a service's refusal
(`api/services/errors.py`, mapped by `STATUS_OF`), Flask-RESTX validation aborts
(which carry their details in `exc.data`), Werkzeug's HTTP errors (404, 405, 413, 415, ...),
database integrity errors, a row deleted while a request changed it (404), a deadlock (503
with `Retry-After`: retry), a database that cannot be reached (503 with `Retry-After`) and
anything unexpected (logged, answered with a bare 500).
"""

from http import HTTPStatus
from typing import Any

from flask import Flask, current_app, g, jsonify, request
from flask.wrappers import Response
from gunicorn.http.errors import NoMoreData, ParseException
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import ClientDisconnected, HTTPException

from api.http.worker import ClientTooSlow
from api.services import errors as domain
from models import db

# Clearer wording than Werkzeug's defaults, which speak of browsers and proxies.
_STATUS_MESSAGES = {400: "Bad request", 404: "Resource not found", 405: "Method not allowed"}
_RESTX_VALIDATION_MESSAGE = "Input payload validation failed"
# Headers of Werkzeug's own error responses that must not leak into ours.
_DROPPED_HEADERS = {"content-type", "content-length"}
# The database is down, restarting, saturated (no pooled connection in time) or cancelled a
# statement that ran too long: the request may succeed later, so 503 rather than 500.
UNAVAILABLE_ERRORS = (OperationalError, InterfaceError, PoolTimeoutError)
# PostgreSQL's deadlock and serialization failures: the transaction was rolled back, the
# database is fine; the client retries (SQLSTATE class 40).
CONFLICT_STATES = frozenset({"40P01", "40001"})
# What gunicorn's body reader raises on a broken chunked body (as `make run` serves the app).
BROKEN_BODY = (ParseException, NoMoreData)
BROKEN_BODY_MESSAGE = "The request body is malformed or was cut short"
TOO_SLOW_MESSAGE = "The request body took too long to arrive"
UNAVAILABLE_RETRY_AFTER = 5


class ApiError(Exception):
    """An expected failure with a status, a message and optional per-field reasons."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        errors: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
        self.headers = headers or {}


# The one place a service's refusal becomes a status.
STATUS_OF: dict[type[domain.ServiceError], int] = {
    domain.Invalid: 400,
    domain.NotAuthenticated: 401,
    domain.Forbidden: 403,
    domain.NotFound: 404,
    domain.Conflict: 409,
    domain.TooLarge: 413,
    domain.UnsupportedType: 415,
    domain.Unavailable: 503,
}


def _service_error(exc: domain.ServiceError) -> Response:
    status = next(STATUS_OF[kind] for kind in type(exc).__mro__ if kind in STATUS_OF)
    headers = {}
    if isinstance(exc, domain.Unavailable):
        headers["Retry-After"] = str(exc.retry_after)
    return json_error(status, exc.message, exc.errors, headers)


def validation_error(errors: dict[str, str], message: str = "Validation failed") -> ApiError:
    return ApiError(400, message, errors=errors)


def json_error(
    status: int,
    message: str,
    errors: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {"error": _printable(message)}
    if request_id := g.get("request_id"):
        body["request_id"] = request_id
    if errors:
        body["errors"] = {
            _printable(key or "body"): _printable(str(value)) for key, value in errors.items()
        }
    response = jsonify(body)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    if status == 401:
        response.headers.setdefault("WWW-Authenticate", "Bearer")
    return response


def _printable(text: str) -> str:
    """Messages may quote the input they refuse: never echo a NUL (the spec promises none)."""
    return text.replace("\x00", "\\u0000")


def error_response(exc: BaseException) -> Response:
    if isinstance(exc, ApiError):
        return json_error(exc.status, exc.message, exc.errors, exc.headers)
    if isinstance(exc, domain.ServiceError):
        return _service_error(exc)
    if isinstance(exc, HTTPException):
        return _http_error(exc)
    if isinstance(exc, IntegrityError):
        db.session.rollback()
        return json_error(409, "Conflict with existing data")
    if isinstance(exc, ClientTooSlow):  # api/http/worker.py: gunicorn closes the connection
        _rollback()
        return json_error(408, TOO_SLOW_MESSAGE)
    if isinstance(exc, BROKEN_BODY):
        # gunicorn reading a chunked body that is malformed or cut short: the client's fault
        # (gunicorn then closes the connection when it fails to drain the rest).
        _rollback()
        return json_error(400, BROKEN_BODY_MESSAGE)
    _rollback()
    if isinstance(exc, StaleDataError):  # the row went away between reading and writing it
        return json_error(404, "Not found: it was deleted while this request changed it")
    if isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) in CONFLICT_STATES:
        return json_error(
            503,
            "A concurrent change conflicted with this request; nothing was changed, retry",
            headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER)},
        )
    if isinstance(exc, UNAVAILABLE_ERRORS):
        current_app.logger.warning("Database unavailable: %s", _first_line(str(exc)))
        return unavailable("database")
    current_app.logger.exception("Unhandled error", exc_info=exc)
    return json_error(500, "Internal server error")


def unavailable(dependency: str) -> Response:
    """503 for a dependency that is down; `Retry-After` says when to try again."""
    return json_error(
        503,
        f"Service temporarily unavailable: the {dependency} cannot be reached; retry later",
        headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER)},
    )


def _rollback() -> None:
    """Roll back whatever the request left; with the database gone even that can fail."""
    try:
        db.session.rollback()
    except Exception:  # the connection is already invalidated; nothing is left to undo
        db.session.close()


def _http_error(exc: HTTPException) -> Response:
    if isinstance(exc, ClientDisconnected) and isinstance(exc.__context__, ClientTooSlow):
        return json_error(408, TOO_SLOW_MESSAGE)  # Werkzeug's word for any failed body read
    status = exc.code or 500
    data = getattr(exc, "data", None)  # set by flask_restx.abort() (validation, parsers)
    errors = data.get("errors") if isinstance(data, dict) else None
    message = data.get("message") if isinstance(data, dict) and data.get("message") else None
    if message == _RESTX_VALIDATION_MESSAGE:
        message = "Validation failed"
    elif status == 413:
        message = _too_large_message()
    elif isinstance(exc, ClientDisconnected):  # Werkzeug's word for a body that ended early
        message = BROKEN_BODY_MESSAGE
    elif status in _STATUS_MESSAGES and not message:
        message = _STATUS_MESSAGES[status]
    message = message or exc.description or HTTPStatus(status).phrase
    headers = {
        name: value for name, value in exc.get_headers() if name.lower() not in _DROPPED_HEADERS
    }
    return json_error(status, _first_line(message), errors, headers)


def _too_large_message() -> str:
    if request.endpoint == "api.upload":
        limit = current_app.config["MAX_UPLOAD_MB"]
        length = request.content_length
        if length is not None and length <= limit * 1024 * 1024:  # Werkzeug's part count
            return f"Too many parts in the form (limit {request.max_form_parts}); send one file"
        return f"File too large (limit {limit} MB)"
    return f"Request body too large (limit {current_app.config['MAX_JSON_BYTES']} bytes)"


def _first_line(message: str) -> str:
    return str(message).strip().splitlines()[0] if str(message).strip() else "Error"


def register_error_handlers(app: Flask) -> None:
    """Errors outside Flask-RESTX routes (unknown URLs, plain Flask views) get the same shape."""
    app.register_error_handler(HTTPException, error_response)
    app.register_error_handler(Exception, error_response)
