"""Exact item counts per name gram, owner and state, and a substring index, kept by triggers.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 13:30:00

"""

import sqlalchemy as sa
from alembic import op

from models.item_search import (  # TODO freeze
    POSTGRESQL_FUNCTIONS,
    POSTGRESQL_TRIGGERS,
    SQLITE_DROP,
    SQLITE_SEARCH_TABLES,
    SQLITE_TRIGGERS,
    SQLITE_GRAM,
    SQLITE_GRAM_SOURCES,
    SQLITE_GRAM_WHERE,
    SQLITE_OWNER_TOKEN,
)

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

SQLITE_BACKFILL = [
    *(
        f"INSERT INTO items_search_{state} (rowid, name, owner) "
        f"SELECT items.id, items.name_folded || 'AA', {SQLITE_OWNER_TOKEN.format(row='items')} "
        f"FROM items WHERE items.is_active = {flag}"
        for state, flag in (("active", 1), ("inactive", 0))
    ),
    "INSERT INTO item_gram_counts (gram, owner_id, is_active, count) "
    f"SELECT {SQLITE_GRAM.format(name='items.name_folded')}, coalesce(items.user_id, 0), "
    f"items.is_active, count(*) FROM items, {SQLITE_GRAM_SOURCES.format(name='items.name_folded')} "
    f"WHERE {SQLITE_GRAM_WHERE.format(name='items.name_folded')} GROUP BY 1, 2, 3",
]
POSTGRESQL_BACKFILL = [
    # The backfill reads every item: at a million rows it outlasts the app's request timeout.
    "SET LOCAL statement_timeout = 0",
    # No write may slip between the backfill and the triggers.
    "LOCK TABLE items IN SHARE ROW EXCLUSIVE MODE",
    "INSERT INTO item_gram_counts (gram, owner_id, is_active, count) "
    "SELECT g.gram, coalesce(items.user_id, 0), items.is_active, count(*) FROM items "
    "CROSS JOIN LATERAL unnest(item_name_grams(items.name_folded) || ''::text) AS g(gram) "
    "GROUP BY g.gram, coalesce(items.user_id, 0), items.is_active",
]
# The counts for all owners are the per-owner ones summed.
ALL_OWNERS = (
    "INSERT INTO item_gram_counts (gram, owner_id, is_active, count) "
    "SELECT gram, -1, is_active, sum(count) FROM item_gram_counts GROUP BY gram, is_active"
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
