"""File uploads: allow-listed types, unique stored names, size limit, owner-only downloads."""

import mimetypes
import os
import uuid
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from api.errors import ApiError
from models import Principal, Upload, db

CHUNK_BYTES = 64 * 1024


def allowed_extensions() -> set[str]:
    raw = current_app.config["ALLOWED_EXTENSIONS"]
    return {ext.strip().lower().lstrip(".") for ext in raw.split(",") if ext.strip()}


def upload_folder() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])


def _extension(filename: str) -> str:
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


def _clean_name(original: str, extension: str) -> str:
    """`secure_filename` drops non-ASCII; keep at least a usable `upload.<ext>`."""
    cleaned = secure_filename(original)[:200]
    return cleaned if _extension(cleaned) == extension else f"upload.{extension}"


def save_upload(*, owner: Principal, file: FileStorage) -> Upload:
    original = (file.filename or "").strip()
    if not original:
        raise ApiError(400, "No file selected", errors={"file": "a file with a name is required"})
    extension = _extension(original)
    allowed = allowed_extensions()
    if extension not in allowed:
        raise ApiError(
            415,
            f"File type '.{extension}' is not allowed",
            errors={"file": f"allowed types: {', '.join(sorted(allowed))}"},
        )
    stored_name = f"{uuid.uuid4().hex}.{extension}"
    size = _write_limited(file, upload_folder() / stored_name)
    upload = Upload(
        user_id=owner.id,
        original_name=_clean_name(original, extension),
        stored_name=stored_name,
        size=size,
        content_type=mimetypes.guess_type(stored_name)[0] or "application/octet-stream",
    )
    db.session.add(upload)
    try:
        db.session.commit()
    except Exception:
        (upload_folder() / stored_name).unlink(missing_ok=True)
        raise
    return upload


def _write_limited(file: FileStorage, target: Path) -> int:
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    target.parent.mkdir(parents=True, exist_ok=True)
    size = 0
    with open(target, "xb") as handle:
        while chunk := file.stream.read(CHUNK_BYTES):
            size += len(chunk)
            if size > limit:
                break
            handle.write(chunk)
        handle.flush()
        os.fsync(handle.fileno())
    if size > limit:
        target.unlink(missing_ok=True)
        raise ApiError(413, f"File too large (limit {current_app.config['MAX_UPLOAD_MB']} MB)")
    return size


def get_for_download(stored_name: str, *, user: Principal) -> Upload:
    if "\x00" in stored_name:  # never a stored name, and PostgreSQL cannot even compare it
        raise ApiError(404, "File not found")
    upload = db.session.scalar(select(Upload).where(Upload.stored_name == stored_name))
    if upload is None or not (upload_folder() / upload.stored_name).is_file():
        raise ApiError(404, "File not found")
    if not (user.is_admin or upload.user_id == user.id):
        raise ApiError(403, "Only the owner or an administrator may download this file")
    return upload
