"""A trigger-bumped version of the items table, for cache invalidation.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 09:30:00

"""

import sqlalchemy as sa
from alembic import op

# The trigger SQL lives with the model (one definition for migrations and `create_all`).
from models.item_count import CHANGE_TRIGGERS, SEED_VERSION

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
