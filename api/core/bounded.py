"""A least-recently-used map bounded in bytes, for the per-worker caches (rendered list pages,
verified token claims). Each entry's size is given by the caller; the oldest entries go first
once the sizes add up to more than `max_bytes`. Not thread-safe: its owner holds a lock."""

from collections import OrderedDict
from collections.abc import Hashable, Iterator
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedLRU(Generic[K, V]):
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.used = 0
        self._entries: OrderedDict[K, tuple[V, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[K]:
        return iter(self._entries)

    def __contains__(self, key: K) -> bool:
        return key in self._entries

    def get(self, key: K) -> V | None:
        found = self._entries.get(key)
        if found is None:
            return None
        self._entries.move_to_end(key)
        return found[0]

    def put(self, key: K, value: V, size: int) -> None:
        """Store `value` unless `key` is there; evict the oldest entries past the bound."""
        if key in self._entries:
            return
        self._entries[key] = (value, size)
        self.used += size
        while self.used > self.max_bytes:
            _, (_, evicted) = self._entries.popitem(last=False)
            self.used -= evicted

    def clear(self) -> None:
        self._entries.clear()
        self.used = 0
