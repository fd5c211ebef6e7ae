"""The interface both storage backends implement."""

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

CHUNK_BYTES = 64 * 1024


class Reader(Protocol):
    """What `Storage.save` reads from: an upload's stream, or a wrapper that meters it."""

    def read(self, size: int = -1, /) -> bytes: ...


class StorageUnavailable(Exception):
    """The store cannot be reached or answered with a server error: retry later."""


class ObjectMissing(Exception):
    """No object under that key."""


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    modified: datetime  # aware, UTC


class Storage(ABC):
    name: str

    @abstractmethod
    def save(self, key: str, source: Reader, *, content_type: str) -> None:
        """Store everything `source.read()` yields under `key`, reading in chunks.

        The object appears under `key` only once complete; an exception from `source` (e.g. a
        size limit) leaves nothing behind.
        """

    @abstractmethod
    def open(self, key: str) -> Iterator[bytes]:
        """The object's bytes in chunks; raises `ObjectMissing` before yielding if absent."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object; absent is fine (idempotent)."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def list(self) -> Iterator[ObjectInfo]:
        """Every object (and left-over partial write) in the store, for reconciliation."""

    @abstractmethod
    def discard_partial_writes(self, *, before: datetime, dry_run: bool = False) -> int:
        """Remove unfinished writes started before `before` that `list` does not show."""

    def presigned_url(
        self, key: str, *, expires_in: int, filename: str, content_type: str
    ) -> str | None:
        """A URL the store itself serves without credentials, or None (the app signs one)."""
        return None

    @abstractmethod
    def check(self) -> None:
        """Raise `StorageUnavailable` if the store cannot be used right now."""
