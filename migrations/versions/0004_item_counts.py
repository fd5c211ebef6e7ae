"""Exact item counts by state, maintained by triggers.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 09:05:00

"""

import sqlalchemy as sa
from alembic import op

# Frozen copies of the SQL models/item_count.py had when this revision was written: a migration
# never imports live model code, so later model changes cannot rewrite history.
SEED_COUNTS = {
    "sqlite": (
        "INSERT INTO item_counts (is_active, count) SELECT s.is_active, "
        "(SELECT count(*) FROM items WHERE items.is_active = s.is_active) FROM "
        "(SELECT 0 AS is_active UNION ALL SELECT 1) AS s"
    ),
    "postgresql": (
        "INSERT INTO item_counts (is_active, count) SELECT s.is_active, "
        "(SELECT count(*) FROM items WHERE items.is_active = s.is_active) FROM "
        "(SELECT false AS is_active UNION ALL SELECT true) AS s"
    ),
}
_FLIP = (
    "UPDATE item_counts SET count = count + CASE WHEN is_active = NEW.is_active THEN 1 ELSE -1 END"
)
COUNT_TRIGGERS = {
    "sqlite": [
        "CREATE TRIGGER IF NOT EXISTS items_count_insert AFTER INSERT ON items BEGIN "
        "UPDATE item_counts SET count = count + 1 WHERE is_active = NEW.is_active; END",
        "CREATE TRIGGER IF NOT EXISTS items_count_delete AFTER DELETE ON items BEGIN "
        "UPDATE item_counts SET count = count - 1 WHERE is_active = OLD.is_active; END",
        "CREATE TRIGGER IF NOT EXISTS items_count_update AFTER UPDATE OF is_active ON items "
        f"WHEN OLD.is_active != NEW.is_active BEGIN {_FLIP}; END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION items_count_change() RETURNS trigger AS $$ BEGIN "
        "IF TG_OP = 'INSERT' THEN "
        "UPDATE item_counts SET count = count + 1 WHERE is_active = NEW.is_active; "
        "ELSIF TG_OP = 'DELETE' THEN "
        "UPDATE item_counts SET count = count - 1 WHERE is_active = OLD.is_active; "
        f"ELSE {_FLIP}; END IF; RETURN NULL; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER items_count_insert_delete AFTER INSERT OR DELETE ON items "
        "FOR EACH ROW EXECUTE FUNCTION items_count_change()",
        "CREATE TRIGGER items_count_update AFTER UPDATE OF is_active ON items FOR EACH ROW "
        "WHEN (OLD.is_active IS DISTINCT FROM NEW.is_active) "
        "EXECUTE FUNCTION items_count_change()",
    ],
}

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "item_counts",
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("is_active", name=op.f("pk_item_counts")),
    )
    dialect = op.get_bind().dialect.name
    op.execute(SEED_COUNTS[dialect])
    for statement in COUNT_TRIGGERS.get(dialect, []):
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS items_count_insert_delete ON items")
        op.execute("DROP TRIGGER IF EXISTS items_count_update ON items")
        op.execute("DROP FUNCTION IF EXISTS items_count_change()")
    else:
        for name in ("items_count_insert", "items_count_delete", "items_count_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("item_counts")
