"""Exact totals and index-backed substring search for the item lists, at any table size.

Totals: any owner/state filter, and any `q` of up to `GRAM_MAX` characters, is one or two reads
of the trigger-kept `item_gram_counts` (models/item_search.py). A longer `q` is counted through
the substring index (SQLite FTS5 trigram tables, PostgreSQL's GIN over the names' grams): work
in proportion to the names that contain all of its trigrams, never to the table; and once it
matches `COUNT_FROM` items or more, its counts are kept by the triggers too (`keep_counting`).

Pages: with the exact number of matches known first, a page is fetched the cheaper way:
walking the list's sort index and keeping the rows whose name contains `q` (about
`needed * rows / matches` rows read, few when `q` is common), or fetching every match through
the substring index and sorting them (about `matches` rows, few when `q` is rare). On SQLite a
walk that reads several times what it should (common matches that all lie far from where the
page begins) is stopped and the page looked up through the index instead (`bounded_walk`).
A longer `q` is first tried the other way round: its page and its total from one bounded
lookup, exact when it matches fewer than `COUNT_FROM` items (`few_matches_page`): a rare term
then costs one index read, not two (a count, then a page).

`q` matches an item when `q.casefold()` is a substring of `name.casefold()` (character by
character; `items.name_folded` holds the folded name).
"""

