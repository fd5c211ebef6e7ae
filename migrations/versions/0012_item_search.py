"""Exact item counts per name gram, owner and state, and a substring index, kept by triggers.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 13:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# Frozen copies of the SQL models/item_search.py has at this revision (a migration never imports
# live model code). SQLite: FTS5 trigram tables (one per state) and their vocabularies, the
# backfill, the triggers. PostgreSQL: the grams function, statement-level triggers.
# tests/test_migrations.py checks that this and `db.create_all()` make the same objects.
SQLITE_SEARCH_TABLES = [
    (
        'CREATE VIRTUAL TABLE IF NOT EXISTS items_search_active USING fts5(name, owner, '
        "content='', tokenize='trigram case_sensitive 1')"
    ),
    (
        'CREATE VIRTUAL TABLE IF NOT EXISTS items_search_inactive USING fts5(name, owner, '
        "content='', tokenize='trigram case_sensitive 1')"
    ),
    (
        'CREATE VIRTUAL TABLE IF NOT EXISTS items_search_active_terms USING '
        "fts5vocab(items_search_active, 'col')"
    ),
    (
        'CREATE VIRTUAL TABLE IF NOT EXISTS items_search_inactive_terms USING '
        "fts5vocab(items_search_inactive, 'col')"
    ),
]

SQLITE_BACKFILL = [
    (
        'INSERT INTO items_search_active (rowid, name, owner) SELECT items.id, '
        "items.name_folded || 'AA', char(57344 + coalesce(items.user_id, 0) / 40960000, 57344"
        ' + coalesce(items.user_id, 0) / 6400 % 6400, 57344 + coalesce(items.user_id, 0) % '
        '6400) FROM items WHERE items.is_active = 1'
    ),
    (
        'INSERT INTO items_search_inactive (rowid, name, owner) SELECT items.id, '
        "items.name_folded || 'AA', char(57344 + coalesce(items.user_id, 0) / 40960000, 57344"
        ' + coalesce(items.user_id, 0) / 6400 % 6400, 57344 + coalesce(items.user_id, 0) % '
        '6400) FROM items WHERE items.is_active = 0'
    ),
    (
        'INSERT INTO item_gram_counts (gram, owner_id, is_active, count) SELECT '
        'substr(items.name_folded, p.key + 1, n.value), coalesce(items.user_id, 0), '
        "items.is_active, count(*) FROM items, json_each('[' || "
        "substr(replace(hex(zeroblob(length(items.name_folded) + 1)), '00', ',0'), 2) || ']')"
        " AS p, json_each('[0,1,2,3]') AS n WHERE p.key + n.value <= "
        'length(items.name_folded) AND (n.value > 0 OR p.key = 0) AND '
        'instr(items.name_folded, substr(items.name_folded, p.key + 1, n.value)) = p.key + 1 '
        'GROUP BY 1, 2, 3'
    ),
]

SQLITE_TRIGGERS = [
    (
        'CREATE TRIGGER IF NOT EXISTS items_search_insert AFTER INSERT ON items BEGIN INSERT '
        'INTO item_gram_counts (gram, owner_id, is_active, count) SELECT '
        'substr(NEW.name_folded, p.key + 1, n.value), o.value, NEW.is_active, 1 FROM '
        "json_each('[' || substr(replace(hex(zeroblob(length(NEW.name_folded) + 1)), '00', "
        "',0'), 2) || ']') AS p, json_each('[0,1,2,3]') AS n, json_each(json_array(-1, "
        'coalesce(NEW.user_id, 0))) AS o WHERE p.key + n.value <= length(NEW.name_folded) AND'
        ' (n.value > 0 OR p.key = 0) AND instr(NEW.name_folded, substr(NEW.name_folded, p.key'
        ' + 1, n.value)) = p.key + 1 ON CONFLICT DO UPDATE SET count = count + 1; INSERT INTO'
        ' item_gram_counts (gram, owner_id, is_active, count) SELECT t.term, o.value, '
        'NEW.is_active, 1 FROM item_counted_terms AS t, json_each(json_array(-1, '
        'coalesce(NEW.user_id, 0))) AS o WHERE instr(NEW.name_folded, t.term) > 0 ON CONFLICT'
        ' DO UPDATE SET count = count + 1; INSERT INTO items_search_active (rowid, name, '
        "owner) SELECT NEW.id, NEW.name_folded || 'AA', char(57344 + coalesce(NEW.user_id, 0)"
        ' / 40960000, 57344 + coalesce(NEW.user_id, 0) / 6400 % 6400, 57344 + '
        'coalesce(NEW.user_id, 0) % 6400) WHERE NEW.is_active = 1; INSERT INTO '
        "items_search_inactive (rowid, name, owner) SELECT NEW.id, NEW.name_folded || 'AA', "
        'char(57344 + coalesce(NEW.user_id, 0) / 40960000, 57344 + coalesce(NEW.user_id, 0) /'
        ' 6400 % 6400, 57344 + coalesce(NEW.user_id, 0) % 6400) WHERE NEW.is_active = 0; END'
    ),
    (
        'CREATE TRIGGER IF NOT EXISTS items_search_delete AFTER DELETE ON items BEGIN INSERT '
        'INTO item_gram_counts (gram, owner_id, is_active, count) SELECT '
        'substr(OLD.name_folded, p.key + 1, n.value), o.value, OLD.is_active, -1 FROM '
        "json_each('[' || substr(replace(hex(zeroblob(length(OLD.name_folded) + 1)), '00', "
        "',0'), 2) || ']') AS p, json_each('[0,1,2,3]') AS n, json_each(json_array(-1, "
        'coalesce(OLD.user_id, 0))) AS o WHERE p.key + n.value <= length(OLD.name_folded) AND'
        ' (n.value > 0 OR p.key = 0) AND instr(OLD.name_folded, substr(OLD.name_folded, p.key'
        ' + 1, n.value)) = p.key + 1 ON CONFLICT DO UPDATE SET count = count + -1; INSERT '
        'INTO item_gram_counts (gram, owner_id, is_active, count) SELECT t.term, o.value, '
        'OLD.is_active, -1 FROM item_counted_terms AS t, json_each(json_array(-1, '
        'coalesce(OLD.user_id, 0))) AS o WHERE instr(OLD.name_folded, t.term) > 0 ON CONFLICT'
        ' DO UPDATE SET count = count + -1; INSERT INTO items_search_active '
        "(items_search_active, rowid, name, owner) SELECT 'delete', OLD.id, OLD.name_folded "
        "|| 'AA', char(57344 + coalesce(OLD.user_id, 0) / 40960000, 57344 + "
        'coalesce(OLD.user_id, 0) / 6400 % 6400, 57344 + coalesce(OLD.user_id, 0) % 6400) '
        'WHERE OLD.is_active = 1; INSERT INTO items_search_inactive (items_search_inactive, '
        "rowid, name, owner) SELECT 'delete', OLD.id, OLD.name_folded || 'AA', char(57344 + "
        'coalesce(OLD.user_id, 0) / 40960000, 57344 + coalesce(OLD.user_id, 0) / 6400 % 6400,'
        ' 57344 + coalesce(OLD.user_id, 0) % 6400) WHERE OLD.is_active = 0; END'
    ),
    (
        'CREATE TRIGGER IF NOT EXISTS items_search_update AFTER UPDATE OF name_folded, '
        'user_id, is_active ON items WHEN OLD.name_folded IS NOT NEW.name_folded OR '
        'OLD.user_id IS NOT NEW.user_id OR OLD.is_active IS NOT NEW.is_active BEGIN INSERT '
        'INTO item_gram_counts (gram, owner_id, is_active, count) SELECT '
        'substr(OLD.name_folded, p.key + 1, n.value), o.value, OLD.is_active, -1 FROM '
        "json_each('[' || substr(replace(hex(zeroblob(length(OLD.name_folded) + 1)), '00', "
        "',0'), 2) || ']') AS p, json_each('[0,1,2,3]') AS n, json_each(json_array(-1, "
        'coalesce(OLD.user_id, 0))) AS o WHERE p.key + n.value <= length(OLD.name_folded) AND'
        ' (n.value > 0 OR p.key = 0) AND instr(OLD.name_folded, substr(OLD.name_folded, p.key'
        ' + 1, n.value)) = p.key + 1 ON CONFLICT DO UPDATE SET count = count + -1; INSERT '
        'INTO item_gram_counts (gram, owner_id, is_active, count) SELECT '
        'substr(NEW.name_folded, p.key + 1, n.value), o.value, NEW.is_active, 1 FROM '
        "json_each('[' || substr(replace(hex(zeroblob(length(NEW.name_folded) + 1)), '00', "
        "',0'), 2) || ']') AS p, json_each('[0,1,2,3]') AS n, json_each(json_array(-1, "
        'coalesce(NEW.user_id, 0))) AS o WHERE p.key + n.value <= length(NEW.name_folded) AND'
        ' (n.value > 0 OR p.key = 0) AND instr(NEW.name_folded, substr(NEW.name_folded, p.key'
        ' + 1, n.value)) = p.key + 1 ON CONFLICT DO UPDATE SET count = count + 1; INSERT INTO'
        ' item_gram_counts (gram, owner_id, is_active, count) SELECT t.term, o.value, '
        'OLD.is_active, -1 FROM item_counted_terms AS t, json_each(json_array(-1, '
        'coalesce(OLD.user_id, 0))) AS o WHERE instr(OLD.name_folded, t.term) > 0 ON CONFLICT'
        ' DO UPDATE SET count = count + -1; INSERT INTO item_gram_counts (gram, owner_id, '
        'is_active, count) SELECT t.term, o.value, NEW.is_active, 1 FROM item_counted_terms '
        'AS t, json_each(json_array(-1, coalesce(NEW.user_id, 0))) AS o WHERE '
        'instr(NEW.name_folded, t.term) > 0 ON CONFLICT DO UPDATE SET count = count + 1; '
        'INSERT INTO items_search_active (items_search_active, rowid, name, owner) SELECT '
        "'delete', OLD.id, OLD.name_folded || 'AA', char(57344 + coalesce(OLD.user_id, 0) / "
        '40960000, 57344 + coalesce(OLD.user_id, 0) / 6400 % 6400, 57344 + '
        'coalesce(OLD.user_id, 0) % 6400) WHERE OLD.is_active = 1; INSERT INTO '
        "items_search_inactive (items_search_inactive, rowid, name, owner) SELECT 'delete', "
        "OLD.id, OLD.name_folded || 'AA', char(57344 + coalesce(OLD.user_id, 0) / 40960000, "
        '57344 + coalesce(OLD.user_id, 0) / 6400 % 6400, 57344 + coalesce(OLD.user_id, 0) % '
        '6400) WHERE OLD.is_active = 0; INSERT INTO items_search_active (rowid, name, owner) '
        "SELECT NEW.id, NEW.name_folded || 'AA', char(57344 + coalesce(NEW.user_id, 0) / "
        '40960000, 57344 + coalesce(NEW.user_id, 0) / 6400 % 6400, 57344 + '
        'coalesce(NEW.user_id, 0) % 6400) WHERE NEW.is_active = 1; INSERT INTO '
        "items_search_inactive (rowid, name, owner) SELECT NEW.id, NEW.name_folded || 'AA', "
        'char(57344 + coalesce(NEW.user_id, 0) / 40960000, 57344 + coalesce(NEW.user_id, 0) /'
        ' 6400 % 6400, 57344 + coalesce(NEW.user_id, 0) % 6400) WHERE NEW.is_active = 0; END'
    ),
]

SQLITE_DROP = [
    (
        'DROP TABLE IF EXISTS items_search_active_terms'
    ),
    (
        'DROP TABLE IF EXISTS items_search_inactive_terms'
    ),
    (
        'DROP TABLE IF EXISTS items_search_active'
    ),
    (
        'DROP TABLE IF EXISTS items_search_inactive'
    ),
]

POSTGRESQL_FUNCTIONS = [
    (
        'CREATE OR REPLACE FUNCTION item_name_grams(name text) RETURNS text[] AS $$ SELECT '
        'array_agg(DISTINCT substr(name, p, n)) FROM generate_series(1, 3) AS n, '
        'generate_series(1, greatest(length(name), 1)) AS p WHERE p + n - 1 <= length(name) '
        '$$ LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT'
    ),
    (
        'CREATE OR REPLACE FUNCTION item_gram_counts_insert() RETURNS trigger AS $$ BEGIN '
        'INSERT INTO item_gram_counts AS c (gram, owner_id, is_active, count) SELECT d.gram, '
        'd.owner_id, d.is_active, sum(d.delta) FROM (SELECT g.gram, o.owner_id, r.is_active, '
        'r.delta FROM (SELECT name_folded, user_id, is_active, 1 AS delta FROM new_items) AS '
        "r CROSS JOIN LATERAL (SELECT unnest(item_name_grams(r.name_folded) || ''::text) "
        'UNION ALL SELECT t.term FROM item_counted_terms AS t WHERE strpos(r.name_folded, '
        't.term) > 0) AS g(gram) CROSS JOIN LATERAL (VALUES (-1), (coalesce(r.user_id, 0))) '
        'AS o(owner_id)) AS d GROUP BY d.gram, d.owner_id, d.is_active HAVING sum(d.delta) <>'
        ' 0 ORDER BY d.gram, d.owner_id, d.is_active ON CONFLICT (gram, owner_id, is_active) '
        'DO UPDATE SET count = c.count + EXCLUDED.count; RETURN NULL; END $$ LANGUAGE plpgsql'
    ),
    (
        'CREATE OR REPLACE FUNCTION item_gram_counts_update() RETURNS trigger AS $$ BEGIN '
        'INSERT INTO item_gram_counts AS c (gram, owner_id, is_active, count) SELECT d.gram, '
        'd.owner_id, d.is_active, sum(d.delta) FROM (SELECT g.gram, o.owner_id, r.is_active, '
        'r.delta FROM (SELECT name_folded, user_id, is_active, -1 AS delta FROM old_items '
        'UNION ALL SELECT name_folded, user_id, is_active, 1 AS delta FROM new_items) AS r '
        "CROSS JOIN LATERAL (SELECT unnest(item_name_grams(r.name_folded) || ''::text) UNION "
        'ALL SELECT t.term FROM item_counted_terms AS t WHERE strpos(r.name_folded, t.term) >'
        ' 0) AS g(gram) CROSS JOIN LATERAL (VALUES (-1), (coalesce(r.user_id, 0))) AS '
        'o(owner_id)) AS d GROUP BY d.gram, d.owner_id, d.is_active HAVING sum(d.delta) <> 0 '
        'ORDER BY d.gram, d.owner_id, d.is_active ON CONFLICT (gram, owner_id, is_active) DO '
        'UPDATE SET count = c.count + EXCLUDED.count; RETURN NULL; END $$ LANGUAGE plpgsql'
    ),
    (
        'CREATE OR REPLACE FUNCTION item_gram_counts_delete() RETURNS trigger AS $$ BEGIN '
        'INSERT INTO item_gram_counts AS c (gram, owner_id, is_active, count) SELECT d.gram, '
        'd.owner_id, d.is_active, sum(d.delta) FROM (SELECT g.gram, o.owner_id, r.is_active, '
        'r.delta FROM (SELECT name_folded, user_id, is_active, -1 AS delta FROM old_items) AS'
        " r CROSS JOIN LATERAL (SELECT unnest(item_name_grams(r.name_folded) || ''::text) "
        'UNION ALL SELECT t.term FROM item_counted_terms AS t WHERE strpos(r.name_folded, '
        't.term) > 0) AS g(gram) CROSS JOIN LATERAL (VALUES (-1), (coalesce(r.user_id, 0))) '
        'AS o(owner_id)) AS d GROUP BY d.gram, d.owner_id, d.is_active HAVING sum(d.delta) <>'
        ' 0 ORDER BY d.gram, d.owner_id, d.is_active ON CONFLICT (gram, owner_id, is_active) '
        'DO UPDATE SET count = c.count + EXCLUDED.count; RETURN NULL; END $$ LANGUAGE plpgsql'
    ),
]

POSTGRESQL_BACKFILL = [
    (
        'SET LOCAL statement_timeout = 0'
    ),
    (
        'LOCK TABLE items IN SHARE ROW EXCLUSIVE MODE'
    ),
    (
        'INSERT INTO item_gram_counts (gram, owner_id, is_active, count) SELECT g.gram, '
        'coalesce(items.user_id, 0), items.is_active, count(*) FROM items CROSS JOIN LATERAL '
        "unnest(item_name_grams(items.name_folded) || ''::text) AS g(gram) GROUP BY g.gram, "
        'coalesce(items.user_id, 0), items.is_active'
    ),
]

POSTGRESQL_TRIGGERS = [
    (
        'CREATE TRIGGER items_search_insert AFTER INSERT ON items REFERENCING NEW TABLE AS '
        'new_items FOR EACH STATEMENT EXECUTE FUNCTION item_gram_counts_insert()'
    ),
    (
        'CREATE TRIGGER items_search_update AFTER UPDATE ON items REFERENCING OLD TABLE AS '
        'old_items NEW TABLE AS new_items FOR EACH STATEMENT EXECUTE FUNCTION '
        'item_gram_counts_update()'
    ),
    (
        'CREATE TRIGGER items_search_delete AFTER DELETE ON items REFERENCING OLD TABLE AS '
        'old_items FOR EACH STATEMENT EXECUTE FUNCTION item_gram_counts_delete()'
    ),
]

ALL_OWNERS = (
    'INSERT INTO item_gram_counts (gram, owner_id, is_active, count) SELECT gram, -1, '
    'is_active, sum(count) FROM item_gram_counts GROUP BY gram, is_active'
)


def upgrade():
    op.create_table(
        "item_gram_counts",
        sa.Column("gram", sa.String(length=255), nullable=False),
        sa.Column("owner_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("gram", "owner_id", "is_active", name=op.f("pk_item_gram_counts")),
    )
    op.create_table(
        "item_counted_terms",
        sa.Column("term", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("term", name=op.f("pk_item_counted_terms")),
    )
    # The name_folded index served `LIKE '%q%'`: pg_trgm's GIN on PostgreSQL (which cannot serve
    # a `q` under 3 characters), a B-tree to scan on SQLite. The new indexes replace it.
    op.drop_index("ix_items_name_folded", table_name="items")
    if op.get_bind().dialect.name == "postgresql":
        statements = [*POSTGRESQL_FUNCTIONS, *POSTGRESQL_BACKFILL, ALL_OWNERS]
        statements += POSTGRESQL_TRIGGERS
        statements.append(
            "CREATE INDEX ix_items_name_grams ON items USING gin (item_name_grams(name_folded))"
        )
    else:
        statements = [*SQLITE_SEARCH_TABLES, *SQLITE_BACKFILL, ALL_OWNERS, *SQLITE_TRIGGERS]
    for statement in statements:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_items_name_grams")
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS items_search_{name} ON items")
            op.execute(f"DROP FUNCTION IF EXISTS item_gram_counts_{name}()")
        op.execute("DROP FUNCTION IF EXISTS item_name_grams(text)")
    else:
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS items_search_{name}")
        for statement in SQLITE_DROP:
            op.execute(statement)
    op.drop_table("item_counted_terms")
    op.drop_table("item_gram_counts")
    op.create_index(
        "ix_items_name_folded",
        "items",
        ["name_folded"],
        postgresql_using="gin",
        postgresql_ops={"name_folded": "gin_trgm_ops"},
    )
