"""Items: listing with filters, reading with visibility rules, writes with ownership checks."""

import base64
import binascii
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, func, insert, select, tuple_

from api.core.direct_reads import DirectRead
from api.services import audit, item_search
from api.services.errors import Conflict, Forbidden, Invalid, NotFound
from api.services.locking import locked
from api.services.pagination import Page, escape_like
from api.webhooks import outbox
from models import Item, Principal, db
from models.base import MAX_ID, utcnow
from models.item import ItemFields, fold, represent
from models.item_search import GRAM_MAX

# sort parameter -> (column, descending); `id` always breaks ties in the same direction.
SORTS = {
    "created_at": (Item.created_at, False),
    "-created_at": (Item.created_at, True),
    "name": (Item.name, False),
    "-name": (Item.name, True),
    "updated_at": (Item.updated_at, False),
    "-updated_at": (Item.updated_at, True),
}
TIMESTAMP_SORT_KEYS = {"created_at", "updated_at"}
NAME_MAX = 255  # the column's length: a longer cursor value cannot be a real item's name

# An item as lists and reads return it, read by attribute: a plain row of LIST_COLUMNS, either
# SQLAlchemy's `Row` or, for one item by id, a `DirectRead` row (api/core/direct_reads.py).
ItemRow = ItemFields


# Lists select just the public columns: plain rows, no ORM identity-map bookkeeping.
LIST_COLUMNS = (
    Item.id,
    Item.name,
    Item.description,
    Item.is_active,
    Item.created_at,
    Item.updated_at,
    Item.user_id,
)


