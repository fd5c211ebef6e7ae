"""One delivery attempt: a signed POST to the address the SSRF guard just checked.

`http.client` follows no redirects (a 3xx is a failed attempt). The connection goes to the
checked IP (the name is not resolved again), with the URL's host as `Host` and as the TLS server
name, so certificates are verified for the name. The attempt has one deadline, `timeout` after
it began (name resolution included): a watchdog shuts the socket down then, which wakes a read
blocked in the sending thread (closing it would not), so a receiver that drips its answer byte
by byte, each within the socket's timeout, cannot hold a worker thread past the deadline, nor
outlive the delivery's lease. An answer completed after the deadline is a timeout too.
"""

import http.client
import socket
import ssl
import threading
import time
from dataclasses import dataclass

from api.webhooks import signing, ssrf

USER_AGENT = "backend-api-webhooks/1.0"


@dataclass(frozen=True)
class Attempt:
    ok: bool
    status: int | None
    latency_ms: int
    error: str | None


class _PinnedConnection(http.client.HTTPConnection):
    """An HTTP(S) connection to a fixed IP that speaks to (and verifies) the URL's host, and
    that the watchdog can `cut` from another thread at any point of its life."""

    def __init__(self, target: ssrf.Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self.target = target
        self._guard = threading.Lock()  # `cut` never meets a socket being swapped or closed
        self._cut = False

    def connect(self) -> None:
        sock = socket.create_connection((self.target.address, self.port), self.timeout)
        if self.target.scheme == "https":
            context = ssl.create_default_context()
            # No I/O yet: the handshake runs below, on a socket the watchdog can reach.
            sock = context.wrap_socket(
                sock, server_hostname=self.target.host, do_handshake_on_connect=False
            )
        with self._guard:
            if self._cut:
                sock.close()
                raise TimeoutError("deadline passed while connecting")
            self.sock = sock
        if isinstance(sock, ssl.SSLSocket):
            sock.do_handshake()

    def cut(self) -> None:
        """The deadline: shut the socket down, so that whatever blocks on it returns."""
        with self._guard:
            self._cut = True
            if self.sock is not None:
                try:
                    self.sock.shutdown(socket.SHUT_RDWR)
                except OSError:  # not connected (yet), or already gone
                    pass

    def close(self) -> None:
        with self._guard:
            super().close()


def send(
    *,
    url: str,
    signing_secrets: list[str],
    msg_id: str,
    body: bytes,
    timeout: float,
    max_response_bytes: int,
    allow_private: bool,
) -> Attempt:
    started = time.monotonic()

    def failed(error: str, status: int | None = None) -> Attempt:
        latency = int((time.monotonic() - started) * 1000)
        return Attempt(False, status, latency, error[:500])

    try:
        target = ssrf.resolve(url, allow_private=allow_private, timeout=min(timeout, 5))
    except ssrf.UnsafeUrl as exc:
        return failed(f"refused: {exc}")
    headers = {
        **signing.headers(signing_secrets, msg_id=msg_id, timestamp=int(time.time()), body=body),
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }
    left = started + timeout - time.monotonic()
    connection = _PinnedConnection(target, max(left, 0.001))
    watchdog = threading.Timer(max(left, 0.0), connection.cut)
    watchdog.daemon = True
    watchdog.start()
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(max_response_bytes)  # capped: the rest is never read
        status = response.status
    except (OSError, http.client.HTTPException, ValueError, AttributeError) as exc:
        if time.monotonic() - started >= timeout:
            return failed(f"timed out after {timeout:g} s")
        return failed(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
    finally:
        watchdog.cancel()
        connection.close()
    if time.monotonic() - started >= timeout:  # answered, but too late to count as answered
        return failed(f"timed out after {timeout:g} s", status)
    latency = int((time.monotonic() - started) * 1000)
    if 200 <= status < 300:
        return Attempt(True, status, latency, None)
    reason = "redirects are not followed" if 300 <= status < 400 else "non-2xx response"
    return Attempt(False, status, latency, f"HTTP {status}: {reason}")
