"""A per-worker cache of item list pages, invalidated by the items table's version.

Every insert, update or delete of an item bumps `item_changes.version` (a database trigger,
see models/item_count.py), so a cached page is keyed by that version: one tiny query tells
whether any worker or instance changed anything since. Only successful pages are cached; a
request with bad parameters fails on every try.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, current_app, request
from sqlalchemy import select

from models import ItemChanges, db

F = TypeVar("F", bound=Callable[..., Any])

_VERSION = select(ItemChanges.version).where(ItemChanges.id == 1)


class PageCache:
    def __init__(self, size: int) -> None:
        self.size = size
        self._pages: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_compute(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        version = db.session.connection().execute(_VERSION).scalar()
        if version is None:  # no version row: nothing to key on, so never cache
            return compute()
        full_key = (version, key)
        with self._lock:
            if full_key in self._pages:
                self._pages.move_to_end(full_key)
                return self._pages[full_key]
        value = compute()
        with self._lock:
            self._pages[full_key] = value
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)
        return value


def init_app(app: Flask) -> None:
    app.extensions["page_cache"] = PageCache(app.config["LIST_CACHE_SIZE"])


def cached_page(scope: Callable[[], Hashable] = lambda: None) -> Callable[[F], F]:
    """Cache a list operation's (marshalled) result per query string and `scope()`."""

    def decorator(func: F) -> F:
        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            cache: PageCache = current_app.extensions["page_cache"]
            if cache.size <= 0:
                return func(*args, **kwargs)
            query = tuple(sorted(request.args.items(multi=True)))
            key = (request.endpoint, scope(), query)
            return cache.get_or_compute(key, lambda: func(*args, **kwargs))

        return wrapper  # type: ignore[return-value]

    return decorator