def item_filters(
    *,
    q: str | None = None,
    owner_id: int | None = None,
    is_active: bool | None = None,
    updated_since: datetime | None = None,
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if is_active is not None:
        conditions.append(Item.is_active.is_(is_active))
    if owner_id is not None:
        conditions.append(Item.user_id == owner_id)
    if updated_since is not None:
        conditions.append(Item.updated_at >= updated_since)
    if q:
        conditions.append(Item.name_folded.like(f"%{escape_like(fold(q))}%", escape="\\"))
    return conditions


# What `ordered` builds: a select of LIST_COLUMNS.
ListSelect = Select[int, str, str, bool, datetime, datetime, int | None]


def ordered(sort: str) -> ListSelect:
    """The list statement in `sort` order, before filters and paging. Built per request:
    prebuilding it saved 3.1 % of an uncached list's CPU (bench/optimisations.py), under the
    5 % an optimisation must pay to stay."""
    column, descending = SORTS[sort]
    order = (column.desc(), Item.id.desc()) if descending else (column.asc(), Item.id.asc())
    return select(*LIST_COLUMNS).order_by(*order)


def count_items(
    *,
    q: str | None = None,
    owner_id: int | None = None,
    is_active: bool | None = None,
    updated_since: datetime | None = None,
) -> item_search.Counts:
    """Exact total, and the items of the owner/state scope it was taken from; without
    `updated_since` it never scans (api/services/item_search.py)."""
    connection = db.session.connection()
    if updated_since is not None:  # the change feed: an index range of the recent changes
        conditions = item_filters(
            q=q, owner_id=owner_id, is_active=is_active, updated_since=updated_since
        )
        total = connection.execute(select(func.count()).select_from(Item).where(*conditions))
        found = total.scalar_one()
        return item_search.Counts(found, found)  # a change-feed page never walks
    if q:
        return item_search.match_counts(connection, fold(q), owner_id=owner_id, is_active=is_active)
    found = item_search.kept_count(connection, "", owner_id=owner_id, is_active=is_active)
    return item_search.Counts(found, found)


def list_items(
    *, page: int, per_page: int, after: str | None = None, sort: str = "-created_at", **filters: Any
) -> Page[ItemRow]:
    """A page by number (`page`), or by keyset cursor (`after`, as fast at any depth).

    `after=` (empty) starts keyset pagination; then `next_cursor` points past the last item.
    """
    keyset = after is not None
    if keyset and page != 1:
        raise Invalid({"after": "cannot be combined with page"})
    start = _after(sort, after) if after else None
    offset = 0 if keyset else (page - 1) * per_page
    found = None if keyset else _few_matches(sort, offset, per_page + 1, **filters)
    if found is not None:
        rows, total = found
    else:
        counts = count_items(**filters)
        total = counts.matches
        rows = _page_rows(sort, counts, offset, per_page + 1, start, **filters) if total else []
    cursor = encode_cursor(sort, rows[per_page - 1]) if len(rows) > per_page else None
    return Page(rows[:per_page], total, page, per_page, next_cursor=cursor, keyset=keyset)


def _few_matches(
    sort: str,
    offset: int,
    wanted: int,
    *,
    q: str | None = None,
    owner_id: int | None = None,
    is_active: bool | None = None,
    updated_since: datetime | None = None,
) -> tuple[Sequence[ItemRow], int] | None:
    """For a longer `q` (no kept count for it needed): the page and its total in one statement
    when it matches few items (`item_search.few_matches_page`); None otherwise."""
    if not q or updated_since is not None:
        return None
    needle = fold(q)
    if len(needle) <= GRAM_MAX:
        return None  # counted by the triggers: one read, and the page the cheaper way
    return item_search.few_matches_page(
        ordered(sort),
        db.session.connection(),
        needle,
        owner_id=owner_id,
        is_active=is_active,
        offset=offset,
        limit=wanted,
    )


def _page_rows(
    sort: str,
    counts: item_search.Counts,
    offset: int,
    wanted: int,
    start: ColumnElement[bool] | None,
    *,
    q: str | None = None,
    **filters: Any,
) -> list[ItemRow]:
    """Up to `wanted` rows of the sorted, filtered list after `offset` rows, or after the
    keyset cursor's `start`; `q` tested whichever way reads them cheapest."""
    connection = db.session.connection()  # Core: plain rows, no ORM loading machinery
    conditions = item_filters(**filters)

    def fetch(query: ListSelect) -> list[ItemRow]:
        page = query.where(start) if start is not None else query.offset(offset)
        return list(connection.execute(page.limit(wanted)).all())

    if not q or filters.get("updated_since") is not None:  # the change feed: recent changes
        return fetch(ordered(sort).where(*conditions, *item_filters(q=q)))
    needle = fold(q)
    scope = {"owner_id": filters.get("owner_id"), "is_active": filters.get("is_active")}
    budget = item_search.walk_budget(counts, needed=offset + wanted)
    if budget is not None:
        walk = ordered(sort).where(*conditions, item_search.contains(connection, needle))
        try:
            with item_search.bounded_walk(connection, budget):
                return fetch(walk)
        except item_search.WalkTooLong:
            pass  # common overall, but not near where this page starts: look it up instead
    return fetch(item_search.through_index(ordered(sort), conditions, connection, needle, **scope))


def encode_cursor(sort: str, item: ItemRow) -> str:
    column, _ = SORTS[sort]
    value = getattr(item, column.key)
    key = value.isoformat() if isinstance(value, datetime) else value
    raw = json.dumps([sort, key, item.id], ensure_ascii=False).encode()  # compact for non-ASCII
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _after(sort: str, cursor: str) -> ColumnElement[bool]:
    column, descending = SORTS[sort]
    key, item_id = decode_cursor(sort, cursor)
    row, bound = tuple_(column, Item.id), tuple_(key, item_id)
    return row < bound if descending else row > bound


def decode_cursor(sort: str, cursor: str) -> tuple[datetime | str, int]:
    """The (sort key, id) a cursor points past; anything but a cursor this API made is a 400.

    A cursor is client input: its contents reach SQL as bound values, so each is checked for
    what the column can hold (no lone surrogates or NUL characters, no over-long names, real
    timestamps, ids in range) rather than letting the database driver fail.
    """
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        if not (isinstance(decoded, list) and len(decoded) == 3):
            raise ValueError("not a cursor")
        cursor_sort, value, item_id = decoded
        if cursor_sort != sort:
            raise ValueError("cursor is for another sort order")
        if type(item_id) is not int or not 0 <= item_id <= MAX_ID:  # no bool, no overflow
            raise ValueError("bad id")
        return _cursor_key(SORTS[sort][0].key, value), item_id
    except (ValueError, TypeError, OverflowError, RecursionError, binascii.Error):
        raise Invalid({"after": "invalid cursor for this sort order"}) from None


def _cursor_key(column: str, value: object) -> datetime | str:
    if not isinstance(value, str) or "\x00" in value:
        raise ValueError("bad key")
    value.encode("utf-8")  # a lone surrogate raises UnicodeEncodeError, a ValueError
    if column in TIMESTAMP_SORT_KEYS:
        if len(value) > 64:
            raise ValueError("bad timestamp")
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError("cursor timestamps carry their offset")
        return moment.astimezone(UTC)
    if len(value) > NAME_MAX:
        raise ValueError("bad name")
    return value


def can_manage(user: Principal | None, item: Item | ItemRow) -> bool:
    return user is not None and (user.is_admin or item.user_id == user.id)


_ITEM_BY_ID = DirectRead(select(*LIST_COLUMNS).where(Item.id == bindparam("item_id")))


def get_visible(item_id: int, *, viewer: Principal | None) -> ItemRow:
    """An active item, or an inactive one its owner or an admin asks for; else 404.

    Read-only, so a plain row (by a prebuilt statement on a connection of its own, see
    api/core/direct_reads.py) rather than a tracked ORM object.
    """
    item: ItemRow | None = _ITEM_BY_ID.first(db.engine, item_id=item_id)
    if item is None or not (item.is_active or can_manage(viewer, item)):
        raise NotFound("Item not found")
    return item


DELETED_READ_ONLY = (
    "This item is deleted and read-only; an administrator can restore it "
    "(POST /api/admin/items/{id}/toggle)"
)


def get_manageable(item_id: int, *, user: Principal) -> Item:
    """The item, if `user` may change it.

    Someone else's deleted item is a 404 like a missing id (its existence is not revealed);
    someone else's active item is a 403. A deleted item is read-only for its owner (409) until
    an administrator restores it; administrators may still edit it (moderation).
    """
    item = locked(Item, item_id)  # until the change commits: its checks stay true
    if item is None or not (item.is_active or can_manage(user, item)):
        raise NotFound("Item not found")
    if not can_manage(user, item):
        raise Forbidden("Only the owner or an administrator may change this item")
    if not item.is_active and not user.is_admin:
        raise Conflict(DELETED_READ_ONLY.format(id=item.id))
    return item


# Prebuilt on the table (no ORM insert plugin), values bound per call: building
# `insert(Item).values(...)` per request cost ~0.45 ms, more than the INSERT itself.
_INSERT_ITEM = insert(Item.__table__).returning(
    *(Item.__table__.c[column.key] for column in LIST_COLUMNS)
)


def create_item(*, owner: Principal, name: str, description: str | None = None) -> ItemRow:
    """One `INSERT ... RETURNING` and its `item.created` event in the same transaction.

    Core rather than the ORM unit of work, which the outbox's `after_flush` hook would see:
    a create is the API's most frequent write, and the unit of work (flush bookkeeping, then
    reloading the new row) doubled its database time (bench/RESULTS.md, `POST /api/items`).
    """
    now = utcnow()
    values = {
        "name": name,
        "name_folded": fold(name),
        "description": description or "",
        "is_active": True,
        "created_at": now,
        "updated_at": now,
        "user_id": owner.id,
    }
    connection = db.session.connection()
    item: ItemRow = connection.execute(_INSERT_ITEM, values).one()
    outbox.write(connection, [("item.created", owner.id, represent(item))])
    db.session.commit()
    return item


def update_item(
    item: Item, *, actor: Principal, name: str | None = None, description: str | None = None
) -> Item:
    # Only these two fields are writable: no mass assignment of owner, state or timestamps.
    changes = {
        field: value
        for field, value in (("name", name), ("description", description))
        if value is not None and value != getattr(item, field)
    }
    for field, value in changes.items():
        setattr(item, field, value)
    if changes and item.user_id != actor.id:  # an administrator moderating: audited
        audit.record(
            actor=actor, action="item.update", target_type="item", target_id=item.id, **changes
        )
    db.session.commit()
    return item


def soft_delete(item: Item, *, actor: Principal) -> None:
    if not item.is_active:  # an administrator's delete of a deleted item: nothing happens
        return
    item.is_active = False
    if item.user_id != actor.id:  # an administrator moderating: audited
        audit.record(actor=actor, action="item.delete", target_type="item", target_id=item.id)
    db.session.commit()
