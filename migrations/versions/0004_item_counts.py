"""Exact item counts by state, maintained by triggers.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 09:05:00

"""

import sqlalchemy as sa
from alembic import op

# The trigger SQL lives with the model (one definition for migrations and `create_all`).
from models.item_count import COUNT_TRIGGERS, _seed_sql

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
    op.execute(_seed_sql(dialect))
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
