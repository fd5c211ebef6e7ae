"""`Idempotency-Key` support for create operations (`POST /api/items`, `POST /api/upload`).

The first request with a key stores its response; a retry with the same key and the same
request gets that response again (`Idempotent-Replayed: true`) and creates nothing. The same key
with a different request is a 422. A placeholder row is written *before* the work, so two
concurrent requests with one key cannot both create: the loser gets a 409. Keys are per user
(two users may use the same key) and kept for KEEP_KEYS_FOR.

A replay carries the original response's representation headers too (`ETag`, `Location`, ...),
so a client that lost the first answer gets exactly what it would have received.
"""

import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from flask import Response, request
from flask_restx import Model
from flask_restx.utils import unpack
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from api.http import jsonio
from api.http.auth import current_user
from api.http.errors import ApiError
from api.http.operations import ERROR_DESCRIPTIONS, document
from api.http.schemas import error_model
from models import IdempotencyKey, db, utcnow
from models.base import execute_dml

P = ParamSpec("P")
R = TypeVar("R")
# What a view returns once marshalled (`returns`): body, status and headers.
Marshalled = tuple[Any, int, dict[str, Any]]

HEADER = "Idempotency-Key"
IN_PROGRESS = 0
# A placeholder older than any request can run belongs to a worker that died: reclaim it.
ABANDONED_AFTER = timedelta(seconds=120)
# Keys are kept this long, then `flask purge-revoked-tokens` forgets them.
KEEP_KEYS_FOR = timedelta(hours=24)
KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"  # 1-255 visible ASCII characters
_VALID_KEY = re.compile(KEY_PATTERN)
# Headers that describe the stored representation, replayed with it.
REPLAYED_HEADERS = ("ETag", "Location", "Content-Location", "Last-Modified")


def idempotent(func: Callable[P, R]) -> Callable[P, R | Response | Marshalled]:
    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | Response | Marshalled:
        key = request.headers.get(HEADER)
        if key is None:
            return func(*args, **kwargs)
        if not _VALID_KEY.match(key):
            raise ApiError(400, "Invalid Idempotency-Key", errors={HEADER: "1-255 visible ASCII"})
        user_id = current_user().id
        fingerprint = _fingerprint()
        replay = _claim(user_id, key, fingerprint)
        if replay is not None:
            return replay
        try:
            result = func(*args, **kwargs)
        except BaseException:
            _release(user_id, key)
            raise
        return _remember(user_id, key, result)

    params = {
        HEADER: {
            "in": "header",
            "type": "string",
            "minLength": 1,
            "maxLength": 255,
            "pattern": KEY_PATTERN,
            "description": "Makes retries safe: a repeat with the same key and body returns "
            "the first response (status, body, `ETag`) with `Idempotent-Replayed: true` and "
            "creates nothing; the same key with a different body is a 422. 1-255 visible ASCII "
            "characters (e.g. a UUID). Keys are per user (yours never collide with another "
            f"user's) and kept for {_hours(KEEP_KEYS_FOR)} hours after the first request; "
            "after that the key is forgotten and a repeat creates again.",
        }
    }
    responses: dict[str, tuple[str, Model, dict[str, Any]]] = {
        "409": ("A request with this Idempotency-Key is still in progress", error_model, {}),
        "422": (ERROR_DESCRIPTIONS[422], error_model, {}),
    }
    return document(wrapper, params=params, responses=responses)


def _hours(period: timedelta) -> int:
    return int(period.total_seconds() // 3600)


def _fingerprint() -> str:
    """A hash of what the request asks for (not of its bytes: multipart boundaries vary)."""
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    if request.is_json:
        body = request.get_json(silent=True)
        digest.update(json.dumps(body, sort_keys=True, separators=(",", ":")).encode())
    else:
        # A multipart part without a usable name has `None` for one: sort by the text.
        for name, value in sorted(request.form.items(multi=True), key=lambda p: (str(p[0]), p[1])):
            digest.update(f"form:{name}={value}\n".encode())
        for name, file in sorted(request.files.items(multi=True), key=lambda p: str(p[0])):
            digest.update(f"file:{name}:{file.filename}:".encode())
            # `file_digest` reads in chunks with `readinto`, which the stream (a spooled temporary
            # file or BytesIO) has but Werkzeug's `IO[bytes]` type for it does not declare.
            whole = hashlib.file_digest(file.stream, "sha256")  # type: ignore[arg-type]
            digest.update(whole.digest())
            file.stream.seek(0)
    return digest.hexdigest()


def _claim(user_id: int, key: str, fingerprint: str) -> Response | None:
    """Insert the placeholder, or return the stored response for a genuine retry."""
    db.session.add(
        IdempotencyKey(
            user_id=user_id,
            key=key,
            endpoint=request.path,
            request_hash=fingerprint,
            status_code=IN_PROGRESS,
            response_body="",
        )
    )
    try:
        db.session.commit()
        return None
    except IntegrityError:
        db.session.rollback()
    stored = db.session.scalar(
        select(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
    )
    if stored is None:  # released by a failed attempt in the meantime
        raise ApiError(409, "A request with this Idempotency-Key is in progress; retry")
    if stored.request_hash != fingerprint:
        raise ApiError(422, "This Idempotency-Key was already used for a different request")
    if stored.status_code == IN_PROGRESS:
        if stored.created_at < utcnow() - ABANDONED_AFTER:  # its worker died mid-request
            _release(user_id, key)
            return _claim(user_id, key, fingerprint)
        raise ApiError(409, "A request with this Idempotency-Key is in progress; retry")
    body, headers = _unpack_stored(stored.response_body)
    return Response(
        body,
        status=stored.status_code,
        mimetype="application/json",
        headers={**headers, "Idempotent-Replayed": "true"},
    )


def _remember(user_id: int, key: str, result: Any) -> Marshalled:
    data, status, headers = unpack(result)
    stored = db.session.scalar(
        select(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
    )
    if stored is not None:
        stored.status_code = status
        stored.response_body = _pack_stored(data, headers or {})
        db.session.commit()
    return data, status, headers


# Stored as {"headers": {...}, "body": <the JSON body>}; rows written before headers were kept
# hold the bare body, which no envelope can be confused with (no response has exactly these keys).
_ENVELOPE_KEYS = {"headers", "body"}


def _pack_stored(data: Any, headers: Any) -> str:
    kept = {name: str(headers[name]) for name in REPLAYED_HEADERS if name in headers}
    return json.dumps({"headers": kept, "body": data})


def _unpack_stored(text: str) -> tuple[bytes, dict[str, str]]:
    """The body serialised as the first response was (`jsonio.output_json`): the same bytes."""
    stored = json.loads(text)
    if isinstance(stored, dict) and set(stored) == _ENVELOPE_KEYS:
        return jsonio.encode(stored["body"]), stored["headers"]
    return jsonio.encode(stored), {}


def _release(user_id: int, key: str) -> None:
    """A failed attempt frees its key, so the client can retry it."""
    db.session.rollback()
    db.session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
    )
    db.session.commit()


def purge_expired() -> int:
    """Forget keys older than KEEP_KEYS_FOR; returns how many."""
    cutoff = utcnow() - KEEP_KEYS_FOR
    result = execute_dml(delete(IdempotencyKey).where(IdempotencyKey.created_at < cutoff))
    db.session.commit()
    return result.rowcount
