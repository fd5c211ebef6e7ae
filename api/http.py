"""HTTP conventions shared by the resources: pagination headers and conditional requests."""

import hashlib
import json
from math import ceil
from typing import Any
from urllib.parse import urlencode

from flask import Response, request

from api.errors import ApiError
from api.services.pagination import Page

# Documented on every list response and on the item operations that use them.
PAGINATION_HEADERS = {
    "X-Total-Count": {"description": "Items matching the filters", "type": "integer"},
    "Link": {
        "description": "RFC 8288 links to the `first`, `prev`, `next` and `last` pages",
        "type": "string",
    },
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
    last = max(1, ceil(page.total / page.per_page))
    pages = {"first": 1, "last": last}
    if page.page > 1:
        pages["prev"] = min(page.page - 1, last)
    if page.page < last:
        pages["next"] = page.page + 1
    links = ", ".join(f'<{_page_url(number)}>; rel="{rel}"' for rel, number in pages.items())
    return page.to_dict(), 200, {"X-Total-Count": str(page.total), "Link": links}


def _page_url(number: int) -> str:
    args = [(key, value) for key, value in request.args.items(multi=True) if key != "page"]
    return f"{request.path}?{urlencode([*args, ('page', number)])}"


def etag_of(representation: dict[str, Any]) -> str:
    canonical = json.dumps(representation, sort_keys=True, default=str).encode()
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
