"""SQLite: webhook subscription ids are never reused after a delete (AUTOINCREMENT).

Deleting the newest subscription handed its id to the next one made: a client retrying its
`DELETE /api/webhooks/<id>` removed its newer subscription, and the audit log named two
subscriptions by one id. PostgreSQL's sequences never reuse ids: nothing to do there.

The table is rebuilt as migration 0014 rebuilds items and uploads (its helper, loaded from that
frozen file). Unlike those, this table has children: dropping it deletes its deliveries
(`ON DELETE CASCADE`), so they are kept aside first and put back, ids and all.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 22:30:00

"""

import importlib.util
from pathlib import Path

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_SPEC = importlib.util.spec_from_file_location(
    "migration_0014", Path(__file__).with_name("0014_sqlite_ids_never_reused.py")
)
assert _SPEC is not None and _SPEC.loader is not None
_M0014 = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(_M0014)


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    create = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'webhook_subscriptions'"
    ).scalar_one()
    if "AUTOINCREMENT" in create:
        return
    bind.exec_driver_sql("DROP TABLE IF EXISTS temp._kept_webhook_deliveries")
    bind.exec_driver_sql(
        "CREATE TEMP TABLE _kept_webhook_deliveries AS SELECT * FROM webhook_deliveries"
    )
    _M0014._rebuild_with_autoincrement("webhook_subscriptions")
    # Whether or not foreign keys were on (and cascaded), the deliveries are as they were.
    bind.exec_driver_sql("DELETE FROM webhook_deliveries")
    bind.exec_driver_sql("INSERT INTO webhook_deliveries SELECT * FROM _kept_webhook_deliveries")
    bind.exec_driver_sql("DROP TABLE temp._kept_webhook_deliveries")


def downgrade():
    """Nothing to undo: AUTOINCREMENT only stops ids from being handed out twice."""
