"""File uploads: allow-listed and content-checked types, per-user quota, streamed storage,
signed links, listing and deletion.

Ordering keeps the database and the store consistent through crashes and outages:
* upload: the object is written first, the row committed after; a crash in between leaves an
  object no row names (unreachable, removed by `flask purge-uploads`).
* delete: the row is first marked deleted (invisible from then on), then the object removed,
  then the row; a crash or a store failure in between leaves only things no user can reach,
  finished by a retried delete or by purge (never unmarked: the store may delete it late).
"""

import hashlib
import logging
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import IO, Any

from sqlalchemy import Select, delete, func, select, text, update
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from api.core.config import UploadSettings
from api.services import audit
from api.services.errors import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    ServiceError,
    TooLarge,
    Unavailable,
    UnsupportedType,
)
from api.services.file_types import HEADER_BYTES, content_type_for, mismatch
from api.services.pagination import Page, paginate
from api.storage import ObjectMissing, StorageUnavailable, signing, storage
from api.webhooks import outbox
from models import Principal, Upload, db, utcnow
from models.base import execute_dml

RETRY_AFTER_SECONDS = 5
MB = 1024 * 1024
# Key of the PostgreSQL advisory lock that serialises one user's quota check ("upld").
_QUOTA_LOCK = 0x75706C64
NO_FILE = "Send the file as a multipart/form-data field named 'file'."

log = logging.getLogger(__name__)


def storage_unavailable() -> Unavailable:
    return Unavailable(
        "File storage is unavailable right now; retry shortly", retry_after=RETRY_AFTER_SECONDS
    )


MAX_NAME = 200  # characters of a stored original name (the column holds 255)


def _extension(filename: str) -> str:
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


def clean_name(original: str, extension: str) -> str:
    """`secure_filename` drops non-ASCII; keep at least a usable `upload.<ext>`. A long name
    is shortened before its extension, which it keeps."""
    cleaned = secure_filename(original)
    if _extension(cleaned) != extension:
        return f"upload.{extension}"
    if len(cleaned) > MAX_NAME:
        suffix = cleaned[-len(extension) - 1 :]  # ".ext" as sent
        stem = cleaned[: MAX_NAME - len(suffix)].rstrip("._-")
        cleaned = f"{stem or 'upload'}{suffix}"
    return cleaned


def checked_extension(original: str, settings: UploadSettings) -> str:
    allowed = ", ".join(sorted(settings.allowed_extensions))
    extension = _extension(original)
    if not extension:
        raise UnsupportedType(
            "The file name has no extension",
            errors={"file": f"the file name needs an extension that says its type ({allowed})"},
        )
    if extension not in settings.allowed_extensions:
        raise UnsupportedType(
            f"File type '.{extension}' is not allowed", errors={"file": f"allowed: {allowed}"}
        )
    return extension


class _Metered:
    """A reader that hashes and counts what passes through and stops past the size limit."""

    def __init__(self, source: IO[bytes], limit: int) -> None:
        self.source = source
        self.limit = limit
        self.size = 0
        self.sha256 = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        chunk = self.source.read(size if size and size > 0 else 64 * 1024)
        self.size += len(chunk)
        if self.size > self.limit:
            raise _TooLarge
        self.sha256.update(chunk)
        return chunk


class _TooLarge(Exception):
    pass


def too_large(settings: UploadSettings) -> ServiceError:
    return TooLarge(f"File too large (limit {settings.max_mb} MB)")


