"""What keeps item lists flat at any table size: exact counts per name gram and a substring index.

* `item_gram_counts`: for every gram (substring of 1 to `GRAM_MAX` characters, and the empty
  string, which every name contains) of the case-folded item names, how many items contain it,
  per owner and per state. A list's exact total is then one or two row reads for any owner
  or state filter, and for any `q` of up to `GRAM_MAX` characters, whatever the table size.
  `owner_id` is the owner's id, 0 for items without one, and `ALL_OWNERS` (-1) for all owners.
* `item_counted_terms`: longer terms (a `q` of more than `GRAM_MAX` characters) that matched
  many items when first searched for; from then on `item_gram_counts` keeps their counts too
  (api/services/item_search.py registers them, at most `MAX_COUNTED_TERMS`).
* A substring index over the case-folded names for longer `q` and for pages of rare matches:
  SQLite's FTS5 with the trigram tokenizer (one table per state, so a public search never
  touches deleted items), PostgreSQL's GIN over the names' grams (`item_name_grams`).

Database triggers keep both exact for every write, in the writing transaction: the API, bulk
seeding, migrations and raw SQL alike (the migration 0012 has its own frozen copy of this SQL).

Case folding is Python's `str.casefold()` (full Unicode folding, e.g. "Straße" -> "strasse"),
applied by the application to `items.name_folded` and to `q`; the database only compares the
folded strings character by character.
"""

from sqlalchemy import DDL, Boolean, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Model, db

GRAM_MAX = 3
TERM_MAX = 255  # the longest counted term
ALL_OWNERS = -1
# Appended to every indexed name: then each occurrence of a 1- or 2-character gram starts some
# trigram, so SQLite finds rare short grams through the index's sorted terms. ASCII "A" never
# occurs in case-folded text (folding maps it to "a" and is idempotent), so no folded `q`
# can match across the padding.
PAD = "AA"
STATES = {"active": 1, "inactive": 0}


class ItemGramCount(Model):
    __tablename__ = "item_gram_counts"

    gram: Mapped[str] = mapped_column(String(TERM_MAX), primary_key=True)
    owner_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    is_active: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class ItemCountedTerm(Model):
    __tablename__ = "item_counted_terms"

    term: Mapped[str] = mapped_column(String(TERM_MAX), primary_key=True)


