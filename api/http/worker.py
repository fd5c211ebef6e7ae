"""gunicorn's threaded worker, with deadlines on every wait for a client (`make run`, the image).

A gthread worker hands a connection to a thread, which then blocks until the request has
arrived and until the response is written. Clients that stalled held those threads: 40
connections that sent part of a head (2 workers x 8 threads) took the API offline for as long
as they stayed, a new connection that sent nothing held a thread 5 s (3 a second kept every
thread busy), and 24 that pipelined requests and never read the answers held every thread for
good. Here:

* a new connection waits for its first bytes in gunicorn's poller, not in a thread, and is
  closed if none come within `HEAD_TIMEOUT`;
* a thread waits at most `READ_TIMEOUT` for each read, the head must arrive within
  `HEAD_TIMEOUT` of the thread taking the connection, and the body within `BODY_TIMEOUT` plus
  the time its length takes at `MIN_BODY_RATE`;
* each write of the response must be taken by the client within `READ_TIMEOUT` plus the time
  its length takes at `MIN_BODY_RATE` (a file sent with `sendfile`: `READ_TIMEOUT` for each
  part the socket takes).

A client too slow for any of them is dropped and its thread goes back to work. Idle keep-alive
connections stay with gunicorn's poller (no thread), closed after `keepalive` seconds as before.
"""

import errno
import selectors
import socket
import time
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from gunicorn.workers.gthread import TConn, ThreadWorker

from api.core.config import server_settings

T = TypeVar("T")
_SERVER = server_settings()
READ_TIMEOUT = _SERVER["REQUEST_READ_TIMEOUT"]  # seconds one read may wait for the client
HEAD_TIMEOUT = _SERVER["REQUEST_HEAD_TIMEOUT"]  # seconds for the request line and headers
BODY_TIMEOUT = HEAD_TIMEOUT  # seconds for a body, plus its length at MIN_BODY_RATE
MIN_BODY_RATE = 64 * 1024  # bytes per second: 16 MiB may take 4 minutes
UNKNOWN_LENGTH = 16 * 1024 * 1024  # a chunked body is given the time of the largest upload


class ClientTooSlow(ConnectionResetError):
    """The client did not send its request in time. A connection reset to gunicorn, which then
    closes the connection quietly (a debug line), as it does for any client that went away."""

    def __init__(self, what: str, *, reading: bool = True) -> None:
        doing = "send its" if reading else "take the"
        super().__init__(errno.ECONNRESET, f"the client took too long to {doing} {what}")


class DeadlineSocket(socket.socket):
    """A client connection whose reads have a deadline while a thread serves it (from when
    `DeadlineThreadWorker.handle` takes it until it hands it back). Outside that (in the poller,
    or closing on the main thread) its reads are gunicorn's own, with gunicorn's timeouts."""

    deadline: float | None = None
    reading = "request head"
    expired = False  # a read or write missed its deadline: the connection must close
    stopped_reading = False  # a write missed its deadline: nothing more is sent

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

    def sendall(self, data: Any, flags: int = 0) -> None:
        """The whole of `data` within READ_TIMEOUT plus its length at MIN_BODY_RATE (Python's
        `sendall` timeout bounds the whole call)."""
        self._writing(lambda: super(DeadlineSocket, self).sendall(data, flags), len(data))

    def sendfile(self, file: Any, offset: int = 0, count: int | None = None) -> int:
        """Each part the socket takes within READ_TIMEOUT (Python's `sendfile` waits that long
        for the socket to be writable, part by part)."""
        return self._writing(lambda: super(DeadlineSocket, self).sendfile(file, offset, count))

    def _writing(self, send: Callable[[], T], length: int = 0) -> T:
        if self.stopped_reading:
            raise ClientTooSlow("response", reading=False)
        own = self.gettimeout()
        if own is not None:  # non-blocking (0) or a caller's own timeout: theirs stands
            return send()
        self.settimeout(READ_TIMEOUT + length / MIN_BODY_RATE)
        try:
            return send()
        except TimeoutError:
            self.expired = self.stopped_reading = True
            raise ClientTooSlow("response", reading=False) from None
        finally:
            self.settimeout(own)

    def _too_slow(self) -> ClientTooSlow:
        self.expired = True
        return ClientTooSlow(self.reading)


class DeadlineThreadWorker(ThreadWorker):
    def accept(self, listener: Any) -> None:
        """A new connection waits for its first bytes in the poller (no thread until then), as
        gunicorn's own deferred connections do: its `pending_conns`, which gunicorn hands to a
        thread once readable and closes when their time is up (here HEAD_TIMEOUT). No other
        connection is deferred, since each arrives with its data ready."""
        try:
            client_sock, client_addr = listener.accept()
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        conn = TConn(self.cfg, client_sock, client_addr, listener.getsockname())  # non-blocking
        conn.timeout = time.monotonic() + HEAD_TIMEOUT
        self.pending_conns.append(conn)  # in order of their deadlines: all HEAD_TIMEOUT
        self.poller.register(
            client_sock, selectors.EVENT_READ, partial(self.on_pending_socket_readable, conn)
        )

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
