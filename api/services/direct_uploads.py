"""Direct-to-store uploads for large files (S3 backend only): the client sends the bytes to the
object store with a presigned POST, then asks the API to finalize.

1. `start(...)` checks the name, the declared size and the quota, and returns a presigned POST
   for a staging key (`incoming/...`) whose policy limits the size to the declared one
   (`content-length-range`) and fixes the `Content-Type`, plus an opaque token that names the
   staging object, bound to the caller.
2. `finalize(...)` verifies the token, copies the staging object to a key of its own and checks
   that copy: size, content (magic bytes of the first 8 KiB), quota; it records the SHA-256 by
   streaming the copy once through (bounded memory). Anything refused is deleted.

The copy is what makes the checks hold: a presigned POST can be sent again for as long as its
policy lives, so the staging object may change after it was checked; the copy no client can
write. A staging object left behind (never finalized, or sent again later) has no row:
`purge-uploads` removes it after the grace period, like any other orphan.
"""

import base64
import hashlib
import hmac
import json
import time
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from api.core.config import UploadSettings
from api.services import uploads
from api.services.errors import (
    Conflict,
    Forbidden,
    Invalid,
    ServiceError,
    TooLarge,
    UnsupportedType,
)
from api.services.file_types import HEADER_BYTES, content_type_for, mismatch
from api.storage import ObjectMissing, Storage, StorageUnavailable, storage
from models import Principal, Upload, db

if TYPE_CHECKING:  # imported only with the S3 backend (it loads boto3)
    from api.storage.s3 import S3Storage

PURPOSE = b"direct-upload-token:v2"  # v1 tokens named the served object itself
STAGING = "incoming/"


def _s3() -> "S3Storage":
    backend = storage()
    if backend.name != "s3":
        raise Conflict("Direct uploads need the object-store backend (STORAGE_BACKEND=s3)")
    return cast("S3Storage", backend)


def _sign(payload: bytes, secret: str) -> str:
    key = hmac.new(secret.encode(), PURPOSE, hashlib.sha256).digest()
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def _token(claims: dict[str, Any], secret: str) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(claims, sort_keys=True).encode()).decode()
    return f"{payload}.{_sign(payload.encode(), secret)}"


def _claims(token: str, *, user_id: int, secret: str) -> dict[str, Any]:
    payload, _, signature = token.partition(".")
    if not payload.isascii() or not hmac.compare_digest(
        _sign(payload.encode(), secret), signature.encode("ascii", "replace").decode()
    ):
        raise Invalid({"token": "is not one we issued"}, "Invalid upload token")
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload))
    if claims["user_id"] != user_id:
        raise Forbidden("This upload token belongs to another user")
    if claims["expires"] < time.time() - 3600:  # an hour to finish after the POST expired
        raise Invalid({"token": "start a new upload"}, "Upload token expired")
    return claims


def start(
    *, owner: Principal, filename: str, size: int, settings: UploadSettings
) -> dict[str, Any]:
    backend = _s3()
    extension = uploads.checked_extension(filename.strip(), settings)
    limit = settings.max_bytes
    if size > limit:
        raise uploads.too_large(settings)
    uploads.check_quota(owner.id, settings, adding=size)
    key = f"{STAGING}{uuid.uuid4().hex}.{extension}"
    content_type = content_type_for(extension)
    ttl = settings.url_expires
    post = backend.presigned_post(key, content_type=content_type, max_bytes=size, expires_in=ttl)
    expires = int(time.time()) + ttl
    claims = {
        "user_id": owner.id,
        "key": key,
        "filename": uploads.clean_name(filename.strip(), extension),
        "size": size,  # what the quota was checked for, and the most the store may hold
        "expires": expires,
    }
    return {
        "url": post["url"],
        "fields": post["fields"],
        "expires_at": datetime.fromtimestamp(expires, UTC),
        "token": _token(claims, settings.secret),
    }


