"""Webhooks: whether a subscription hears other users' events is decided when it is made.

An administrator's subscription heard every user's events because its owner was an
administrator, whatever the token that created it could do: a token narrowed to `account`
made a subscription that received everyone's items and e-mail addresses. `hears_everyone` is
set only when the creating token carried the admin scopes; an existing subscription keeps what
it heard (its owner's role).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 13:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "webhook_subscriptions",
        sa.Column("hears_everyone", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.execute(
        "UPDATE webhook_subscriptions SET hears_everyone = TRUE WHERE user_id IN "
        "(SELECT id FROM users WHERE is_admin = TRUE)"
    )


def downgrade():
    with op.batch_alter_table("webhook_subscriptions") as batch_op:
        batch_op.drop_column("hears_everyone")
