"""Where uploaded bytes live: a local folder (the default) or an S3-compatible object store.

`storage()` returns the backend the settings choose (`STORAGE_BACKEND`), built once per app.
Both backends stream: `save` reads its source in chunks and `open` yields chunks, so an upload
is never held whole in memory. A backend that cannot be reached raises `StorageUnavailable`,
which the API answers with 503 and `Retry-After`.
"""

from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app

from api.storage.base import ObjectInfo, ObjectMissing, Storage, StorageUnavailable

__all__ = ["ObjectInfo", "ObjectMissing", "Storage", "StorageUnavailable", "build", "storage"]

BACKENDS = ("local", "s3")


def build(config: Mapping[str, Any]) -> Storage:
    """The backend `config` selects (also used by the `purge-uploads` command)."""
    if config["STORAGE_BACKEND"] == "s3":
        from api.storage.s3 import S3Storage

        return S3Storage.from_config(config)
    from api.storage.local import LocalStorage

    return LocalStorage(config["UPLOAD_FOLDER"])


def storage(app: Flask | None = None) -> Storage:
    # The object behind Flask's proxy (a LocalProxy method, absent from Flask's types).
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    backend = app.extensions.get("storage")
    if backend is None:
        backend = app.extensions["storage"] = build(app.config)
    return backend
