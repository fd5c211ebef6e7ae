"""Declared models and query parsers shared by several namespaces."""

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_to_bytes

from flask import request
from flask_restx import Model, abort, fields, reqparse

from models.base import MAX_ID


class StringMap(fields.Raw):
    """An object of string values, e.g. the per-field reasons of a validation error."""

    __schema_type__ = "object"

    def schema(self) -> dict[str, Any]:
        return {**super().schema(), "additionalProperties": {"type": "string"}}


class NullableDateTime(fields.DateTime):
    """A timestamp that may be null (converted to `nullable: true` in OpenAPI 3)."""

    def schema(self) -> dict[str, Any]:
        return {**super().schema(), "x-nullable": True}


class NullableString(fields.String):
    """A string that may be null (converted to `nullable: true` in OpenAPI 3)."""

    def schema(self) -> dict[str, Any]:
        return {**super().schema(), "x-nullable": True}


class NullableInteger(fields.Integer):
    """An integer that may be null (converted to `nullable: true` in OpenAPI 3)."""

    def schema(self) -> dict[str, Any]:
        return {**super().schema(), "x-nullable": True}


class BinaryFile(fields.Raw):
    """A raw file download: `type: string, format: binary` (valid in Swagger 2.0 and OpenAPI 3)."""

    __schema_type__ = "string"
    __schema_format__ = "binary"


error_model = Model(
    "Error",
    {
        "error": fields.String(required=True, description="What went wrong", example="Not found"),
        "errors": StringMap(
            description="Per-field reasons, on validation errors only",
            example={"name": "'' is too short"},
        ),
        "request_id": fields.String(
            description="The request's `X-Request-ID`, for support and log search",
            example="4f1c2a9e0b7d4e55a3c1f0e2d9b8a7c6",
        ),
    },
)

message_model = Model("Message", {"message": fields.String(required=True, example="Logged out")})

user_model = Model(
    "User",
    {
        "id": fields.Integer(required=True, readonly=True, example=1),
        "username": fields.String(required=True, example="alice"),
        "email": fields.String(required=True, example="alice@example.com"),
        "is_admin": fields.Boolean(required=True, example=False),
        "is_active": fields.Boolean(required=True, example=True),
        "created_at": fields.DateTime(required=True, readonly=True, description="ISO 8601, UTC"),
        "last_login": NullableDateTime(
            readonly=True, description="ISO 8601, UTC; null before the first login"
        ),
    },
)

item_model = Model(
    "Item",
    {
        "id": fields.Integer(required=True, readonly=True, example=1),
        "name": fields.String(required=True, example="Notebook"),
        "description": fields.String(required=True, example="A5, dotted"),
        "is_active": fields.Boolean(required=True, description="False once soft-deleted"),
        "created_at": fields.DateTime(required=True, readonly=True, description="ISO 8601, UTC"),
        "updated_at": fields.DateTime(required=True, readonly=True, description="ISO 8601, UTC"),
        "user_id": NullableInteger(
            required=True,
            readonly=True,
            description="Owner's user id; null once the owner's account is deleted",
            example=1,
        ),
    },
)

SHARED_MODELS = (error_model, message_model, user_model, item_model)


def page_model(name: str, item: Model, *, keyset: bool = False) -> Model:
    """The list envelope: `{"items": [...], "total": N, "page": P, "per_page": K}`, and
    `next_cursor` for a list that also takes `after` (`keyset`)."""
    envelope: dict[str, fields.Raw] = {
        "items": fields.List(fields.Nested(item), required=True, default=[]),
        "total": fields.Integer(required=True, description="Items matching the filters"),
        "page": fields.Integer(required=True, example=1),
        "per_page": fields.Integer(required=True, example=20),
    }
    if keyset:
        envelope["next_cursor"] = NullableString(
            description="Only when the request had `after`: pass it as `after` to get the "
            "next page (keyset pagination, fast at any depth); null on the last page"
        )
    return Model(name, envelope)


ASCII_INTEGER = re.compile(r"[+-]?[0-9]{1,20}")