def owner_token(owner_id: int | None) -> str:
    """The owner as one trigram (three private-use characters) in SQLite's search tables."""
    value = owner_id or 0
    return "".join(
        chr(0xE000 + digit) for digit in (value // 6400**2, value // 6400 % 6400, value % 6400)
    )


def schema_object(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's `include_name`: SQLite's FTS5 tables (and their shadow tables) are created by
    the migration's SQL, not the metadata, so autogenerate must not offer to drop them."""
    return not (type_ == "table" and (name or "").startswith("items_search_"))


def search_table(is_active: bool) -> str:
    return "items_search_active" if is_active else "items_search_inactive"


# --- SQLite -------------------------------------------------------------------------------------

# The grams of a name, each once: 1..GRAM_MAX characters at every position where it occurs
# first, plus the empty gram, without a recursive CTE (which triggers cannot use): json_each
# over "[0,0,...]" numbers the positions. `{name}` is the folded name's SQL expression.
_GRAM_LENGTHS = "[" + ",".join(str(n) for n in range(GRAM_MAX + 1)) + "]"
SQLITE_GRAM = "substr({name}, p.key + 1, n.value)"
SQLITE_GRAM_SOURCES = (
    "json_each('[' || substr(replace(hex(zeroblob(length({name}) + 1)), '00', ',0'), 2) || ']') "
    f"AS p, json_each('{_GRAM_LENGTHS}') AS n"
)
SQLITE_GRAM_WHERE = (
    "p.key + n.value <= length({name}) AND (n.value > 0 OR p.key = 0) "
    f"AND instr({{name}}, {SQLITE_GRAM}) = p.key + 1"
)
SQLITE_OWNER_TOKEN = (
    "char(57344 + coalesce({row}.user_id, 0) / 40960000, "
    "57344 + coalesce({row}.user_id, 0) / 6400 % 6400, 57344 + coalesce({row}.user_id, 0) % 6400)"
)


def _sqlite_gram_delta(row: str, delta: int) -> str:
    name = f"{row}.name_folded"
    return (
        "INSERT INTO item_gram_counts (gram, owner_id, is_active, count) "
        f"SELECT {SQLITE_GRAM.format(name=name)}, o.value, {row}.is_active, {delta} "
        f"FROM {SQLITE_GRAM_SOURCES.format(name=name)}, "
        f"json_each(json_array({ALL_OWNERS}, coalesce({row}.user_id, 0))) AS o "
        f"WHERE {SQLITE_GRAM_WHERE.format(name=name)} "
        f"ON CONFLICT DO UPDATE SET count = count + {delta}"
    )


def _sqlite_term_delta(row: str, delta: int) -> str:
    return (
        "INSERT INTO item_gram_counts (gram, owner_id, is_active, count) "
        f"SELECT t.term, o.value, {row}.is_active, {delta} FROM item_counted_terms AS t, "
        f"json_each(json_array({ALL_OWNERS}, coalesce({row}.user_id, 0))) AS o "
        f"WHERE instr({row}.name_folded, t.term) > 0 "
        f"ON CONFLICT DO UPDATE SET count = count + {delta}"
    )


def _sqlite_index(row: str, *, delete: bool) -> list[str]:
    owner = SQLITE_OWNER_TOKEN.format(row=row)
    statements = []
    for state, flag in STATES.items():
        table = f"items_search_{state}"
        columns, command = (
            (f"{table}, rowid, name, owner", "'delete', ")
            if delete
            else (
                "rowid, name, owner",
                "",
            )
        )
        statements.append(
            f"INSERT INTO {table} ({columns}) SELECT {command}{row}.id, "
            f"{row}.name_folded || '{PAD}', {owner} WHERE {row}.is_active = {flag}"
        )
    return statements


def _sqlite_trigger(name: str, event_sql: str, body: list[str]) -> str:
    return f"CREATE TRIGGER IF NOT EXISTS {name} {event_sql} BEGIN {'; '.join(body)}; END"


_CHANGED = (
    "OLD.name_folded IS NOT NEW.name_folded OR OLD.user_id IS NOT NEW.user_id "
    "OR OLD.is_active IS NOT NEW.is_active"
)
SQLITE_SEARCH_TABLES = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS items_search_{state} USING fts5(name, owner, "
    "content='', tokenize='trigram case_sensitive 1')"
    for state in STATES
] + [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS items_search_{state}_terms "
    f"USING fts5vocab(items_search_{state}, 'col')"
    for state in STATES
]
SQLITE_TRIGGERS = [
    _sqlite_trigger(
        "items_search_insert",
        "AFTER INSERT ON items",
        [
            _sqlite_gram_delta("NEW", 1),
            _sqlite_term_delta("NEW", 1),
            *_sqlite_index("NEW", delete=False),
        ],
    ),
    _sqlite_trigger(
        "items_search_delete",
        "AFTER DELETE ON items",
        [
            _sqlite_gram_delta("OLD", -1),
            _sqlite_term_delta("OLD", -1),
            *_sqlite_index("OLD", delete=True),
        ],
    ),
    _sqlite_trigger(
        "items_search_update",
        f"AFTER UPDATE OF name_folded, user_id, is_active ON items WHEN {_CHANGED}",
        [
            _sqlite_gram_delta("OLD", -1),
            _sqlite_gram_delta("NEW", 1),
            _sqlite_term_delta("OLD", -1),
            _sqlite_term_delta("NEW", 1),
            *_sqlite_index("OLD", delete=True),
            *_sqlite_index("NEW", delete=False),
        ],
    ),
]
SQLITE_DROP = [
    *(f"DROP TABLE IF EXISTS items_search_{state}_terms" for state in STATES),
    *(f"DROP TABLE IF EXISTS items_search_{state}" for state in STATES),
]


# --- PostgreSQL ---------------------------------------------------------------------------------

_OLD_ROWS = "SELECT name_folded, user_id, is_active, -1 AS delta FROM old_items"
_NEW_ROWS = "SELECT name_folded, user_id, is_active, 1 AS delta FROM new_items"
_TRANSITION_ROWS = {
    "insert": _NEW_ROWS,
    "update": f"{_OLD_ROWS} UNION ALL {_NEW_ROWS}",
    "delete": _OLD_ROWS,
}
_TRANSITION_TABLES = {
    "insert": "NEW TABLE AS new_items",
    "update": "OLD TABLE AS old_items NEW TABLE AS new_items",
    "delete": "OLD TABLE AS old_items",
}
POSTGRESQL_FUNCTIONS = [
    # The distinct 1- to 3-character grams of a folded name: IMMUTABLE, so it can back the
    # expression index the search uses.
    "CREATE OR REPLACE FUNCTION item_name_grams(name text) RETURNS text[] AS $$ "
    "SELECT array_agg(DISTINCT substr(name, p, n)) FROM generate_series(1, 3) AS n, "
    "generate_series(1, greatest(length(name), 1)) AS p WHERE p + n - 1 <= length(name) $$ "
    "LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT",
    # One statement's net change, applied in key order: concurrent writers lock count rows in
    # the same order, so they queue instead of deadlocking.
    *(
        f"CREATE OR REPLACE FUNCTION item_gram_counts_{name}() RETURNS trigger AS $$ BEGIN "
        "INSERT INTO item_gram_counts AS c (gram, owner_id, is_active, count) "
        "SELECT d.gram, d.owner_id, d.is_active, sum(d.delta) FROM ("
        f"SELECT g.gram, o.owner_id, r.is_active, r.delta FROM ({rows}) AS r "
        "CROSS JOIN LATERAL (SELECT unnest(item_name_grams(r.name_folded) || ''::text) "
        "UNION ALL SELECT t.term FROM item_counted_terms AS t "
        "WHERE strpos(r.name_folded, t.term) > 0) AS g(gram) "
        f"CROSS JOIN LATERAL (VALUES ({ALL_OWNERS}), (coalesce(r.user_id, 0))) AS o(owner_id)"
        ") AS d GROUP BY d.gram, d.owner_id, d.is_active HAVING sum(d.delta) <> 0 "
        "ORDER BY d.gram, d.owner_id, d.is_active "
        "ON CONFLICT (gram, owner_id, is_active) DO UPDATE SET count = c.count + EXCLUDED.count; "
        "RETURN NULL; END $$ LANGUAGE plpgsql"
        for name, rows in _TRANSITION_ROWS.items()
    ),
]
POSTGRESQL_TRIGGERS = [
    # Statement-level triggers with transition tables: one sorted upsert per statement.
    f"CREATE TRIGGER items_search_{name} AFTER {name.upper()} ON items "
    f"REFERENCING {_TRANSITION_TABLES[name]} FOR EACH STATEMENT "
    f"EXECUTE FUNCTION item_gram_counts_{name}()"
    for name in _TRANSITION_ROWS
]


# `db.create_all()` (tests) gets what the migration creates; `drop_all()` drops the FTS tables,
# which the metadata does not know. (DDL() formats with %, hence the doubling.)
_CREATE = {
    "sqlite": SQLITE_SEARCH_TABLES + SQLITE_TRIGGERS,
    "postgresql": POSTGRESQL_TRIGGERS,
}
for _dialect, _statements in _CREATE.items():
    for _statement in _statements:
        event.listen(
            db.metadata,
            "after_create",
            DDL(_statement.replace("%", "%%")).execute_if(dialect=_dialect),
        )
for _statement in POSTGRESQL_FUNCTIONS:  # before `items`, whose search index calls one
    event.listen(
        db.metadata,
        "before_create",
        DDL(_statement.replace("%", "%%")).execute_if(dialect="postgresql"),
    )
for _statement in SQLITE_DROP:
    event.listen(
        db.metadata, "before_drop", DDL(_statement.replace("%", "%%")).execute_if(dialect="sqlite")
    )
