"""How a request is read: JSON decoding errors in the API's shape, path ids bounded by what an id
column holds, body size limits (small JSON everywhere, `MAX_UPLOAD_MB` only for uploads) and no
cookie sessions."""

from typing import Any

from flask import Flask, current_app, request
from flask.sessions import SecureCookieSessionInterface
from flask.wrappers import Request
from werkzeug.routing import IntegerConverter, Map

from api.http import jsonio
from api.http.errors import ApiError
from models.base import MAX_ID

UPLOAD_ENDPOINT = "api.upload"


class ApiRequest(Request):
    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        if e is None:
            raise ApiError(415, "Content-Type must be application/json")
        raise ApiError(400, "Malformed JSON body", errors={"body": "is not valid JSON"})


class IdConverter(IntegerConverter):
    """`<int:...>` path ids: beyond what an id column holds the URL matches nothing (a 404) rather
    than overflowing the database driver (a 500)."""

    regex = "[0-9]+"  # ASCII digits: Werkzeug's `\d+` also matches other scripts' digits ("１")

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


class NoSessions(SecureCookieSessionInterface):
    """A stateless API has no cookie sessions; skip loading and saving one per request."""

    def open_session(self, app: Flask, request: Request) -> None:
        return None


def limit_json_body() -> None:
    """Only the upload route may receive MAX_UPLOAD_MB; every other body is kept small."""
    if request.endpoint != UPLOAD_ENDPOINT:
        request.max_content_length = current_app.config["MAX_JSON_BYTES"]
        jsonio.limit_streamed_body(request, current_app.config["MAX_JSON_BYTES"])