class BoundedInt:
    """An integer query parameter with bounds that the spec shows (`minimum`/`maximum`)."""

    def __init__(self, minimum: int, maximum: int | None = MAX_ID) -> None:
        self.minimum = minimum
        self.maximum = maximum
        self.__schema__: dict[str, Any] = {"type": "integer", "minimum": minimum}
        if maximum is not None:
            self.__schema__["maximum"] = maximum

    def __call__(self, value: Any, name: str | None = None) -> int:
        text = str(value).strip()
        # Plain ASCII digits only: `int` would also take "1_0" and other scripts' digits ("５").
        if not ASCII_INTEGER.fullmatch(text):
            raise ValueError("must be an integer")
        number = int(text)
        if number < self.minimum or (self.maximum is not None and number > self.maximum):
            upper = f" and {self.maximum}" if self.maximum is not None else ""
            raise ValueError(
                f"must be between {self.minimum}{upper}"
                if upper
                else f"must be at least {self.minimum}"
            )
        return number


class QueryArgument(reqparse.Argument):
    """Reports a bad query parameter by its own reason (Flask-RESTX prefixes the help text)."""

    def handle_validation_error(self, error: Exception, bundle_errors: bool) -> Any:
        errors = {self.name: str(error)}
        if bundle_errors:
            return ValueError(error), errors
        abort(400, "Invalid query parameters", errors=errors)
        return None


class BoundedStr:
    """A string query parameter with a maximum length."""

    def __init__(self, max_length: int) -> None:
        self.max_length = max_length
        self.__schema__ = {"type": "string", "maxLength": max_length}

    def __call__(self, value: Any, name: str | None = None) -> str:
        text = str(value)
        if "\x00" in text:  # PostgreSQL cannot compare or store it
            raise ValueError("must not contain NUL characters")
        if len(text) > self.max_length:
            raise ValueError(f"must be at most {self.max_length} characters")
        return text


MAX_PER_PAGE = 100
MAX_PAGE = MAX_ID // MAX_PER_PAGE  # the offset (page - 1) * per_page fits in INTEGER
ITEM_SORTS = ("-created_at", "created_at", "name", "-name", "-updated_at", "updated_at")
UNKNOWN_PARAMETERS = (
    "Unknown or repeated query parameters are refused (400, named in `errors`), so a misspelt "
    "or doubled filter never silently changes the result."
)


class StrictQueryParser(reqparse.RequestParser):
    """A query parser that refuses parameters it does not declare (400), on every list alike."""

    def parse_args(self, req: Any = None, strict: bool = False) -> reqparse.ParseResult:
        if malformed := _malformed_parameters(request.query_string):
            abort(400, "Invalid query parameters", errors=malformed)
        known = {arg.name for arg in self.args}
        unknown = [name for name in request.args if name not in known]
        if unknown:  # names are echoed shortened: they are arbitrary client input
            errors = {name[:64]: "unknown parameter" for name in unknown[:10]}
            abort(400, "Invalid query parameters", errors=errors)
        # Each takes one value: `?action=a&action=b` would otherwise quietly mean `action=a`.
        if repeated := [name for name in known if len(request.args.getlist(name)) > 1]:
            abort(400, "Invalid query parameters", errors=dict.fromkeys(repeated, "is repeated"))
        return super().parse_args(req)


_BAD_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")


def _malformed_parameters(query: bytes) -> dict[str, str]:
    """Parameters whose percent-escapes are malformed (`%zz`, a lone `%`) or do not decode to
    UTF-8 (`%ff`): Werkzeug keeps such escapes as literal text, so `q=%ff` searched for "%FF"."""
    if b"%" not in query:
        return {}
    malformed = {}
    for pair in query.split(b"&"):
        name, _, value = pair.partition(b"=")
        if not _is_utf8_escaped(name):
            malformed["query"] = "holds a parameter name that is not valid percent-encoded UTF-8"
        elif not _is_utf8_escaped(value):
            malformed[unquote_to_bytes(name).decode()[:64]] = "is not valid percent-encoded UTF-8"
    return malformed