import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import (
    ColumnElement,
    Connection,
    bindparam,
    case,
    func,
    literal,
    literal_column,
    over,
    select,
    text,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import OperationalError
from sqlalchemy.sql import Select, operators
from sqlalchemy.sql.elements import UnaryExpression
from sqlalchemy.types import Text

from models import Item, db
from models.item_search import (
    ALL_OWNERS,
    GRAM_MAX,
    TERM_MAX,
    ItemCountedTerm,
    ItemGramCount,
    owner_token,
    search_table,
)

# A sorted list statement, whatever its columns: `through_index` returns the same type.
S = TypeVar("S", bound=Select[*tuple[Any, ...]])

# A short `q` is found through the index terms it begins; past this many terms a page walks.
MAX_TERMS = 256
# A page walking its sort index for common matches reads at most WALK_SLACK times the rows it
# should need (at least WALK_FLOOR, and at least the number of matches), then looks them up
# through the substring index. SQLite counts virtual machine steps instead of rows: 6-15 per
# row walked, by the filters (measured).
WALK_SLACK, WALK_FLOOR = 4, 500
STEPS_PER_ROW, STEPS_PER_TICK = 10, 1000
# A longer `q` matching at least this many items has its counts kept from then on (up to
# `MAX_COUNTED_TERMS` terms): counting that many matches through the index is what costs.
COUNT_FROM = 1000
MAX_COUNTED_TERMS = 1000


def _kept_sum(gram: Any) -> Select[int]:
    return select(func.coalesce(func.sum(ItemGramCount.count), 0)).where(
        ItemGramCount.gram == gram,
        ItemGramCount.owner_id == bindparam("owner"),
        ItemGramCount.is_active.in_(bindparam("states", expanding=True)),
    )


_KEPT = _kept_sum(bindparam("gram"))
# Every item of the owner/state scope ("" is in every name): what a walk's budget weighs against.
_IN_SCOPE = _kept_sum(literal("")).scalar_subquery()


# Whether a longer term's counts are kept.
_COUNTED = select(ItemCountedTerm.term).where(ItemCountedTerm.term == bindparam("gram")).exists()


def states(is_active: bool | None) -> tuple[bool, ...]:
    return (True, False) if is_active is None else (is_active,)


def kept_count(
    connection: Connection, gram: str, *, owner_id: int | None, is_active: bool | None
) -> int:
    """Items whose folded name contains `gram`, exactly, from the trigger-kept counts: for a
    gram of at most `GRAM_MAX` characters ("" is every item) or a counted term."""
    owner = ALL_OWNERS if owner_id is None else owner_id
    parameters = {"gram": gram, "owner": owner, "states": list(states(is_active))}
    return connection.execute(_KEPT, parameters).scalar_one()


class Counts(NamedTuple):
    """A list's exact total (`matches`) and the items of its owner/state scope (`in_scope`)."""

    matches: int
    in_scope: int


def match_counts(
    connection: Connection, needle: str, *, owner_id: int | None, is_active: bool | None
) -> Counts:
    """Items whose folded name contains the folded `needle`, exactly, and the items in scope,
    in one statement (one round trip: a walk's budget needs both)."""
    owner = ALL_OWNERS if owner_id is None else owner_id
    parameters = {"gram": needle, "owner": owner, "states": list(states(is_active))}
    if len(needle) <= GRAM_MAX:
        statement = select(_KEPT.scalar_subquery(), _IN_SCOPE)
        return Counts(*connection.execute(statement, parameters).one())
    # One snapshot: whether the term is counted, and its kept count if so, else its count
    # through the index (both engines evaluate only the branch taken).
    indexed = _indexed_count(connection, needle, owner_id=owner_id, is_active=is_active)
    either = case((_COUNTED, _KEPT.scalar_subquery()), else_=indexed)
    statement = select(_COUNTED, either, _IN_SCOPE)
    counted, found, in_scope = tuple(connection.execute(statement, parameters).one())
    if not counted and found >= COUNT_FROM and len(needle) <= TERM_MAX:
        keep_counting(needle)
    return Counts(int(found), int(in_scope))


def _indexed_count(
    connection: Connection, needle: str, *, owner_id: int | None, is_active: bool | None
) -> ColumnElement[int]:
    """The exact count through the substring index (`needle` longer than `GRAM_MAX`): work in
    proportion to the names holding all of its trigrams."""
    if connection.dialect.name == "sqlite":
        expression = _fts_query(_phrase(needle), owner_id)
        counts = [
            select(func.count())
            .select_from(text(search_table(state)))
            .where(text(f"{search_table(state)} MATCH :query").bindparams(query=expression))
            .scalar_subquery()
            for state in states(is_active)
        ]
        return counts[0] if len(counts) == 1 else counts[0] + counts[1]
    conditions = [_pg_candidates(needle), contains(connection, needle)]
    conditions += scope_filters(owner_id=owner_id, is_active=is_active)
    return select(func.count()).select_from(Item).where(*conditions).scalar_subquery()


def scope_filters(*, owner_id: int | None, is_active: bool | None) -> list[Any]:
    conditions: list[Any] = []
    if is_active is not None:
        conditions.append(Item.is_active.is_(is_active))
    if owner_id is not None:
        conditions.append(Item.user_id == owner_id)
    return conditions


def contains(connection: Connection, needle: str) -> ColumnElement[bool]:
    """The exact test, which no index serves: a list using it walks its sort index."""
    if connection.dialect.name == "sqlite":  # LIKE would also fold ASCII case: instr does not
        return func.instr(Item.name_folded, needle) > 0
    return func.strpos(Item.name_folded, needle) > 0


def walk_budget(counts: Counts, *, needed: int) -> int | None:
    """The rows a page may walk along its sort index to find its `needed` matches, when there
    are enough matches for a walk to be the cheaper way; None: look them up instead.

    A walk should read about needed*in_scope/matches rows. It may read WALK_SLACK times that,
    and at least as many rows as there are matches (what looking them up reads), since
    matches common overall can still all lie far from where the page begins (e.g. none among
    the newest hundred thousand items): then a page costs at most about twice the lookup,
    where an unbounded walk would read its way through every row up to them."""
    matches, in_scope = counts
    if matches < needed or matches * matches < needed * in_scope:
        return None
    return max(WALK_FLOOR, matches, WALK_SLACK * -(-needed * in_scope // matches))


class WalkTooLong(Exception):
    """A page's walk read its budget of rows without finding the page."""


@contextmanager
def bounded_walk(connection: Connection, rows: int) -> Iterator[None]:
    """Stop a SQLite statement run inside once it has walked about `rows` rows, raising
    `WalkTooLong`: SQLite's progress handler counts its virtual machine's steps, at no cost to
    a walk that ends in time. PostgreSQL has no such counter: its walks are not bounded."""
    raw = connection.connection.dbapi_connection
    if not isinstance(raw, sqlite3.Connection):
        yield
        return
    ticks, allowed = 0, rows * STEPS_PER_ROW // STEPS_PER_TICK

    def tick() -> int:
        nonlocal ticks
        ticks += 1
        return int(ticks > allowed)  # non-zero interrupts the statement

    raw.set_progress_handler(tick, STEPS_PER_TICK)
    try:
        yield
    except OperationalError:
        if ticks > allowed:
            raise WalkTooLong from None
        raise
    finally:
        raw.set_progress_handler(None, 0)


def through_index(
    query: S,
    conditions: list[Any],
    connection: Connection,
    needle: str,
    *,
    owner_id: int | None,
    is_active: bool | None,
) -> S:
    """The sorted list `query` with the owner/state `conditions`, narrowed to the names
    containing `needle` as the substring index finds them (rare or far-away matches)."""
    if connection.dialect.name != "sqlite":
        query = query.where(*conditions, _pg_candidates(needle), contains(connection, needle))
        return _sorted_after_lookup(query, _unindexed(connection))
    names = _phrase(needle) if len(needle) >= 3 else _terms(connection, needle, is_active)
    if names is None:
        return query.where(*conditions, contains(connection, needle))
    expression = _fts_query(names, owner_id)
    found = _fts_rowids(expression, is_active)
    # The search tables hold one state each and match the owner: `conditions` are implied.
    query = query.where(Item.id.in_(found[0] if len(found) == 1 else union_all(*found)))
    return _sorted_after_lookup(query, _unindexed(connection))


def few_matches_page(
    query: S,
    connection: Connection,
    needle: str,
    *,
    owner_id: int | None,
    is_active: bool | None,
    offset: int,
    limit: int,
) -> tuple[Sequence[Any], int] | None:
    """A page of the sorted list `query` narrowed to the names containing `needle` (longer than
    `GRAM_MAX`), and its exact total, in one statement that reads fewer than `COUNT_FROM`
    matches through the substring index; None when there are more (count them first:
    `match_count`), or when the page lies past the last match (its rows cannot carry the total).

    A rare term otherwise costs two index reads: its count, then its page. Whether a term's
    counts are kept does not matter for the result (it is exact either way), only for the cost:
    a term found common here is remembered (`_COMMON`) and skips the attempt from then on."""
    scope = (needle, owner_id, is_active)
    if scope in _COMMON:
        return None
    page = with_total_of_first_matches(
        query, connection, needle, owner_id=owner_id, is_active=is_active
    )
    rows = connection.execute(page.offset(offset).limit(limit)).all()
    found = rows[0].total if rows else 0
    if found >= COUNT_FROM:
        _COMMON.add(scope)
        return None
    return (rows, found) if rows or not offset else None


def with_total_of_first_matches(
    query: S, connection: Connection, needle: str, *, owner_id: int | None, is_active: bool | None
) -> Select[Any]:
    """`query` narrowed to (at most COUNT_FROM of) the items whose names contain `needle`,
    found through the substring index and sorted after, each row with their number (`total`)."""
    matches = _first_matches(connection, needle, owner_id=owner_id, is_active=is_active)
    page = _sorted_after_lookup(query.where(Item.id.in_(matches)), _unindexed(connection))
    return page.add_columns(over(func.count()).label("total"))


class _BoundedSet:
    """Remembered scopes, at most `size` of them (the oldest forgotten first), thread-safe."""

    def __init__(self, size: int) -> None:
        self._entries: dict[Any, None] = {}
        self._size = size
        self._lock = threading.Lock()

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def add(self, key: Any) -> None:
        with self._lock:
            self._entries[key] = None
            while len(self._entries) > self._size:
                del self._entries[next(iter(self._entries))]


# (needle, owner, state) found matching COUNT_FROM or more items: a hint, never a result. At most
# 1,024 entries of a `q` of at most 255 characters (the parser's bound): well under 2 MB.
_COMMON = _BoundedSet(1024)


def _first_matches(
    connection: Connection, needle: str, *, owner_id: int | None, is_active: bool | None
) -> Select[Any]:
    """The ids of at most COUNT_FROM items whose names contain `needle` (longer than
    GRAM_MAX), in the owner/state scope, as the substring index finds them."""
    if connection.dialect.name != "sqlite":
        conditions = scope_filters(owner_id=owner_id, is_active=is_active)
        found = select(Item.id).where(*conditions, _pg_candidates(needle))
        return found.where(contains(connection, needle)).limit(COUNT_FROM)
    expression = _fts_query(_phrase(needle), owner_id)
    tables = _fts_rowids(expression, is_active)
    if len(tables) == 1:
        return tables[0].limit(COUNT_FROM)
    both = union_all(*tables).subquery()
    return select(both.c[0]).limit(COUNT_FROM)


def _unindexed(connection: Connection) -> Callable[[Any], Any]:
    """How to write a sort term so that this database's planner uses no index for it."""
    return _unary_plus if connection.dialect.name == "sqlite" else _coalesced


def _sorted_after_lookup(query: S, unindexed: Callable[[Any], Any]) -> S:
    """`query` ordered by terms no index serves, so the planner must look the few matches up
    through the substring index and sort them, not walk a sort index and probe every row
    against them. PostgreSQL did that when its statistics expected hundreds of matches where
    there were 20 (`q=Ω` at 1M items: 6 s, past the statement timeout under load, instead of
    4 ms; bench/RESULTS.md 2026-12-01)."""
    terms = [unindexed(clause.element) for clause in query._order_by_clauses]
    descending = [clause.modifier is operators.desc_op for clause in query._order_by_clauses]
    ordered = [t.desc() if d else t.asc() for t, d in zip(terms, descending, strict=True)]
    return query.order_by(None).order_by(*ordered)


def _unary_plus(column: Any) -> Any:
    """SQLite's documented way to keep a term from using an index."""
    return UnaryExpression(column, operator=operators.custom_op("+"))


def _coalesced(column: Any) -> Any:
    """The same for PostgreSQL: an expression of the column (never NULL) no index is built on."""
    return func.coalesce(column, column)


# --- SQLite: FTS5 trigram tables ----------------------------------------------------------------


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _phrase(needle: str) -> str:
    """An FTS5 phrase of three or more characters matches exactly the names containing it."""
    return _quote(needle)


def _terms(connection: Connection, needle: str, is_active: bool | None) -> str | None:
    """A 1- or 2-character needle as the index terms (trigrams) it begins; None if too many.

    Every indexed name ends in `PAD`, so each occurrence of the needle starts some trigram.
    """
    upper = _next_character(needle[-1])
    if upper is not None:
        upper = needle[:-1] + upper
    terms: set[str] = set()
    for state in states(is_active):
        vocabulary = f"{search_table(state)}_terms"
        sql = f"SELECT term FROM {vocabulary} WHERE col = 'name' AND term >= :low"
        if upper is not None:
            sql += " AND term < :high"
        rows = connection.execute(
            text(sql + f" LIMIT {MAX_TERMS + 1}"), {"low": needle, "high": upper}
        )
        terms.update(row[0] for row in rows)
        if len(terms) > MAX_TERMS:
            return None
    if not terms:
        return None
    return "(" + " OR ".join(_quote(term) for term in sorted(terms)) + ")"


def _fts_rowids(expression: str, is_active: bool | None) -> list[Select[Any]]:
    """The rowids (item ids) matching the FTS5 `expression`, one statement per state's table."""
    return [
        select(literal_column("rowid"))
        .select_from(text(search_table(state)))
        .where(text(f"{search_table(state)} MATCH :query").bindparams(query=expression))
        for state in states(is_active)
    ]


def _next_character(character: str) -> str | None:
    """The first character after this one that text can hold (surrogates cannot be stored)."""
    following = ord(character) + 1
    if 0xD800 <= following <= 0xDFFF:
        following = 0xE000
    return chr(following) if following <= 0x10FFFF else None


def _fts_query(names: str, owner_id: int | None) -> str:
    expression = f"{{name}} : {names}"
    if owner_id is not None:
        expression += f" AND {{owner}} : {_quote(owner_token(owner_id))}"
    return expression


# --- PostgreSQL: GIN over the names' grams ------------------------------------------------------


def _pg_candidates(needle: str) -> ColumnElement[bool]:
    """Names holding every trigram of the needle (or the short needle itself): the index's
    candidates, a superset of the matches."""
    size = min(len(needle), GRAM_MAX)
    grams = sorted({needle[i : i + size] for i in range(len(needle) - size + 1)})
    indexed = func.item_name_grams(Item.name_folded, type_=ARRAY(Text))
    return indexed.contains(literal(grams, ARRAY(Text)))


# --- Kept counts for frequent longer terms --------------------------------------------------------

_TERMS_TAKEN = select(
    func.count(),
    select(ItemCountedTerm.term).where(ItemCountedTerm.term == bindparam("term")).exists(),
).select_from(ItemCountedTerm)
_PER_OWNER = {
    # Each match once, with its owner and state: the matches found through the index first.
    "sqlite": text(
        "INSERT INTO item_gram_counts (gram, owner_id, is_active, count) "
        "SELECT :term, coalesce(i.user_id, 0), i.is_active, count(*) FROM ("
        "SELECT rowid AS id FROM items_search_active WHERE items_search_active MATCH :query "
        "UNION ALL "
        "SELECT rowid FROM items_search_inactive WHERE items_search_inactive MATCH :query"
        ") AS m CROSS JOIN items AS i ON i.id = m.id GROUP BY 2, 3"
    ),
    "postgresql": text(
        "INSERT INTO item_gram_counts (gram, owner_id, is_active, count) "
        "SELECT CAST(:term AS text), coalesce(user_id, 0), is_active, count(*) FROM items "
        "WHERE item_name_grams(name_folded) @> CAST(:grams AS text[]) "
        "AND strpos(name_folded, CAST(:term AS text)) > 0 GROUP BY 2, 3"
    ),
}
_ALL_OWNERS = text(
    "INSERT INTO item_gram_counts (gram, owner_id, is_active, count) "
    f"SELECT gram, {ALL_OWNERS}, is_active, sum(count) FROM item_gram_counts "
    f"WHERE gram = :term AND owner_id <> {ALL_OWNERS} GROUP BY gram, is_active"
)


def keep_counting(term: str) -> None:
    """From now on, keep `term`'s counts in `item_gram_counts` (the triggers update them).

    Counted and registered in a transaction of its own that no item write can overlap: on
    SQLite the write lock (`BEGIN IMMEDIATE`), on PostgreSQL a lock on `items` that waits for
    the writers in flight and holds new ones back until the term is registered, so each write
    is either in the count or counted by the triggers, never both or neither. Skipped when the
    lock is not had within a moment, or when the registry is full.
    """
    with db.engine.connect() as connection:
        dialect = connection.dialect.name
        try:
            if dialect == "sqlite":
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                connection.exec_driver_sql("SET LOCAL lock_timeout = '2s'")
                connection.exec_driver_sql("LOCK TABLE items IN SHARE ROW EXCLUSIVE MODE")
        except OperationalError:
            connection.rollback()
            return
        taken, known = connection.execute(_TERMS_TAKEN, {"term": term}).one()
        if known or taken >= MAX_COUNTED_TERMS:
            connection.rollback()
            return
        connection.execute(ItemCountedTerm.__table__.insert(), {"term": term})
        trigrams = sorted({term[i : i + GRAM_MAX] for i in range(len(term) - GRAM_MAX + 1)})
        parameters = {"term": term, "query": _fts_query(_phrase(term), None), "grams": trigrams}
        connection.execute(_PER_OWNER[dialect], parameters)
        connection.execute(_ALL_OWNERS, {"term": term})
        connection.commit()
