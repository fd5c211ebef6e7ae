"""A real webhook receiver on loopback (ThreadingHTTPServer) that records what it gets.

`responses` scripts the answers (a status per request, then `default_status`); `hold` makes
requests wait until released (a receiver that hangs); `redirect_to` answers 302; `drip` sends
the answer's head ("head") or body ("body") a byte every 0.2 s, each within any read timeout.
"""

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    path: str
    status: int
    received_at: float = field(default_factory=time.time)

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    def verify(self, secret: str) -> Any:
        """Verified with the Standard Webhooks reference library (raises if the signature fails)."""
        return Webhook(secret).verify(self.body, self.headers)


@dataclass
class Receiver:
    url: str = ""
    responses: list[int] = field(default_factory=list)
    default_status: int = 200
    requests: list[Received] = field(default_factory=list)
    hold: threading.Event | None = None  # requests wait until this is set
    started: threading.Event = field(default_factory=threading.Event)
    response_body: bytes = b"ok"
    stream_forever: bool = False  # answer 200 with a body that never ends
    drip: str | None = None  # "head" or "body": that part of a 200 a byte at a time
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_status(self) -> int:
        with self.lock:
            return self.responses.pop(0) if self.responses else self.default_status

    def ok(self) -> list[Received]:
        """Requests answered 2xx (recorded only once answered)."""
        return [r for r in self.requests if 200 <= r.status < 300]

    def wait_for(self, predicate: Callable[["Receiver"], bool], timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while not predicate(self):
            if time.monotonic() > deadline:
                raise AssertionError(f"receiver: condition not met; got {len(self.requests)}")
            time.sleep(0.02)

    def types(self) -> list[str]:
        return [r.json["type"] for r in self.requests]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            receiver.started.set()
            if receiver.hold is not None:
                receiver.hold.wait(60)
            status = receiver.next_status()
            headers = {k.lower(): v for k, v in self.headers.items()}
            with receiver.lock:
                receiver.requests.append(Received(headers, body, self.path, status))
            try:
                if receiver.stream_forever:
                    self._stream()
                    return
                if receiver.drip is not None:
                    self._drip(receiver.drip)
                    return
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", receiver.url + "/redirected")
                self.send_header("Content-Length", str(len(receiver.response_body)))
                self.end_headers()
                self.wfile.write(receiver.response_body)
            except OSError:  # the sender gave up (timeout) or died (kill -9) meanwhile
                pass

        def _stream(self) -> None:
            self.send_response(200)
            self.send_header("Connection", "close")  # no length: the body ends when we close
            self.end_headers()
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                self.wfile.write(b"x" * 65536)

        def _drip(self, part: str) -> None:
            head = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
            self.wfile.write(b"" if part == "head" else head)
            for byte in (head if part == "head" else b"x" * 1000)[:150]:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.2)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def running_receiver(port: int = 0, **options: Any) -> Iterator[Receiver]:
    receiver = Receiver(**options)
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(receiver))
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        if receiver.hold is not None:
            receiver.hold.set()
        server.shutdown()
        server.server_close()
