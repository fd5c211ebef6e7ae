"""HTTP conventions shared by the resources: pagination headers and conditional requests."""

import hashlib
from math import ceil
from typing import Any
from urllib.parse import urlencode

import orjson
from flask import Response, request
from flask_restx import Model

from api.errors import ApiError
from api.marshalling import serializer
from api.services.pagination import Page

# Documented on every list response and on the item operations that use them.
PAGINATION_HEADERS = {
    "X-Total-Count": {"description": "Items matching the filters", "type": "integer"},
    "Link": {
        "description": "RFC 8288 links to the `first`, `prev`, `next` and `last` pages",
        "type": "string",
    },
}
REPLAYED_HEADER = {
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored response to an earlier request with the "
        "same `Idempotency-Key`",
        "type": "string",
    }
}
ETAG_HEADER = {"ETag": {"description": "Entity tag of the item's current state", "type": "string"}}
IF_NONE_MATCH = {
    "If-None-Match": {
        "in": "header",
        "type": "string",
        "description": "An ETag from an earlier response: 304 Not Modified if it still matches",
    }
}
IF_MATCH = {
    "If-Match": {
        "in": "header",
        "type": "string",
        "description": "The ETag you last saw: 412 if the item changed since (optimistic locking)",
    }
}


def page_response(page: Page) -> tuple[dict[str, Any], int, dict[str, str]]:
    """The list envelope plus `X-Total-Count` and `Link` headers."""
    links = ", ".join(f'<{url}>; rel="{rel}"' for rel, url in _links(page).items())
    return page.to_dict(), 200, {"X-Total-Count": str(page.total), "Link": links}


def _links(page: Page) -> dict[str, str]:
    if page.keyset:  # cursor pages link forward only
        links = {"first": _url(after="")}
        if page.next_cursor:
            links["next"] = _url(after=page.next_cursor)
        return links
    last = max(1, ceil(page.total / page.per_page))
    links = {"first": _url(page=1), "last": _url(page=last)}
    if page.page > 1:
        links["prev"] = _url(page=min(page.page - 1, last))
    if page.page < last:
        links["next"] = _url(page=page.page + 1)
    return links


def _url(**replace: Any) -> str:
    args = [(k, v) for k, v in request.args.items(multi=True) if k not in ("page", "after")]
    return f"{request.path}?{urlencode([*args, *replace.items()])}"


def etag_for(model: Model, obj: Any) -> str:
    """The ETag of `obj` as `model` renders it: the same for an ORM object and a plain row."""
    return etag_of(serializer(model)(obj))


def etag_of(representation: dict[str, Any]) -> str:
    canonical = orjson.dumps(representation, option=orjson.OPT_SORT_KEYS, default=str)
    return f'"{hashlib.sha256(canonical).hexdigest()[:32]}"'


def _tags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def not_modified(etag: str) -> Response | None:
    """A 304 when the client's `If-None-Match` still matches, else None."""
    header = request.headers.get("If-None-Match")
    if header and (header.strip() == "*" or etag in _tags(header)):
        return Response(status=304, headers={"ETag": etag})
    return None


def require_match(etag: str) -> None:
    """Enforce `If-Match`: a stale ETag means someone else changed the item first."""
    header = request.headers.get("If-Match")
    if header and header.strip() != "*" and etag not in _tags(header):
        raise ApiError(412, "The item has changed since you read it; fetch it and retry")
