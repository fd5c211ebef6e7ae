"""Indexes for the change feed (sort and filter by updated_at) and the owner's name sort.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 09:30:00

"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_items_active_updated": ["is_active", "updated_at", "id"],
    "ix_items_updated": ["updated_at", "id"],
    "ix_items_user_updated": ["user_id", "updated_at", "id"],
    "ix_items_user_name": ["user_id", "name", "id"],
}


def upgrade():
    for name, columns in INDEXES.items():
        op.create_index(name, "items", columns, unique=False)


def downgrade():
    for name in reversed(INDEXES):
        op.drop_index(name, table_name="items")
