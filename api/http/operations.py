"""Decorators that document an operation and enforce what they document.

`returns` marshals the result through the model it declares, `json_body` validates the body
against the model it declares, and `errors` lists the error responses an operation can return,
all with the shared `Error` model, so the spec and the server cannot drift apart.
"""

import inspect
from collections.abc import Callable
from functools import wraps
from http import HTTPStatus
from typing import Any, ParamSpec, TypeVar

from flask import Response, request
from flask_restx import Model, Namespace, Resource, abort, fields
from flask_restx.utils import merge, unpack
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for

from api.http.conditional import (
    ETAG_HEADER,
    IF_NONE_MATCH,
    NOT_MODIFIED_PAGE_HEADERS,
    etag_of,
    not_modified,
)
from api.http.errors import validation_error
from api.http.marshalling import serializer
from api.http.schemas import error_model
from api.openapi.converter import PATH_PARAMETER, LinkSpec

F = TypeVar("F", bound=Callable[..., Any])
P = ParamSpec("P")
R = TypeVar("R")

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
    503: "Temporarily unavailable: a dependency (the database) cannot be reached, or the "
    "server is busy; retry after `Retry-After` seconds",
}


RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before retrying", "type": "integer"}}
_RETRY_DOC = {"headers": RETRY_AFTER}


def declare_unavailable(resource: type[Resource]) -> None:
    """Every operation can answer 503 while a dependency is down (see api/http/errors.py): declared
    once per resource here rather than on each method. A method's own 503 (health) wins."""
    document(resource, responses={"503": (ERROR_DESCRIPTIONS[503], error_model, _RETRY_DOC)})


def document(func: F, **doc: Any) -> F:
    # Flask-RESTX reads the documentation from this attribute, which callables are not typed with.
    func.__apidoc__ = merge(getattr(func, "__apidoc__", {}), doc)  # type: ignore[attr-defined]
    return func


def described(*notes: str) -> Callable[[F], F]:
    """Append shared paragraphs to an operation's docstring (its description in the spec).

    Put it directly above the `def`, so the wrappers above copy the extended docstring.
    """

    def decorator(func: F) -> F:
        paragraphs = [inspect.cleandoc(func.__doc__ or ""), *notes]
        func.__doc__ = "\n\n".join(p for p in paragraphs if p)
        return func

    return decorator


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


NOT_MODIFIED = "Not modified: your `If-None-Match` ETag is current"


def conditional_list(ns: Namespace, parser: Any) -> Callable[[F], F]:
    """A list read filtered by `parser`: a bad query is a 400 (414 when the URL is too long), and
    a page whose ETag the client sent as `If-None-Match` is a 304. Put it under the auth
    decorator; `returns` (below it) declares the page."""

    def decorate(func: F) -> F:
        func = ns.response(304, NOT_MODIFIED, headers=NOT_MODIFIED_PAGE_HEADERS)(
            errors(400, 414)(func)
        )
        return ns.doc(params=IF_NONE_MATCH)(ns.expect(parser)(func))

    return decorate


def json_body(ns: Namespace, model: Model) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Validate the JSON body against `model` and document what a bad body gets back."""
    declare_nul_free(model)
    validate = BodyValidator(model)

    def decorator(func: Callable[P, R]) -> Callable[P, R]:
        # Validated here rather than by Flask-RESTX (`validate=False`), which would check the
        # body before the auth decorators run: a caller without a token must get 401, not 400.
        @wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            payload = request.get_json()
            if isinstance(payload, dict):
                _reject_nul(payload, model)  # first, so the reason is this plain sentence
            validate(payload)
            return func(*args, **kwargs)

        return errors(400, 413, 415)(ns.expect(model, validate=False)(wrapper))

    return decorator


class BodyValidator:
    """`Model.validate` with the validator kept: the same checks and the same 400 body.
    Flask-RESTX rebuilds the schema and the validator on every call (~0.2 ms of a create's
    CPU); this builds them on first use, once the model is complete."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self._validator: Validator | None = None

    def __call__(self, payload: Any) -> None:
        if self._validator is None:
            schema = self.model.__schema__
            self._validator = validator_for(schema)(schema)
        if not self._validator.is_valid(payload):
            errors = dict(_described(self.model, e) for e in self._validator.iter_errors(payload))
            abort(HTTPStatus.BAD_REQUEST, message="Input payload validation failed", errors=errors)


