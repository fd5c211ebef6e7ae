"""A PostgreSQL server that stops answering without refusing (a frozen host, a network partition
that drops nothing) holds a statement forever: `statement_timeout` is enforced by that very
server, and TCP keepalives are answered by its kernel. Here a statement, commit, rollback or
pool ping that outlives `limit` seconds has its connection's socket shut down, so the driver
fails at once (an `OperationalError`: a 503 "retry", and the pool drops the connection).

One thread per process looks twice a second. Each call registers its connection's socket before
it starts and unregisters after, under one lock, and the watchdog shuts a socket only while its
call is still registered: a descriptor is never touched after its call ended (its number may be
reused by then). Attached to this app's PostgreSQL engines by `bind_extensions`.
"""

import itertools
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

CHECK_EVERY = 0.5
# What a pooled connection's driver calls run through: each is watched while it runs.
WATCHED = (
    "do_execute",
    "do_execute_no_params",
    "do_executemany",
    "do_commit",
    "do_rollback",
    "do_ping",
)


class StatementWatchdog:
    def __init__(self, limit: float) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._running: dict[int, tuple[float, int]] = {}  # call -> (deadline, socket fd)
        self._calls = itertools.count()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self.cut = 0  # connections cut so far (for the log and the tests)

    def attach(self, engine: Engine) -> None:
        dialect = engine.dialect
        for name in WATCHED:
            setattr(dialect, name, self._watched(getattr(dialect, name)))

    def _watched(self, call: Callable[..., Any]) -> Callable[..., Any]:
        def watched(target: Any, *args: Any, **kwargs: Any) -> Any:
            fd = None if getattr(_unwatched, "depth", 0) else _socket_of(target)
            if fd is None:
                return call(target, *args, **kwargs)
            token = self._start(fd)
            try:
                return call(target, *args, **kwargs)
            finally:
                with self._lock:
                    self._running.pop(token, None)

        return watched

    def _start(self, fd: int) -> int:
        with self._lock:
            token = next(self._calls)
            self._running[token] = (time.monotonic() + self.limit, fd)
            if self._thread is None or self._pid != os.getpid():  # none yet, or forked
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._watch, name="db-watchdog", daemon=True)
                self._thread.start()
        return token

    def _watch(self) -> None:
        while True:
            time.sleep(CHECK_EVERY)
            now = time.monotonic()
            with self._lock:
                for token, (deadline, fd) in list(self._running.items()):
                    if now >= deadline:
                        del self._running[token]
                        _shut(fd)
                        self.cut += 1
                        log.warning("Database call over %.0f s: its connection was cut", self.limit)


_unwatched = threading.local()


@contextmanager
def unwatched() -> Iterator[None]:
    """This thread's database calls run as long as they take (migrations: work in proportion
    to the table, with `statement_timeout` off)."""
    _unwatched.depth = getattr(_unwatched, "depth", 0) + 1
    try:
        yield
    finally:
        _unwatched.depth -= 1


def _socket_of(target: Any) -> int | None:
    """The libpq socket behind a psycopg cursor or connection (None: not one, or closed)."""
    connection = getattr(target, "dbapi_connection", None)  # the pool's proxy
    if connection is None:
        connection = getattr(target, "connection", target)  # a cursor's, or the connection
    pgconn = getattr(connection, "pgconn", None)
    try:
        fd = pgconn.socket if pgconn is not None else None
    except Exception:  # psycopg raises when the connection is already closed
        return None
    return fd if isinstance(fd, int) and fd >= 0 else None


def _shut(fd: int) -> None:
    """Shut the connection down under the driver (a duplicate descriptor, closed after)."""
    try:
        with socket.socket(fileno=os.dup(fd)) as sock:
            sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already gone