def save_upload(*, owner: Principal, file: object, settings: UploadSettings) -> Upload:
    if not isinstance(file, FileStorage):
        raise Invalid({"file": NO_FILE}, "No file was sent")
    original = (file.filename or "").strip()
    if not original:
        raise Invalid({"file": "The file part has no file name; send one."}, "No file selected")
    extension = checked_extension(original, settings)
    limit = settings.max_bytes
    declared = _stream_size(file.stream)
    if declared is not None and declared > limit:
        raise too_large(settings)
    header = file.stream.read(HEADER_BYTES)
    file.stream.seek(0)
    whole = declared is not None and declared <= len(header)
    if reason := mismatch(extension, header, whole=whole):
        raise UnsupportedType(
            "The file's content does not match its extension", errors={"file": reason}
        )
    check_quota(owner.id, settings, adding=declared or 0)  # early, cheap; enforced atomically below
    key = f"{uuid.uuid4().hex}.{extension}"
    content_type = content_type_for(extension)
    reader = _Metered(file.stream, limit)
    try:
        storage().save(key, reader, content_type=content_type)
    except _TooLarge:
        raise too_large(settings) from None
    except StorageUnavailable:
        raise storage_unavailable() from None
    upload = Upload(
        user_id=owner.id,
        original_name=clean_name(original, extension),
        stored_name=key,
        size=reader.size,
        sha256=reader.sha256.hexdigest(),
        content_type=content_type,
    )
    try:
        insert_within_quota(upload, settings)
    except BaseException:
        db.session.rollback()
        forget_object(key)
        raise
    return upload


def _stream_size(stream: IO[bytes]) -> int | None:
    """The spooled upload's size without reading it (Werkzeug's temporary file is seekable)."""
    try:
        size = stream.seek(0, 2)
        stream.seek(0)
        return size
    except (AttributeError, OSError, ValueError):
        return None


def _usage(user_id: int) -> tuple[int, int]:
    row = db.session.execute(
        select(func.count(Upload.id), func.coalesce(func.sum(Upload.size), 0)).where(
            Upload.user_id == user_id, Upload.deleted_at.is_(None)
        )
    ).one()
    return int(row[0]), int(row[1])


def check_quota(
    user_id: int, settings: UploadSettings, *, adding: int, already_added: bool = False
) -> None:
    max_files, max_mb = settings.quota_files, settings.quota_mb
    files, used = _usage(user_id)
    if not already_added:
        files, used = files + 1, used + adding
    if max_files and files > max_files:
        raise _quota_error(f"at most {max_files} files per user; delete some to upload more")
    if max_mb and used > max_mb * MB:
        raise _quota_error(f"at most {max_mb} MB per user; delete some files to upload more")


def _quota_error(reason: str) -> ServiceError:
    return Conflict("Upload quota exceeded", errors={"file": reason})


def insert_within_quota(upload: Upload, settings: UploadSettings) -> None:
    """Insert and re-check the quota in one transaction that concurrent uploads of the same user
    cannot interleave with (an advisory lock on PostgreSQL; SQLite's write lock, which the
    INSERT takes, serialises all writers)."""
    db.session.rollback()  # start a fresh transaction
    if db.engine.dialect.name == "postgresql":
        db.session.execute(
            text("SELECT pg_advisory_xact_lock(:space, :user_id)"),
            {"space": _QUOTA_LOCK, "user_id": upload.user_id},
        )
    db.session.add(upload)
    db.session.flush()
    check_quota(upload.user_id, settings, adding=upload.size, already_added=True)
    db.session.commit()


def forget_object(key: str) -> None:
    """Best effort: what stays behind (store down, crash) is an orphan purge removes."""
    try:
        storage().delete(key)
    except StorageUnavailable:
        log.warning("Could not remove orphan object %s; purge will", key)


def _visible(query: Select[Upload]) -> Select[Upload]:
    return query.where(Upload.deleted_at.is_(None))


def _may_manage(upload: Upload, user: Principal) -> None:
    if not (user.is_admin or upload.user_id == user.id):
        raise Forbidden("Only the owner or an administrator may access this upload")


def get_manageable(upload_id: int, *, user: Principal, deleting: bool = False) -> Upload:
    """`deleting`: a DELETE also finds an upload whose deletion is unfinished (and finishes it)."""
    query = select(Upload).where(Upload.id == upload_id)
    upload = db.session.scalar(query if deleting else _visible(query))
    if upload is None:
        raise NotFound("No such upload")
    _may_manage(upload, user)
    return upload


def list_uploads(*, page: int, per_page: int, owner_id: int | None = None) -> Page[Upload]:
    query = _visible(select(Upload)).order_by(Upload.created_at.desc(), Upload.id.desc())
    if owner_id is not None:
        query = query.where(Upload.user_id == owner_id)
    return paginate(query, page=page, per_page=per_page)


