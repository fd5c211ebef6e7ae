"""orjson for every JSON body in and out: several times faster than the standard library."""

from typing import Any

import orjson
from flask import Flask, make_response
from flask.json.provider import JSONProvider
from flask.wrappers import Response

OPTIONS = orjson.OPT_NON_STR_KEYS


class OrjsonProvider(JSONProvider):
    """Flask's `jsonify` and `request.get_json()` through orjson (which also rejects NaN)."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return orjson.dumps(obj, option=OPTIONS).decode()

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return orjson.loads(s)


def output_json(data: Any, code: int, headers: dict[str, str] | None = None) -> Response:
    """Flask-RESTX's representation for `application/json`."""
    response = make_response(orjson.dumps(data, option=OPTIONS), code)
    response.mimetype = "application/json"
    response.headers.extend(headers or {})
    return response


def init_app(app: Flask) -> None:
    app.json = OrjsonProvider(app)
