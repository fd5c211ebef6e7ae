"""Direct-to-store uploads for large files (S3 backend only): the client sends the bytes to the
object store with a presigned POST, then asks the API to finalize.

1. `start(...)` checks the name, the declared size and the quota, and returns a presigned POST
   whose policy limits the size (`content-length-range`) and fixes the `Content-Type`, plus an
   opaque token that names the object, bound to the caller.
2. `finalize(...)` verifies the token, then checks what actually arrived: size, content (magic
   bytes of the first 8 KiB), quota; it records the SHA-256 by streaming the object once
   through (bounded memory). Anything refused is deleted from the store.

An object uploaded but never finalized has no row: `purge-uploads` removes it after the grace
period, like any other orphan.
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

from api.core.config import UploadSettings
from api.services import uploads
from api.services.errors import Conflict, Forbidden, Invalid, ServiceError, UnsupportedType
from api.services.file_types import HEADER_BYTES, content_type_for, mismatch
from api.storage import ObjectMissing, Storage, StorageUnavailable, storage
from models import Principal, Upload, db

if TYPE_CHECKING:  # imported only with the S3 backend (it loads boto3)
    from api.storage.s3 import S3Storage

PURPOSE = b"direct-upload-token:v1"


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
    key = f"{uuid.uuid4().hex}.{extension}"
    content_type = content_type_for(extension)
    ttl = settings.url_expires
    post = backend.presigned_post(key, content_type=content_type, max_bytes=limit, expires_in=ttl)
    expires = int(time.time()) + ttl
    claims = {
        "user_id": owner.id,
        "key": key,
        "filename": uploads.clean_name(filename.strip(), extension),
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
    key = claims["key"]
    existing = db.session.scalar(select(Upload).where(Upload.stored_name == key))
    if existing is not None and existing.deleted_at is None:
        return existing, False
    try:
        size = backend.size(key)
    except ObjectMissing:
        raise Conflict("Nothing has been uploaded with this token yet") from None
    except StorageUnavailable:
        raise uploads.storage_unavailable() from None
    if size > settings.max_bytes:
        uploads.forget_object(key)
        raise uploads.too_large(settings)
    extension = key.rsplit(".", 1)[1]
    digest, header = _digest(backend, key)
    if reason := mismatch(extension, header):
        uploads.forget_object(key)
        raise UnsupportedType(
            "The file's content does not match its extension", errors={"file": reason}
        )
    upload = Upload(
        user_id=owner.id,
        original_name=claims["filename"],
        stored_name=key,
        size=size,
        sha256=digest,
        content_type=content_type_for(extension),
    )
    try:
        uploads.insert_within_quota(upload, settings)
    except ServiceError:
        db.session.rollback()
        uploads.forget_object(key)
        raise
    return upload, True


def _digest(backend: Storage, key: str) -> tuple[str, bytes]:
    sha256 = hashlib.sha256()
    header = b""
    try:
        for chunk in backend.open(key):
            if len(header) < HEADER_BYTES:
                header += chunk[: HEADER_BYTES - len(header)]
            sha256.update(chunk)
    except ObjectMissing:
        raise Conflict("Nothing has been uploaded with this token yet") from None
    except StorageUnavailable:
        raise uploads.storage_unavailable() from None
    return sha256.hexdigest(), header
