"""One delivery attempt: a signed POST to the address the SSRF guard just checked.

`http.client` follows no redirects (a 3xx is a failed attempt). The connection goes to the
checked IP (the name is not resolved again), with the URL's host as `Host` and as the TLS server
name, so certificates are verified for the name. A watchdog closes the socket at the deadline,
so a receiver that drips its answer byte by byte cannot hold a worker thread past `timeout`.
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
    """An HTTP(S) connection to a fixed IP that speaks to (and verifies) the URL's host."""

    def __init__(self, target: ssrf.Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self.target = target

    def connect(self) -> None:
        sock = socket.create_connection((self.target.address, self.port), self.timeout)
        if self.target.scheme == "https":
            context = ssl.create_default_context()
            sock = context.wrap_socket(sock, server_hostname=self.target.host)
        self.sock = sock


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
    connection = _PinnedConnection(target, timeout)
    watchdog = threading.Timer(timeout, connection.close)
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
    latency = int((time.monotonic() - started) * 1000)
    if 200 <= status < 300:
        return Attempt(True, status, latency, None)
    reason = "redirects are not followed" if 300 <= status < 400 else "non-2xx response"
    return Attempt(False, status, latency, f"HTTP {status}: {reason}")
