"""Uploads as files in one folder (`UPLOAD_FOLDER`): the embedded default."""

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from api.storage.base import (
    CHUNK_BYTES,
    ObjectInfo,
    ObjectMissing,
    Reader,
    Storage,
    StorageUnavailable,
)

PARTIAL_PREFIX = ".partial-"


class LocalStorage(Storage):
    name = "local"

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def _path(self, key: str) -> Path:
        # Keys are generated (`<hex>.<ext>`), never user input; refuse anything path-like anyway.
        hidden = key.startswith(".") and not key.startswith(PARTIAL_PREFIX)
        if not key or "/" in key or "\\" in key or hidden or "\x00" in key or key == "..":
            raise ObjectMissing(key)
        return self.folder / key

    def save(self, key: str, source: Reader, *, content_type: str) -> None:
        target = self._path(key)
        partial = self.folder / f"{PARTIAL_PREFIX}{uuid.uuid4().hex}"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with open(partial, "xb") as handle:
                while chunk := source.read(CHUNK_BYTES):
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, target)  # atomic: the key never names a half-written file
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise StorageUnavailable(f"cannot write {self.folder}: {exc.strerror}") from exc
        except BaseException:
            partial.unlink(missing_ok=True)
            raise

    def open(self, key: str) -> Iterator[bytes]:
        try:
            handle = open(self._path(key), "rb")  # noqa: SIM115 (closed by the generator)
        except FileNotFoundError:
            raise ObjectMissing(key) from None
        except OSError as exc:
            raise StorageUnavailable(str(exc.strerror)) from exc
        return _chunks(handle)

    def path(self, key: str) -> Path:
        """The file itself, for `send_file` (which can use sendfile and ranges)."""
        path = self._path(key)
        if not path.is_file():
            raise ObjectMissing(key)
        return path

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink(missing_ok=True)
        except ObjectMissing:
            return
        except OSError as exc:
            raise StorageUnavailable(str(exc.strerror)) from exc

    def exists(self, key: str) -> bool:
        try:
            return self._path(key).is_file()
        except ObjectMissing:
            return False

    def list(self) -> Iterator[ObjectInfo]:
        if not self.folder.is_dir():
            return
        with os.scandir(self.folder) as entries:
            for entry in entries:
                if entry.is_file(follow_symlinks=False):
                    modified = datetime.fromtimestamp(entry.stat().st_mtime, UTC)
                    yield ObjectInfo(entry.name, modified)

    def discard_partial_writes(self, *, before: datetime, dry_run: bool = False) -> int:
        return 0  # partial files are listed (`.partial-*`): purge removes them as orphans

    def check(self) -> None:
        if not os.access(self.folder, os.W_OK):
            raise StorageUnavailable(f"{self.folder} is not writable")


def _chunks(handle: BinaryIO) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(CHUNK_BYTES):
            yield chunk
