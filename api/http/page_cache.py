"""A per-worker cache of rendered item list pages, bounded in bytes, keyed by validated arguments.

Every insert, update or delete of an item bumps `item_changes.version` (a database trigger,
see models/item_count.py), so a cached page is only served while that version is unchanged:
one tiny query tells whether any worker or instance changed anything since, and a new version
drops every older page at once.

The key is the operation, its scope (the caller, for `/me/items`) and the *validated* query
arguments, never the raw query string: spellings that mean the same page share one entry, and
junk parameters cannot mint entries (lists refuse unknown parameters anyway). The cache holds
at most `LIST_CACHE_BYTES` of rendered pages (body plus headers), evicting the least recently
used; a page larger than an eighth of that is served but never cached. `0` disables it.
"""

import threading
from collections.abc import Callable, Hashable, Mapping
from typing import Any

from flask import Flask, Response, current_app, request
from flask_restx import Model
from sqlalchemy import select

from api.core.bounded import BoundedLRU
from api.core.direct_reads import DirectRead
from api.http.pagination import RenderedPage, render_page, send_page
from api.services.pagination import Page
from models import ItemChanges, db

_VERSION = DirectRead(select(ItemChanges.version).where(ItemChanges.id == 1))


def current_version() -> int | None:
    """The items version, read on its own pooled connection rather than the request's session:
    a page served from the cache then opens no session at all. A page computed afterwards sees
    this version's data or newer, so one stored under it is never older than what the version
    promises; a newer version drops it (see `_store`)."""
    row = _VERSION.first(db.engine)
    return None if row is None else row.version


class PageCache:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max(0, max_bytes)
        self.max_entry = self.max_bytes // 8
        self._version: int | None = None
        self._pages: BoundedLRU[Hashable, RenderedPage] = BoundedLRU(self.max_bytes)
        self._lock = threading.Lock()

    @property
    def used(self) -> int:
        return self._pages.used

    def get_or_compute(self, key: Hashable, compute: Callable[[], RenderedPage]) -> RenderedPage:
        if self.max_bytes <= 0:
            return compute()
        version = current_version()
        if version is None:  # no version row: nothing to key on, so never cache
            return compute()
        with self._lock:
            if version != self._version:  # every page cached so far is stale
                self._pages.clear()
                self._version = version
            if (page := self._pages.get(key)) is not None:
                return page
        page = compute()
        if page.size <= self.max_entry:
            self._store(version, key, page)
        return page

    def _store(self, version: int, key: Hashable, page: RenderedPage) -> None:
        with self._lock:
            if version != self._version or key in self._pages:
                return  # newer data arrived meanwhile, or another thread stored it
            self._pages.put(key, page, page.size)


def init_app(app: Flask) -> None:
    app.extensions["page_cache"] = PageCache(app.config["LIST_CACHE_BYTES"])


def _frozen(value: Any) -> Hashable:
    return tuple(value) if isinstance(value, list) else value


def cached_list(
    model: Model,
    args: Mapping[str, Any],
    compute: Callable[[], Page[Any]],
    *,
    scope: Hashable = None,
    private: bool = False,
) -> Response:
    """The page `compute()` returns, rendered through `model`, cached under the validated
    `args`, with its `ETag` (and a 304 for a matching `If-None-Match`)."""
    cache: PageCache = current_app.extensions["page_cache"]
    key = (request.endpoint, scope, tuple(sorted((k, _frozen(v)) for k, v in args.items())))
    page = cache.get_or_compute(key, lambda: render_page(compute(), model))
    # Clients may keep a page but must revalidate it (cheap with `If-None-Match`).
    return send_page(page, cache_control="private, no-cache" if private else "no-cache")
