"""Decorators that document an operation and enforce what they document.

`returns` marshals the result through the model it declares, `json_body` validates the body
against the model it declares, and `errors` lists the error responses an operation can return,
all with the shared `Error` model, so the spec and the server cannot drift apart.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Response, request
from flask_restx import Model, Namespace
from flask_restx.utils import merge, unpack

from api.errors import validation_error
from api.http import ETAG_HEADER, etag_of, not_modified
from api.marshalling import serializer
from api.schemas import error_model

F = TypeVar("F", bound=Callable[..., Any])

ERROR_DESCRIPTIONS = {
    400: "Invalid input (malformed JSON or failed validation; see `errors`)",
    401: "Missing, invalid, expired or revoked token",
    403: "Authenticated but not allowed",
    404: "Not found",
    409: "Conflict with the current state",
    412: "Precondition failed: the `If-Match` ETag is stale",
    413: "Request body too large",
    414: "Request URL too long (over 8190 bytes, e.g. long non-ASCII query values)",
    415: "Unsupported media type",
    422: "Idempotency key reused with a different request",
    429: "Too many requests; retry after `Retry-After` seconds",
    503: "Temporarily unavailable (busy); retry after `Retry-After` seconds",
}


RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before retrying", "type": "integer"}}


def document(func: F, **doc: Any) -> F:
    func.__apidoc__ = merge(getattr(func, "__apidoc__", {}), doc)  # type: ignore[attr-defined]
    return func


def errors(*codes: int, **descriptions: str) -> Callable[[F], F]:
    """Declare error responses; `descriptions` overrides the text, keyed `e404=...`."""

    def decorator(func: F) -> F:
        responses = {
            str(code): (
                descriptions.get(f"e{code}", ERROR_DESCRIPTIONS[code]),
                error_model,
                {"headers": RETRY_AFTER} if code in (429, 503) else {},
            )
            for code in codes
        }
        return document(func, responses=responses)

    return decorator


def json_body(ns: Namespace, model: Model) -> Callable[[F], F]:
    """Validate the JSON body against `model` and document what a bad body gets back."""

    def decorator(func: F) -> F:
        # Validated here rather than by Flask-RESTX (`validate=False`), which would check the
        # body before the auth decorators run: a caller without a token must get 401, not 400.
        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            payload = request.get_json()
            model.validate(payload)
            if isinstance(payload, dict):
                _reject_nul(payload)
            return func(*args, **kwargs)

        return errors(400, 413, 415)(ns.expect(model, validate=False)(wrapper))

    return decorator


def _reject_nul(payload: dict[str, Any]) -> None:
    """NUL characters: SQLite would store them, PostgreSQL refuses them (a 500); a 400 on both."""
    bad = {
        name: "must not contain NUL characters"
        for name, value in payload.items()
        if isinstance(value, str) and "\x00" in value
    }
    if bad:
        raise validation_error(bad)


def _marshal(data: Any, model: Model) -> Any:
    """Marshal through `model`; optional fields a result dict does not have are left out
    (rather than rendered as null), e.g. `next_cursor` outside keyset pagination."""
    output = serializer(model)(data)
    if isinstance(data, dict):
        absent = [name for name, field in model.items() if name not in data and not field.required]
        for name in absent:
            output.pop(name, None)
    return output


def returns(
    model: Model | list[Model],
    *,
    code: int = 200,
    description: str = "Success",
    headers: dict[str, Any] | None = None,
    etag: bool = False,
) -> Callable[[F], F]:
    """Marshal the return value through `model` (no `X-Fields` masks) and document it.

    With `etag`, the response carries the ETag of exactly the representation sent, and a GET
    whose `If-None-Match` still matches gets a 304. A `Response` returned as is bypasses all this.
    """
    schema_model = model[0] if isinstance(model, list) else model
    documented = {**(headers or {}), **(ETAG_HEADER if etag else {})}
    extra = {"headers": documented} if documented else {}

    def decorator(func: F) -> F:
        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            result = func(*args, **kwargs)
            if isinstance(result, Response):
                return result
            data, status, response_headers = unpack(result, code)
            output = _marshal(data, schema_model)
            if etag:
                tag = etag_of(output)
                if request.method == "GET" and (unchanged := not_modified(tag)):
                    return unchanged
                response_headers = {**(response_headers or {}), "ETag": tag}
            return output, status, response_headers

        return document(wrapper, responses={str(code): (description, model, extra)})

    return decorator
