"""HTTP conventions shared by the resources: pagination headers and conditional requests."""

import hashlib
import re
from dataclasses import dataclass, replace
from math import ceil
from typing import Any
from urllib.parse import urlencode

import orjson
from flask import Response, request
from flask_restx import Model

from api.errors import ApiError
from api.jsonio import OPTIONS
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
ETAG_HEADER = {"ETag": {"description": "Entity tag of the representation sent", "type": "string"}}
PAGE_ETAG_HEADER = {
    "ETag": {
        "description": "Entity tag of this page: send it as `If-None-Match` to get a 304 while "
        "the page is unchanged",
        "type": "string",
    }
}
IF_NONE_MATCH = {
    "If-None-Match": {
        "in": "header",
        "type": "string",
        "description": "An ETag from an earlier response: 304 Not Modified if it still matches",
    }
}
# RFC 9110 §8.8.3: `*`, or a comma-separated list of entity tags, each optionally weak.
_ENTITY_TAG = r'(?:W/)?"[\x21\x23-\x7e]*"'
IF_MATCH_PATTERN = rf"^(?:\*|{_ENTITY_TAG}(?:[ \t]*,[ \t]*{_ENTITY_TAG})*)$"
_IF_MATCH = re.compile(IF_MATCH_PATTERN)
IF_MATCH = {
    "If-Match": {
        "in": "header",
        "type": "string",
        "maxLength": 1024,
        "pattern": IF_MATCH_PATTERN,
        "description": 'The ETag you last saw, quotes included (`"3f2a..."`), or `*`: 412 if '
        "the item changed since (optimistic locking); 400 if the header is not a valid "
        "entity-tag list",
    }
}


def page_response(page: Page) -> tuple[dict[str, Any], int, dict[str, str]]:
    """The list envelope plus `X-Total-Count` and `Link` headers."""
    return page.to_dict(), 200, page_headers(page)


def page_headers(page: Page) -> dict[str, str]:
    links = ", ".join(f'<{url}>; rel="{rel}"' for rel, url in _links(page).items())
    return {"X-Total-Count": str(page.total), "Link": links}


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


@dataclass(frozen=True)
class RenderedPage:
    """A list page as sent: body bytes, the ETag of exactly those bytes, and where it sits
    among its pages (`nav`, without the items) for the `Link` header of each request."""

    body: bytes
    etag: str
    nav: Page

    @property
    def size(self) -> int:
        """Bytes held, approximately (the body and the objects around it)."""
        return len(self.body) + len(self.nav.next_cursor or "") + 512


def render_page(page: Page, model: Model) -> RenderedPage:
    output = serializer(model)(page.to_dict())
    if not page.keyset:
        output.pop("next_cursor", None)
    body = orjson.dumps(output, option=OPTIONS)
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    return RenderedPage(body, etag, replace(page, items=[]))


def send_page(page: RenderedPage, *, cache_control: str) -> Response:
    """200 with the page, or 304 when the client's `If-None-Match` still matches it."""
    headers = {"ETag": page.etag, "Cache-Control": cache_control}
    if unchanged := not_modified(page.etag):
        unchanged.headers.update(headers)
        return unchanged
    headers.update(page_headers(page.nav))
    return Response(page.body, 200, headers, mimetype="application/json")


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
    """Enforce `If-Match`: a stale ETag means someone else changed the item first.

    A header that is not an entity-tag list (an ETag without its quotes, garbage) is a 400:
    answering 412 would claim a change that never happened.
    """
    header = request.headers.get("If-Match")
    if header is None or not header.strip():  # an empty list asks for nothing
        return
    if len(header) > 1024 or not _IF_MATCH.fullmatch(header.strip(" \t")):
        raise ApiError(
            400,
            "Malformed If-Match header",
            errors={"If-Match": 'must be "*" or ETags in double quotes, e.g. "3f2a9c0e..."'},
        )
    if header.strip() != "*" and etag not in _tags(header):
        raise ApiError(412, "The item has changed since you read it; fetch it and retry")
