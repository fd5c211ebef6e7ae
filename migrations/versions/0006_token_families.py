"""token families: one row per login, locked by rotation and revocation, kept as long as its tokens

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 09:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Every login that still has refresh tokens becomes a family; a family any of whose tokens was
# revoked, or whose id was recorded as revoked, stays revoked.
BACKFILL = """
INSERT INTO token_families (id, user_id, created_at, expires_at, revoked_at)
SELECT family_id, MIN(user_id), MIN(created_at), MAX(expires_at),
       CASE WHEN MAX(CASE WHEN revoked THEN 1 ELSE 0 END) = 1 THEN {now} ELSE NULL END
FROM refresh_tokens
GROUP BY family_id
"""
MARK_REVOKED = """
UPDATE token_families SET revoked_at = {now}
WHERE revoked_at IS NULL AND id IN (SELECT jti FROM revoked_tokens)
"""


def upgrade():
    op.create_table(
        "token_families",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_token_families_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_token_families")),
    )
    with op.batch_alter_table("token_families", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_token_families_expires_at"), ["expires_at"])
        batch_op.create_index(batch_op.f("ix_token_families_user_id"), ["user_id"])
    now = "now()" if op.get_bind().dialect.name == "postgresql" else "datetime('now')"
    op.execute(BACKFILL.format(now=now))
    op.execute(MARK_REVOKED.format(now=now))


def downgrade():
    with op.batch_alter_table("token_families", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_token_families_user_id"))
        batch_op.drop_index(batch_op.f("ix_token_families_expires_at"))
    op.drop_table("token_families")
