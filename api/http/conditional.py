"""Conditional requests (RFC 9110 §13): entity tags of representations, `If-None-Match` → 304,
`If-Match` → 412 (optimistic locking) or 400 when the header is malformed."""

import hashlib
import re
from typing import Any

import orjson
from flask import Response, request
from flask_restx import Model

from api.http.errors import ApiError
from api.http.marshalling import serializer

ETAG_HEADER = {"ETag": {"description": "Entity tag of the representation sent", "type": "string"}}
PAGE_ETAG_HEADER = {
    "ETag": {
        "description": "Entity tag of this page: send it as `If-None-Match` to get a 304 while "
        "the page is unchanged",
        "type": "string",
    },
    "Cache-Control": {
        "description": "`no-cache` (a page the same for everyone) or `private, no-cache` (one "
        "that depends on the caller): keep it, but revalidate with `If-None-Match`",
        "type": "string",
    },
}
# A 304 names the entity tag still current (and, for a page, the same Cache-Control).
NOT_MODIFIED_HEADERS = {"ETag": ETAG_HEADER["ETag"]}
NOT_MODIFIED_PAGE_HEADERS = PAGE_ETAG_HEADER
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


def etag_for(model: Model, obj: Any) -> str:
    """The ETag of `obj` as `model` renders it: the same for an ORM object and a plain row."""
    return etag_of(serializer(model)(obj))


def etag_of(representation: dict[str, Any]) -> str:
    canonical = orjson.dumps(representation, option=orjson.OPT_SORT_KEYS, default=str)
    return f'"{hashlib.sha256(canonical).hexdigest()[:32]}"'


def _tags(header: str, *, weak: bool = True) -> set[str]:
    """The entity tags listed; `weak`: W/ tags too, as their strong form (If-None-Match's
    weak comparison), else only the strong ones (If-Match's)."""
    tags = {tag.strip() for tag in header.split(",") if tag.strip()}
    if weak:
        return {tag.removeprefix("W/") for tag in tags}
    return {tag for tag in tags if not tag.startswith("W/")}


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
    if header is None:
        return
    if len(header) > 1024 or not _IF_MATCH.fullmatch(header.strip(" \t")):
        raise ApiError(
            400,
            "Malformed If-Match header",
            errors={"If-Match": 'must be "*" or ETags in double quotes, e.g. "3f2a9c0e..."'},
        )
    # Strong comparison (RFC 9110 §13.1.1): a weak tag never matches.
    if header.strip() != "*" and etag not in _tags(header, weak=False):
        raise ApiError(412, "The item has changed since you read it; fetch it and retry")
