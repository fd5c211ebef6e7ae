"""SQLite writers of one process queue on a lock that hands over at once, not in SQLite's sleeps.

SQLite lets one connection write at a time. A connection that finds the write lock taken waits
in SQLite's busy handler, which sleeps (1, 2, 5, 10 ... 100 ms) and tries again rather than
being woken when the lock frees. With every thread of a gunicorn worker writing, creates piled
up there: p99 ~1 s from 8 concurrent writers, and the lock sat free while its waiters slept
(bench/RESULTS.md, "creates by concurrent writers"). Here a worker's threads queue on a Python
lock before their first write, so at most one connection per process waits inside SQLite.

Only a performance measure: SQLite's own lock still decides; this lock never makes a write
wait longer than the busy timeout it already had, and never applies on PostgreSQL (row locks,
concurrent writers). Attached to this app's SQLite engines by `bind_extensions`.

A connection takes the lock at its first writing statement and gives it back when its
transaction has ended (commit or rollback, the pool's reset of a returned connection included)
or the connection is invalidated. A thread that already holds the lock and writes on a second
connection is let through, leaving SQLite to arbitrate as before (waiting on itself would
never end).
"""

import fcntl
import os
import re
import sqlite3
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, ExecutionContext
from sqlalchemy.exc import OperationalError

_WRITES = re.compile(
    r"\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|BEGIN\s+(IMMEDIATE|EXCLUSIVE))\b",
    re.IGNORECASE,
)


class WriteQueue:
    def __init__(self, lock_path: str, timeout: float) -> None:
        self.timeout = timeout  # SQLite's busy timeout: no thread waits longer than it did
        self._lock = threading.Lock()  # this process's writers
        self._holder: Any = None  # the DB-API connection holding it
        self._owner: int | None = None  # and its thread
        self._lock_path = lock_path  # every process's writers (`flock`)
        self._fd: int | None = None
        self._pid: int | None = None

    def attach(self, engine: Engine) -> None:
        event.listen(engine, "before_cursor_execute", self._before_execute)
        # Given back once the transaction has ended in SQLite, not at SQLAlchemy's `commit`
        # event, which comes before it: the next writer would meet SQLite's lock still taken.
        # The pool resets a returned connection through these same two methods.
        dialect = engine.dialect
        dialect.do_commit = self._then_release(dialect.do_commit)  # type: ignore[method-assign,assignment]
        dialect.do_rollback = self._then_release(dialect.do_rollback)  # type: ignore[method-assign,assignment]
        event.listen(engine.pool, "invalidate", self._invalidated)

    def _before_execute(
        self,
        _connection: Connection,
        cursor: Any,
        statement: str,
        parameters: Any,
        context: ExecutionContext | None,
        _executemany: bool,
    ) -> None:
        if cursor.connection is self._holder or not _writes(statement, context):
            return
        me = threading.get_ident()
        if self._owner == me:
            return  # this thread writes on another connection already: SQLite arbitrates
        if not self._lock.acquire(timeout=self.timeout):
            # What SQLite itself says when its busy timeout runs out (a 503 to the client).
            locked = sqlite3.OperationalError("database is locked")
            raise OperationalError(statement, parameters, locked)
        try:
            # Then the other processes' writers: the kernel wakes the next one on release.
            fcntl.flock(self._file(), fcntl.LOCK_EX)
        except BaseException:
            self._lock.release()
            raise
        self._holder, self._owner = cursor.connection, me

    def _then_release(self, end: Callable[[Any], None]) -> Callable[[Any], None]:
        def end_then_release(dbapi_connection: Any) -> None:
            try:
                end(dbapi_connection)
            finally:
                self._release(dbapi_connection)

        return end_then_release

    def _invalidated(self, dbapi_connection: Any, *_: Any) -> None:
        self._release(dbapi_connection)

    def _release(self, connection: Any) -> None:
        # The dialect is handed the pool's proxy of the connection, the cursor the connection.
        if connection is not None and _raw(connection) is self._holder:
            self._holder = self._owner = None
            try:
                fcntl.flock(self._file(), fcntl.LOCK_UN)
            finally:
                self._lock.release()  # whatever happens, this process's writers go on

    def _file(self) -> int:
        """This process's descriptor of the lock file (`flock` locks belong to an open file)."""
        if self._fd is None or self._pid != os.getpid():  # none yet, or inherited over a fork
            self._fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd


def _raw(connection: Any) -> Any:
    """The DB-API connection behind the pool's proxy (or the connection itself)."""
    return getattr(connection, "dbapi_connection", connection)


def _writes(statement: str, context: ExecutionContext | None) -> bool:
    """A statement that takes SQLite's write lock (`WITH ... INSERT` through the flags)."""
    flags = ("isinsert", "isupdate", "isdelete")
    return bool(_WRITES.match(statement)) or any(getattr(context, f, False) for f in flags)
