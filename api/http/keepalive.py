"""Keep-alive after a request body the app did not read.

gunicorn drains at most 64 KiB of a body the app left unread before it serves the next request
on the same connection; past that it closes the connection, after a response that said
`Connection: keep-alive`. A client that pools connections then fails its next request on it
(urllib3: `RemoteDisconnected`, not retried). A 413, or a 401 sent before a large body is read,
leaves such a body: this middleware counts what the app read and, when gunicorn would not drain
the rest, has it answer `Connection: close`, so the client opens a new connection instead. So
does a body that stopped arriving (the 408 of api/http/worker.py).
"""

from collections.abc import Callable, Iterable, Iterator
from typing import Any

# gunicorn.http.parser._DRAIN_MAX_BYTES: what gunicorn reads past before it reuses a connection.
DRAIN_LIMIT = 64 * 1024

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class _CountingInput:
    """`wsgi.input`, counting the bytes read and whether its end was reached."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self.consumed = 0
        self.ended = False

    def _counted(self, data: bytes, size: int | None) -> bytes:
        self.consumed += len(data)
        if not data or size is None or size < 0:
            self.ended = True  # an empty read, or a read of everything
        return data

    def read(self, size: int | None = None) -> bytes:
        return self._counted(self._stream.read(size), size)

    def readline(self, size: int | None = None) -> bytes:
        return self._counted(self._stream.readline(size), 1)

    def readlines(self, hint: int | None = None) -> list[bytes]:
        lines: list[bytes] = self._stream.readlines(hint)
        self.consumed += sum(map(len, lines))
        self.ended = self.ended or not hint
        return lines

    def __iter__(self) -> Iterator[bytes]:
        for line in self._stream:
            yield self._counted(line, 1)
        self.ended = True


class CloseAfterUnreadBody:
    """WSGI middleware: `Connection: close` when more of the body is left than gunicorn drains."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        length = _content_length(environ)
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if not chunked and not length:
            return self.app(environ, start_response)  # no body to leave unread
        counted = None
        if chunked or (length is not None and length > DRAIN_LIMIT):
            counted = environ["wsgi.input"] = _CountingInput(environ["wsgi.input"])

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            # A body that stopped arriving (api/http/worker.py: its 408) is never drained.
            left_over = getattr(environ.get("gunicorn.socket"), "expired", False)
            if counted is not None and not left_over:
                if chunked:  # how much is left is unknown until its end
                    left_over = not counted.ended
                else:
                    left_over = length is not None and length - counted.consumed > DRAIN_LIMIT
            # gunicorn's response is the bound method's object: its only way to be told.
            server_response: Any = getattr(start_response, "__self__", None)
            if left_over and hasattr(server_response, "force_close"):
                server_response.force_close()
            return start_response(status, headers, exc_info)

        return self.app(environ, start)


def _content_length(environ: dict[str, Any]) -> int | None:
    try:
        return int(environ.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None