def _is_utf8_escaped(part: bytes) -> bool:
    if _BAD_ESCAPE.search(part):
        return False
    try:
        unquote_to_bytes(part).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class IsoDateTime:
    """An ISO 8601 timestamp query parameter, as an aware UTC datetime (naive means UTC)."""

    __schema__ = {"type": "string", "format": "date-time"}

    def __call__(self, value: Any, name: str | None = None) -> datetime:
        text = str(value).strip()
        try:
            if len(text) > 64 or "\x00" in text:
                raise ValueError(text)
            parsed = datetime.fromisoformat(text)
            parsed = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed
            return parsed.astimezone(UTC)
        except (ValueError, OverflowError):
            raise ValueError("must be an ISO 8601 timestamp, e.g. 2026-11-30T09:00:00Z") from None


def pagination_parser() -> reqparse.RequestParser:
    parser = StrictQueryParser(argument_class=QueryArgument, bundle_errors=True)
    parser.add_argument(
        "page", type=BoundedInt(1, MAX_PAGE), default=1, location="args", help="Page number, from 1"
    )
    parser.add_argument(
        "per_page",
        type=BoundedInt(1, MAX_PER_PAGE),
        default=20,
        location="args",
        help=f"Items per page, 1 to {MAX_PER_PAGE}",
    )
    return parser


def _item_parser() -> reqparse.RequestParser:
    """What every item list takes: pages or a cursor, `q`, `sort` and `updated_since`."""
    parser = add_cursor(pagination_parser())
    parser.add_argument(
        "q", type=BoundedStr(255), location="args", help="Name contains (case-insensitive)"
    )
    parser.add_argument(
        "sort",
        choices=ITEM_SORTS,
        default="-created_at",
        location="args",
        help="Sort order; '-' for descending. `updated_at` with `updated_since` and `after` "
        "is a change feed",
    )
    parser.add_argument(
        "updated_since",
        type=IsoDateTime(),
        location="args",
        help="Only items changed at or after this ISO 8601 time (UTC if no offset); "
        "soft deletes count as changes",
    )
    return parser


def item_list_parser() -> reqparse.RequestParser:
    """`listItems`: active items, anyone's (`owner_id` narrows it)."""
    parser = _item_parser()
    parser.add_argument("owner_id", type=BoundedInt(1), location="args", help="Owner's user id")
    return parser


def boolean(value: Any) -> bool:
    """`true`/`false` (also `1`/`0`, `on`), any case; an empty value is an error, not false
    (Flask-RESTX's `inputs.boolean` reads `?is_active=` as false)."""
    text = str(value).strip().lower()
    if text in ("true", "1", "on"):
        return True
    if text in ("false", "0"):
        return False
    raise ValueError("must be true or false")


boolean.__schema__ = {"type": "boolean"}  # type: ignore[attr-defined]


def my_item_list_parser() -> reqparse.RequestParser:
    """`listMyItems`: the caller's items, soft-deleted ones included unless asked otherwise."""
    parser = _item_parser()
    parser.add_argument(
        "include_inactive",
        type=boolean,
        default=True,
        location="args",
        help="Include soft-deleted items (default true), so a change feed sees deletions",
    )
    return parser


def add_cursor(parser: reqparse.RequestParser) -> reqparse.RequestParser:
    parser.add_argument(
        "after",
        type=BoundedStr(2048),  # a 255-character name in UTF-8, base64-encoded, fits
        location="args",
        help="Keyset pagination: empty for the first page, then the previous page's "
        "`next_cursor` (same `sort`); the response then has `next_cursor`. "
        "Cannot be combined with `page` (400), except `page=1`, its default, which SDKs send",
    )
    return parser


def admin_item_list_parser() -> reqparse.RequestParser:
    parser = item_list_parser()
    parser.add_argument(
        "is_active", type=boolean, location="args", help="Only active or inactive items"
    )
    return parser
