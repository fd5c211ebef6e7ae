"""Pagination headers and rendered list pages: `X-Total-Count`, RFC 8288 `Link`, and the bytes
and ETag of a page as sent (which the page cache keeps)."""

import hashlib
from dataclasses import dataclass, replace
from math import ceil
from typing import Any
from urllib.parse import urlencode

import orjson
from flask import Response, request
from flask_restx import Model

from api.http.conditional import not_modified
from api.http.jsonio import OPTIONS
from api.http.marshalling import serializer
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


def page_response(page: Page[Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """The list envelope plus `X-Total-Count` and `Link` headers."""
    return page.to_dict(), 200, page_headers(page)


def page_headers(page: Page[Any]) -> dict[str, str]:
    links = ", ".join(f'<{url}>; rel="{rel}"' for rel, url in _links(page).items())
    return {"X-Total-Count": str(page.total), "Link": links}


def _links(page: Page[Any]) -> dict[str, str]:
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
    nav: Page[Any]

    @property
    def size(self) -> int:
        """Bytes held, approximately (the body and the objects around it)."""
        return len(self.body) + len(self.nav.next_cursor or "") + 512


def render_page(page: Page[Any], model: Model) -> RenderedPage:
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
