"""Row locks for check-then-act: a change that reads a row, checks it and writes it back reads
it under the lock its concurrent writers take too, held until the transaction ends. Of two
concurrent changes the second then reads what the first wrote: two `If-Match` edits of one
ETag give one 200 and one 412, two deletes one 204 and one 409, three toggles three flips, and
a password change cannot write back a token version that a deactivation has moved on.

PostgreSQL locks the row (`SELECT ... FOR UPDATE`). SQLite locks the whole database for
writing, so the transaction starts as a writer (`BEGIN IMMEDIATE`) before it reads, unless it
has written already (then it holds that lock); its writers queue on api/core/sqlite_writes.py's
lock first. Either way, take it after any slow work (bcrypt) and commit promptly.
"""

from typing import TypeVar

from models import db

T = TypeVar("T")


def locked(entity: type[T], ident: int) -> T | None:
    """The row of `entity` with primary key `ident`, freshly read under its write lock."""
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        raw = connection.connection.dbapi_connection
        if not getattr(raw, "in_transaction", True):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
    return db.session.get(entity, ident, with_for_update=True, populate_existing=True)
