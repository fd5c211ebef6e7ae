"""SQLite: item and upload ids are never reused after a hard delete (AUTOINCREMENT).

Without it SQLite gives a new row max(id) + 1, so hard-deleting the newest item (admin
bulk-delete) handed its id to the next item created: a partner syncing the change feed, the
audit log and webhook receivers saw a new item under a deleted one's id. PostgreSQL's sequences
never reuse ids: nothing to do there.

SQLite cannot add AUTOINCREMENT in place, so each table is rebuilt: the same columns and rows,
then its indexes and triggers exactly as they were. No other table references these two, so
dropping the old table cascades nowhere.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 10:45:00

"""

import re

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

TABLES = ("items", "uploads")


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        for table in TABLES:
            _rebuild_with_autoincrement(table)


def downgrade():
    """Nothing to undo: AUTOINCREMENT only stops ids from being handed out twice."""


def _rebuild_with_autoincrement(table: str) -> None:
    bind = op.get_bind()
    create = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).scalar_one()
    if "AUTOINCREMENT" in create:
        return
    # Indexes first, then the triggers (which may use them), as they are now.
    dependents = (
        bind.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') "
            "AND sql IS NOT NULL ORDER BY type, name",
            (table,),
        )
        .scalars()
        .all()
    )
    # The form `create_all` gives a table with `sqlite_autoincrement`: the key on the column.
    rebuilt, keys = re.subn(rf",\s*CONSTRAINT pk_{table} PRIMARY KEY \(id\)", "", create)
    rebuilt, columns = re.subn(
        r"\bid INTEGER NOT NULL\b", "id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT", rebuilt
    )
    rebuilt, names = re.subn(rf"^CREATE TABLE {table} \(", f"CREATE TABLE _new_{table} (", rebuilt)
    if (keys, columns, names) != (1, 1, 1):
        raise RuntimeError(f"unexpected definition of {table}: {create}")
    bind.exec_driver_sql(f"DROP TABLE IF EXISTS _new_{table}")  # left by an interrupted run
    bind.exec_driver_sql(rebuilt)
    bind.exec_driver_sql(f"INSERT INTO _new_{table} SELECT * FROM {table}")
    bind.exec_driver_sql(f"DROP TABLE {table}")
    bind.exec_driver_sql(f"ALTER TABLE _new_{table} RENAME TO {table}")
    for sql in dependents:
        bind.exec_driver_sql(sql)
