"""PostgreSQL: a state change updates the two item_counts rows in key order (no deadlock).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 04:40:00

"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# Frozen copies of models/item_count.py's PostgreSQL function before and after this revision.
_FLIP = (
    "UPDATE item_counts SET count = count + CASE WHEN is_active = NEW.is_active THEN 1 ELSE -1 END"
)
_FUNCTION = (
    "CREATE OR REPLACE FUNCTION items_count_change() RETURNS trigger AS $$ BEGIN "
    "IF TG_OP = 'INSERT' THEN "
    "UPDATE item_counts SET count = count + 1 WHERE is_active = NEW.is_active; "
    "ELSIF TG_OP = 'DELETE' THEN "
    "UPDATE item_counts SET count = count - 1 WHERE is_active = OLD.is_active; "
    "ELSE {flip}; END IF; RETURN NULL; END $$ LANGUAGE plpgsql"
)


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_FUNCTION.format(flip=f"{_FLIP} WHERE NOT is_active; {_FLIP} WHERE is_active"))


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_FUNCTION.format(flip=_FLIP))
