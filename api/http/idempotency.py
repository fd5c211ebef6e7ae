"""`Idempotency-Key` support for create operations (`POST /api/items`, `POST /api/upload`).

The first request with a key stores its response; a retry with the same key and the same
request gets that response again (`Idempotent-Replayed: true`) and creates nothing. The same key
with a different request is a 422. Keys are per user (two users may use the same key) and kept
for KEEP_KEYS_FOR.

The key is written in the very transaction that commits the work (a `before_commit` hook), so
the two exist together or not at all: a request that fails, or whose database goes away before
the commit, leaves no key behind and is simply retried; one that committed has its key, so a
retry never creates twice. Of two concurrent requests with one key, the second to commit meets
the first's key (the unique constraint), its work is rolled back, and it answers as a retry
would. The response is stored just after, in a second statement; should that one fail (the
database lost at that very moment), a retry learns that the request was carried out (409)
instead of running it again.

A replay carries the original response's representation headers too (`ETag`, `Location`, ...),
so a client that lost the first answer gets exactly what it would have received.
"""

import hashlib
import json
import logging
import re
from collections.abc import Callable
from datetime import UTC, timedelta
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from flask import Response, g, has_request_context, request
from flask_restx import Model
from flask_restx.utils import unpack
from sqlalchemy import delete, event, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.http import jsonio
from api.http.auth import current_user
from api.http.errors import UNAVAILABLE_ERRORS, ApiError
from api.http.operations import ERROR_DESCRIPTIONS, RETRY_AFTER, document
from api.http.schemas import error_model
from models import IdempotencyKey, db, utcnow
from models.base import execute_dml

P = ParamSpec("P")
R = TypeVar("R")
# What a view returns once marshalled (`returns`): body, status and headers.
Marshalled = tuple[Any, int, dict[str, Any]]

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
# The status of a key whose work committed and whose response is not stored (yet, or ever).
CARRIED_OUT = 0
IN_PROGRESS_RETRY_AFTER = 1
# A response is stored milliseconds after its commit: one still missing after this was lost
# (the database went away in between), and a retry would wait for it forever.
RESPONSE_LOST_AFTER = timedelta(seconds=60)
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
        claim = _Claim(current_user().id, key, _fingerprint())
        if (earlier := claim.answered()) is not None:
            return earlier
        g.idempotency_claim = claim  # written with the work, by `_write_key_with_the_work`
        try:
            result = func(*args, **kwargs)
        except IntegrityError:
            if not claim.written_by_another():
                raise
            db.session.rollback()  # our work went with it: answer as the retry we are
            if (replay := claim.answered()) is None:  # never: the key was there a moment ago
                raise
            return replay
        finally:
            g.pop("idempotency_claim", None)
        return claim.remember(result)

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
        "409": (
            "Conflict with the current state (see the description, e.g. an upload quota), or "
            "a request with this Idempotency-Key was carried out and its response is not "
            "stored yet: retry after `Retry-After` seconds for its replay (without "
            "`Retry-After`: its response was lost in an outage; look the result up)",
            error_model,
            {"headers": RETRY_AFTER},
        ),
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


class _Claim:
    """One request's use of a key: its user, the key and what the request asks for."""

    def __init__(self, user_id: int, key: str, fingerprint: str) -> None:
        self.user_id, self.key, self.fingerprint = user_id, key, fingerprint
        self.written = False

    def _stored(self) -> IdempotencyKey | None:
        return db.session.scalar(
            select(IdempotencyKey).where(
                IdempotencyKey.user_id == self.user_id, IdempotencyKey.key == self.key
            )
        )

    def answered(self) -> Response | None:
        """The stored response to replay, or None when the key is new (raises 422 or 409)."""
        stored = self._stored()
        if stored is None:
            return None
        if stored.request_hash != self.fingerprint:
            raise ApiError(422, "This Idempotency-Key was already used for a different request")
        if stored.status_code == CARRIED_OUT:
            created = stored.created_at
            created = created if created.tzinfo else created.replace(tzinfo=UTC)
            raise self.lost() if utcnow() - created > RESPONSE_LOST_AFTER else self.in_progress()
        body, headers = _unpack_stored(stored.response_body)
        return Response(
            body,
            status=stored.status_code,
            mimetype="application/json",
            headers={**headers, "Idempotent-Replayed": "true"},
        )

    def in_progress(self) -> ApiError:
        return ApiError(
            409,
            "A request with this Idempotency-Key was carried out, and its response is not "
            "stored yet (or was lost in an outage): retry shortly, or look the result up",
            headers={"Retry-After": str(IN_PROGRESS_RETRY_AFTER)},
        )

    def lost(self) -> ApiError:
        return ApiError(
            409,
            "A request with this Idempotency-Key was carried out, but its response was lost in "
            "an outage and will not be replayed: look the result up (e.g. your newest items or "
            "uploads) instead of retrying",
        )

    def written_by_another(self) -> bool:
        """After an IntegrityError: did another request commit this key first?"""
        if self.written:
            return False
        db.session.rollback()
        return self._stored() is not None

    def write(self, session: Session) -> None:
        """The key, in the transaction about to commit the work."""
        session.execute(
            insert(IdempotencyKey).values(
                user_id=self.user_id,
                key=self.key,
                endpoint=request.path,
                request_hash=self.fingerprint,
                status_code=CARRIED_OUT,
                response_body="",
                created_at=utcnow(),
            )
        )
        self.written = True

    def remember(self, result: Any) -> Marshalled:
        """Store the response for replays. The work is committed whatever happens here, so
        the client gets its answer even when storing it fails (a retry then gets a 409)."""
        data, status, headers = unpack(result)
        if not self.written:  # nothing was committed (an answer without work): nothing to keep
            return data, status, headers
        try:
            execute_dml(
                update(IdempotencyKey)
                .where(IdempotencyKey.user_id == self.user_id, IdempotencyKey.key == self.key)
                .values(status_code=status, response_body=_pack_stored(data, headers or {}))
            )
            db.session.commit()
        except UNAVAILABLE_ERRORS as exc:
            db.session.close()  # with the database gone even a rollback can fail; this cannot
            log.warning("Idempotency-Key response not stored (%s): a retry gets a 409", exc)
        return data, status, headers


@event.listens_for(Session, "before_commit")
def _write_key_with_the_work(session: Session) -> None:
    """The first commit of an idempotent request's work carries its key."""
    if not has_request_context():
        return
    claim: _Claim | None = g.get("idempotency_claim")
    if claim is not None and not claim.written and session is db.session():
        claim.write(session)


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


def purge_expired() -> int:
    """Forget keys older than KEEP_KEYS_FOR; returns how many."""
    cutoff = utcnow() - KEEP_KEYS_FOR
    result = execute_dml(delete(IdempotencyKey).where(IdempotencyKey.created_at < cutoff))
    db.session.commit()
    return result.rowcount