def finalize(*, owner: Principal, token: str, settings: UploadSettings) -> tuple[Upload, bool]:
    """The upload (and True if this call created it; a repeated finalize returns it again)."""
    backend = _s3()
    claims = _claims(token, user_id=owner.id, secret=settings.secret)
    staging = claims["key"]
    if (existing := _finalized(staging)) is not None:
        return existing, False
    try:
        key = _copied(backend, claims, settings)
    except ObjectMissing:
        # Never sent, or a concurrent finalize of this token has just recorded and removed it.
        if (existing := _finalized(staging)) is not None:
            return existing, False
        raise Conflict("Nothing has been uploaded with this token yet") from None
    try:
        upload = _recorded(key, claims, owner=owner, settings=settings)
    except BaseException:
        uploads.forget_object(key)
        raise
    if upload is None:  # a concurrent finalize of this token recorded its own copy first
        uploads.forget_object(key)
        if (existing := _finalized(staging)) is None:
            raise Conflict("Nothing has been uploaded with this token yet")
        return existing, False
    uploads.forget_object(staging)
    return upload, True


def _finalized(staging: str) -> Upload | None:
    """The upload an earlier finalize made of this staging object (409 if since deleted)."""
    upload = db.session.scalar(select(Upload).where(Upload.source_key == staging))
    if upload is not None and upload.deleted_at is not None:
        raise Conflict("This upload was finalized, then deleted; start a new upload")
    return upload


def _copied(backend: "S3Storage", claims: dict[str, Any], settings: UploadSettings) -> str:
    """A copy of the staging object under a new key no presigned POST names. An object over
    the size declared at the start is refused here, whether or not the store enforced the
    POST policy's `content-length-range` (every S3 does; some stand-ins do not)."""
    staging = claims["key"]
    extension = staging.rsplit(".", 1)[1]
    try:
        size = backend.size(staging)
        if size > settings.max_bytes:
            uploads.forget_object(staging)
            raise uploads.too_large(settings)
        if size > claims.get("size", size):  # tokens made before the claim existed: no check
            uploads.forget_object(staging)
            raise TooLarge(
                f"The file is larger than the {claims['size']} bytes declared when the upload "
                "started; start a new upload with its size"
            )
        key = f"{uuid.uuid4().hex}.{extension}"
        backend.copy(staging, key, content_type=content_type_for(extension))
    except StorageUnavailable:
        raise uploads.storage_unavailable() from None
    return key


def _recorded(
    key: str, claims: dict[str, Any], *, owner: Principal, settings: UploadSettings
) -> Upload | None:
    """The copy under `key` checked, then its row committed; None if another finalize of the
    same staging object committed first. Refused content is removed, staging object too."""
    staging = claims["key"]
    size, digest, header = _read(storage(), key)
    extension = key.rsplit(".", 1)[1]
    if size > settings.max_bytes:
        uploads.forget_object(staging)
        raise uploads.too_large(settings)
    if reason := mismatch(extension, header, whole=size <= len(header)):
        uploads.forget_object(staging)
        raise UnsupportedType(
            "The file's content does not match its extension", errors={"file": reason}
        )
    upload = Upload(
        user_id=owner.id,
        original_name=claims["filename"],
        stored_name=key,
        source_key=staging,
        size=size,
        sha256=digest,
        content_type=content_type_for(extension),
    )
    try:
        uploads.insert_within_quota(upload, settings)
    except IntegrityError:  # the unique `source_key`
        db.session.rollback()
        return None
    except ServiceError:
        db.session.rollback()
        uploads.forget_object(staging)
        raise
    return upload


def _read(backend: Storage, key: str) -> tuple[int, str, bytes]:
    """The object's size, hex SHA-256 and first `HEADER_BYTES`, streamed once through."""
    sha256 = hashlib.sha256()
    header = b""
    size = 0
    try:
        for chunk in backend.open(key):
            if len(header) < HEADER_BYTES:
                header += chunk[: HEADER_BYTES - len(header)]
            sha256.update(chunk)
            size += len(chunk)
    except ObjectMissing:
        raise Conflict("Nothing has been uploaded with this token yet") from None
    except StorageUnavailable:
        raise uploads.storage_unavailable() from None
    return size, sha256.hexdigest(), header