# NUL characters: SQLite would store them, PostgreSQL refuses them (a 500); a 400 on both.
NUL_FREE_PATTERN = r"^[^\x00]*$"
NUL_REASON = "must not contain NUL characters"
# A name: something besides white space (and, like every string, no NUL). White space spelt
# out as ECMAScript's `\s` has it, so the server (Python's `re`) and a client reading the spec
# agree on every character (Python's own `\s` also takes \x1c-\x1f and \x85, not \ufeff).
_WHITE_SPACE = r"\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
NOT_BLANK_PATTERN = rf"^[^\x00]*[^{_WHITE_SPACE}\x00][^\x00]*$"
_PATTERN_REASONS = {NUL_FREE_PATTERN: NUL_REASON, NOT_BLANK_PATTERN: "must not be blank"}

# Fields whose value is a secret: their errors never quote it ("'hunter2...' is too long").
SECRET_FIELDS = frozenset(
    {"password", "current_password", "new_password", "token", "refresh_token", "secret"}
)
# Why a value was refused, without quoting it: jsonschema's own messages repeat the value, so a
# 1 MiB description that is too long came back in a 1 MiB error body.
_REASONS = {
    "maxLength": "must be at most {} characters",
    "minLength": "must be at least {} characters",
    "maxItems": "must have at most {} items",
    "minItems": "must have at least {} items",
    "maximum": "must be at most {}",
    "minimum": "must be at least {}",
    "exclusiveMaximum": "must be less than {}",
    "exclusiveMinimum": "must be greater than {}",
    "type": "must be of type {}",
    "enum": "must be one of: {}",
    "format": "must be a valid {}",
    "uniqueItems": "must not repeat an item",
    "pattern": "must match the pattern {}",
}
# What is left of any other message (the value it may quote is cut).
MAX_REASON_CHARS = 200


def _described(model: Model, error: ValidationError) -> tuple[str, str]:
    """`Model.format_error`, with a reason that does not quote the refused value."""
    key, message = model.format_error(error)
    if error.validator == "required":
        return key, message
    validator, expected = str(error.validator), error.validator_value
    if validator == "pattern" and expected in _PATTERN_REASONS:
        return key, _PATTERN_REASONS[expected]
    if validator in _REASONS:
        if isinstance(expected, list):
            expected = (" or " if validator == "type" else ", ").join(map(str, expected))
        return key, _REASONS[validator].format(expected)
    if error.path and error.path[-1] in SECRET_FIELDS:
        return key, "is not valid"
    return key, message if len(message) <= MAX_REASON_CHARS else message[:MAX_REASON_CHARS] + "…"


def declare_nul_free(model: Model) -> None:
    """Say in the schema what `_reject_nul` enforces: each string field the API reads gets a
    pattern excluding NUL (fields with a stricter pattern of their own already exclude it)."""
    for field in model.values():
        if isinstance(field, fields.String) and not getattr(field, "pattern", None):
            field.pattern = NUL_FREE_PATTERN


def _reject_nul(payload: dict[str, Any], model: Model) -> None:
    """Refuse NUL in the fields the model reads; unknown fields are ignored, NUL or not."""
    bad = {name: NUL_REASON for name in model if name in payload and _has_nul(payload[name])}
    if bad:
        raise validation_error(bad)