def delete_upload(upload: Upload, *, actor: Principal) -> None:
    """Mark (and audit) the upload deleted, then remove its object and its row.

    The mark is one conditional UPDATE: of concurrent deletes one marks it (204) and the others
    find it gone (404). If the store fails, the row stays marked: a store that timed out may
    still delete the object, so the row must not come back; a retried DELETE (404) or
    `purge-uploads` finishes the job."""
    mark = update(Upload).where(Upload.id == upload.id, Upload.deleted_at.is_(None))
    marked = execute_dml(mark.values(deleted_at=utcnow())).rowcount == 1
    if marked:
        audit.record(
            actor=actor,
            action="upload.delete",
            target_type="upload",
            target_id=upload.id,
            owner_id=upload.user_id,
            filename=upload.original_name,
            size=upload.size,
        )
    db.session.commit()  # from here on no user can reach it
    _finish_deletion(upload)
    if not marked:
        raise NotFound("No such upload")


def _finish_deletion(upload: Upload) -> None:
    try:
        storage().delete(upload.stored_name)  # an object already gone is no error
    except StorageUnavailable:
        raise storage_unavailable() from None
    remove_marked_row(upload)


def remove_marked_row(upload: Upload) -> bool:
    """Delete the row of an upload whose object is gone, with its `upload.deleted` event; False
    if a concurrent delete (or purge) removed it first. One conditional DELETE, so exactly one
    of them emits the event (the ORM's would match nothing and still emit it)."""
    removed = execute_dml(
        delete(Upload)
        .where(Upload.id == upload.id, Upload.deleted_at.is_not(None))
        .execution_options(synchronize_session=False)
    )
    if removed.rowcount == 1:
        outbox.record_upload_deleted(db.session.connection(), upload)
    db.session.commit()
    return removed.rowcount == 1


# --- links and downloads ---------------------------------------------------------------


def represent(upload: Upload, settings: UploadSettings) -> dict[str, Any]:
    """The upload's fields plus a fresh signed `url` (give it only to the owner or an admin)."""
    ttl = settings.url_expires
    expires_at = int(time.time()) + ttl
    url = storage().presigned_url(
        upload.stored_name,
        expires_in=ttl,
        filename=upload.original_name,
        content_type=upload.content_type,
    )
    if url is None:
        expires, signature = signing.sign(settings.secret, upload.stored_name, expires_in=ttl)
        expires_at = expires
        url = f"{download_path(upload)}?expires={expires}&signature={signature}"
    return {
        **upload.to_dict(),
        "url": url,
        "url_expires_at": datetime.fromtimestamp(expires_at, UTC),
        "download_path": download_path(upload),
    }


def download_path(upload: Upload) -> str:
    return f"/api/uploads/{upload.stored_name}"


def _by_stored_name(stored_name: str) -> Upload:
    if "\x00" in stored_name:  # never a stored name, and PostgreSQL cannot even compare it
        raise NotFound("File not found")
    upload = db.session.scalar(_visible(select(Upload).where(Upload.stored_name == stored_name)))
    if upload is None:
        raise NotFound("File not found")
    return upload


def get_for_download(stored_name: str, *, user: Principal) -> Upload:
    upload = _by_stored_name(stored_name)
    _may_manage(upload, user)
    return upload


def get_for_signed_link(stored_name: str, *, expires: str, signature: str, secret: str) -> Upload:
    try:
        signing.verify(secret, stored_name, expires=expires, given=signature)
    except signing.LinkRefused as refused:
        raise Forbidden(str(refused)) from None
    return _by_stored_name(stored_name)


def open_content(upload: Upload) -> Iterator[bytes]:
    """The stored bytes in chunks: 404 if the object is gone, 503 if the store is down."""
    try:
        chunks = storage().open(upload.stored_name)
        first = next(chunks, b"")  # fail here, before the 200 is sent, if the store is down
    except ObjectMissing:
        raise NotFound("File not found") from None
    except StorageUnavailable:
        raise storage_unavailable() from None
    return _prepend(first, chunks)


def _prepend(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    # A store failing mid-stream propagates: the server cuts the connection, and the client
    # sees a body shorter than its Content-Length rather than a truncated "success".
    try:
        if first:
            yield first
        yield from rest
    finally:
        close = getattr(rest, "close", None)
        if close:
            close()
