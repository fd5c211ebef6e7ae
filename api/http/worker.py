"""gunicorn's threaded worker, with deadlines on reading a request (`make run`, the image).

A gthread worker hands a readable connection to a thread, which then blocks until the request
has arrived. A client that sent part of its head and stalled, or trickled it a byte at a time,
held that thread for good: 40 such connections (2 workers x 8 threads) took the API offline
until they went away. Here a thread waits at most `READ_TIMEOUT` for each read, the head must
arrive within `HEAD_TIMEOUT` of the thread taking the connection, and the body within
`BODY_TIMEOUT` plus the time its length takes at `MIN_BODY_RATE`; a client too slow for any of
them is dropped and its thread goes back to work. Idle keep-alive connections stay with
gunicorn's poller (no thread), closed after `keepalive` seconds as before.
"""

import errno
import socket
import time
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

from api.core.config import server_settings

_SERVER = server_settings()
READ_TIMEOUT = _SERVER["REQUEST_READ_TIMEOUT"]  # seconds one read may wait for the client
HEAD_TIMEOUT = _SERVER["REQUEST_HEAD_TIMEOUT"]  # seconds for the request line and headers
BODY_TIMEOUT = HEAD_TIMEOUT  # seconds for a body, plus its length at MIN_BODY_RATE
MIN_BODY_RATE = 64 * 1024  # bytes per second: 16 MiB may take 4 minutes
UNKNOWN_LENGTH = 16 * 1024 * 1024  # a chunked body is given the time of the largest upload


class ClientTooSlow(ConnectionResetError):
    """The client did not send its request in time. A connection reset to gunicorn, which then
    closes the connection quietly (a debug line), as it does for any client that went away."""

    def __init__(self, what: str) -> None:
        super().__init__(errno.ECONNRESET, f"the client took too long to send its {what}")


class DeadlineSocket(socket.socket):
    """A client connection whose reads have a deadline while a thread serves it (from when
    `DeadlineThreadWorker.handle` takes it until it hands it back). Outside that (in the poller,
    or closing on the main thread) its reads are gunicorn's own, with gunicorn's timeouts."""

    deadline: float | None = None
    reading = "request head"
    expired = False  # a read missed its deadline: the connection must close

    @classmethod
    def adopt(cls, sock: socket.socket) -> "DeadlineSocket":
        return cls(sock.family, sock.type, sock.proto, fileno=sock.detach())

    def read_within(self, seconds: float | None, what: str = "request head") -> None:
        """Reads from now on must be done within `seconds` (None: no deadline)."""
        self.deadline = None if seconds is None else time.monotonic() + seconds
        self.reading = what

    def setblocking(self, flag: bool) -> None:
        if not flag:  # back to the poller: no thread waits on it
            self.deadline = None
        super().setblocking(flag)

    def recv(self, size: int, flags: int = 0) -> bytes:
        if self.expired:  # only gunicorn's graceful close reads it now: nothing to wait for
            return b""
        if self.deadline is None:
            return super().recv(size, flags)
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise self._too_slow()
        own = self.gettimeout()  # a shorter one of the caller's (gunicorn's) stands
        limit = min(READ_TIMEOUT, left)
        self.settimeout(limit if own is None else min(own, limit))
        try:
            return super().recv(size, flags)
        except TimeoutError:
            if own is not None and own <= limit:
                raise  # the caller's own timeout, as it would have been without a deadline
            raise self._too_slow() from None
        finally:
            self.settimeout(own)

    def _too_slow(self) -> ClientTooSlow:
        self.expired = True
        return ClientTooSlow(self.reading)


class DeadlineThreadWorker(ThreadWorker):
    def handle(self, conn: Any) -> Any:
        if type(conn.sock) is socket.socket and not self.cfg.is_ssl:
            conn.sock = DeadlineSocket.adopt(conn.sock)
        sock = conn.sock
        if not isinstance(sock, DeadlineSocket):
            return super().handle(conn)
        sock.read_within(HEAD_TIMEOUT, "request head")
        try:
            return super().handle(conn)
        finally:
            sock.read_within(None)  # a graceful close later, on the main thread, is gunicorn's

    def handle_request(self, req: Any, conn: Any) -> Any:
        # The head has arrived; the body (read by the app) gets time by its length.
        if isinstance(conn.sock, DeadlineSocket):
            length = _content_length(req) or UNKNOWN_LENGTH
            conn.sock.read_within(BODY_TIMEOUT + length / MIN_BODY_RATE, "request body")
        return super().handle_request(req, conn)


def _content_length(req: Any) -> int | None:
    for name, value in req.headers:
        if name == "CONTENT-LENGTH":
            try:
                return int(value)
            except ValueError:
                return None
    return None