def _has_nul(value: Any) -> bool:
    """Any string inside `value` (depth is already bounded by api/http/jsonio.py) holds a NUL."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


def _marshal(data: Any, model: Model) -> Any:
    """Marshal through `model`; optional fields a result dict does not have are left out
    (rather than rendered as null), e.g. `next_cursor` outside keyset pagination."""
    output = serializer(model)(data)
    if isinstance(data, dict):
        absent = [name for name, field in model.items() if name not in data and not field.required]
        for name in absent:
            output.pop(name, None)
    return output


LOCATION_HEADER = {
    "Location": {"description": "Path of the resource just created", "type": "string"}
}


def returns(
    model: Model | list[Model],
    *,
    code: int = 200,
    description: str = "Success",
    headers: dict[str, Any] | None = None,
    etag: bool = False,
    location: str | None = None,
) -> Callable[[Callable[P, Any]], Callable[P, Any]]:
    """Marshal the return value through `model` (no `X-Fields` masks) and document it.

    With `etag`, the response carries the ETag of exactly the representation sent, and a GET
    whose `If-None-Match` still matches gets a 304. With `location` (a path formatted with the
    body's fields, e.g. "/api/items/{id}"), a `code` response says where the new resource
    lives (`Location`, RFC 9110). A `Response` returned as is bypasses all this.
    """
    schema_model = model[0] if isinstance(model, list) else model
    documented = {
        **(headers or {}),
        **(ETAG_HEADER if etag else {}),
        **(LOCATION_HEADER if location else {}),
    }
    extra = {"headers": documented} if documented else {}

    def decorator(func: Callable[P, Any]) -> Callable[P, Any]:
        @wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
            result = func(*args, **kwargs)
            if isinstance(result, Response):
                return result
            data, status, response_headers = unpack(result, code)
            output = _marshal(data, schema_model)
            if etag:
                tag = etag_of(output)
                if request.method in ("GET", "HEAD") and (unchanged := not_modified(tag)):
                    return unchanged
                response_headers = {**(response_headers or {}), "ETag": tag}
            if location and status == code:
                where = request.script_root + location.format(**output)
                response_headers = {**(response_headers or {}), "Location": where}
            return output, status, response_headers

        return document(wrapper, responses={str(code): (description, model, extra)})

    return decorator


# --- OpenAPI links: the natural next calls after a response ---------------------------------
# Keyed by the source operationId; applied by `add_links` (api/openapi/converter.py) when the
# spec is built.
# Links to operations this build does not have are left out (e.g. upload metadata/deletion).

_ID = ((PATH_PARAMETER, "$response.body#/id"),)
_ID_AND_ETAG = (*_ID, ("header.If-Match", "$response.header.ETag"))


def _item_links(status: str) -> list[LinkSpec]:
    """From a response holding an item (and its ETag) to the operations on that item."""
    return [
        LinkSpec("GetItem", status, "getItem", _ID, "Read the item again"),
        LinkSpec("UpdateItem", status, "updateItem", _ID_AND_ETAG, "Change some fields"),
        LinkSpec("ReplaceItem", status, "replaceItem", _ID_AND_ETAG, "Replace it"),
        LinkSpec("DeleteItem", status, "deleteItem", _ID_AND_ETAG, "Delete it"),
    ]


def _session_links(status: str) -> list[LinkSpec]:
    """From a fresh login to what its tokens are for (send the new `token` as Bearer).

    No link to `refreshToken`: its body would be an object of runtime expressions, which OpenAPI
    allows but openapi-generator's parser refuses (a `make lint` gate)."""
    return [
        LinkSpec("GetCurrentUser", status, "getCurrentUser", (), "The account just logged in"),
    ]


LINKS: dict[str, list[LinkSpec]] = {
    "createItem": _item_links("201"),
    "getItem": _item_links("200"),
    "updateItem": _item_links("200"),
    "replaceItem": _item_links("200"),
    "uploadFile": [
        LinkSpec("GetUpload", "201", "getUpload", _ID, "The upload's metadata"),
        LinkSpec("DeleteUpload", "201", "deleteUpload", _ID, "Delete the file"),
    ],
    "register": _session_links("201"),
    "login": _session_links("200"),
    "refreshToken": _session_links("200"),
}
