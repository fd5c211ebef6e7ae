"""A small keep-alive JSON client for load tests against a live server (see tests/live.py)."""

import http.client
import json
import sys
from typing import Any
from urllib.parse import urlsplit


class Connection:
    """One persistent HTTP/1.1 connection, as a real client pool keeps it; not thread-safe."""

    def __init__(self, url: str, token: str | None = None, timeout: float = 30) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.timeout = timeout
        self.token = token
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def request(
        self, method: str, path: str, body: Any = None, token: str | None = None
    ) -> tuple[int, Any]:
        """Send one request; a broken connection raises (after being reset for the next call)."""
        headers = {"Accept": "application/json"}
        if token or self.token:
            headers["Authorization"] = f"Bearer {token or self.token}"
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            self.conn.request(method, path, body=payload, headers=headers)
            response = self.conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException):
            self.reset()
            raise
        if response.getheader("Connection", "").lower() == "close":
            self.reset()
        content_type = response.getheader("Content-Type", "")
        data = json.loads(raw) if raw and content_type.startswith("application/json") else raw
        return response.status, data

    def reset(self) -> None:
        self.conn.close()
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def close(self) -> None:
        self.conn.close()


def report(line: str) -> None:
    """Figures for `pytest -s` (stdout is captured otherwise)."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
