"""A trigger-bumped version of the items table, for cache invalidation.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 09:30:00

"""

import sqlalchemy as sa
from alembic import op

# Frozen copies of the SQL models/item_count.py had when this revision was written: a migration
# never imports live model code, so later model changes cannot rewrite history.
_BUMP = "UPDATE item_changes SET version = version + 1"
CHANGE_TRIGGERS = {
    "sqlite": [
        f"CREATE TRIGGER IF NOT EXISTS items_changed_{event.lower()} AFTER {event} ON items "
        f"BEGIN {_BUMP}; END"
        for event in ("INSERT", "UPDATE", "DELETE")
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION items_changed() RETURNS trigger AS $$ BEGIN "
        f"{_BUMP}; RETURN NULL; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER items_changed AFTER INSERT OR UPDATE OR DELETE ON items "
        "FOR EACH STATEMENT EXECUTE FUNCTION items_changed()",
    ],
}
SEED_VERSION = "INSERT INTO item_changes (id, version) VALUES (1, 0)"

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "item_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_changes")),
    )
    op.execute(SEED_VERSION)
    dialect = op.get_bind().dialect.name
    for statement in CHANGE_TRIGGERS.get(dialect, []):
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS items_changed ON items")
        op.execute("DROP FUNCTION IF EXISTS items_changed()")
    else:
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS items_changed_{name}")
    op.drop_table("item_changes")
