"""Direct uploads: the staging object a finalized upload was copied from.

A presigned POST may be replayed for as long as its policy lives, so the object it names is
never the one an upload serves: finalize copies it to a key no client can write and checks
that copy. `source_key` names the staging object, so a repeated (or concurrent) finalize of one
token finds its upload (unique: one upload per staging object).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 12:50:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    # A plain ALTER TABLE on SQLite too (no batch rebuild: it would drop AUTOINCREMENT).
    op.add_column("uploads", sa.Column("source_key", sa.String(length=255), nullable=True))
    op.create_index("ix_uploads_source_key", "uploads", ["source_key"], unique=True)


def downgrade():
    op.drop_index("ix_uploads_source_key", table_name="uploads")
    op.drop_column("uploads", "source_key")
