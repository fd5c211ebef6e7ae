"""Bad-input corpus: every operation in openapi.json, with and without a token, gets malformed
JSON, wrong content types, huge and deeply nested bodies, unicode edge cases (lone surrogates,
RTL and zero-width marks, emoji, NUL), absurd ids and page numbers, and junk headers.

The answer must always be JSON: a 4xx, or a 2xx (or 304) where the input happens to be valid;
never a 5xx. The corpus runs over real HTTP against gunicorn (so gunicorn's own errors count:
an over-long URL, an oversized header) and through the Flask test client, which also checks
every response against openapi.json. The route list is read from openapi.json, so a new
operation is covered without touching this file.
"""

import base64
import http.client
import json
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from flask import Flask

from tests.helpers import ADMIN, register
from tests.live import ADMIN_PASSWORD, LiveServer, call, login_token, new_account, running_server
from tests.spec import SPEC, operations


@dataclass(frozen=True)
class Operation:
    id: str
    method: str
    path: str
    parameters: tuple[dict[str, Any], ...]
    body_type: str | None
    body_schema: dict[str, Any] | None

    @property
    def admin_only(self) -> bool:
        return self.path.startswith("/api/admin/")

    def params(self, location: str) -> list[dict[str, Any]]:
        return [p for p in self.parameters if p["in"] == location]


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = SPEC["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def load_operations() -> list[Operation]:
    found = []
    for path, method, op in operations():
        parameters = (*SPEC["paths"][path].get("parameters", ()), *op.get("parameters", ()))
        content = op.get("requestBody", {}).get("content", {})
        body_type = next(iter(content), None)
        schema = resolve(content[body_type]["schema"]) if body_type else None
        found.append(
            Operation(op["operationId"], method.upper(), path, parameters, body_type, schema)
        )
    return found


OPERATIONS = load_operations()

# --- the corpus -------------------------------------------------------------------------------

IDS = ["-1", "0", "1", str(2**31), str(2**63 - 1), str(2**63), str(10**30), "abc", "1.5", "1e3"]
IDS += ["%00", "%F0%9F%98%80", "%ED%A0%80", "0x10", "+1", "%20%201"]
FILENAMES = ["missing.png", "..%2F..%2Fetc%2Fpasswd", "..", "a%00b.png", "%E2%80%AEgnp.exe"]
FILENAMES += ["x" * 300 + ".png", "%F0%9F%98%80.png", "%ED%A0%80.txt", ".%2Fapp.db"]
INTEGERS = ["-1", "0", "1", "101", str(2**31), str(2**63), str(10**30), "9" * 5000, "abc"]
INTEGERS += ["", "1.5", "1e3", "%00", "%ED%A0%80", "%EF%BC%91", "NaN", "Infinity", "0x1"]
BOOLEANS = ["maybe", "", "2", "TRUE", "%00", "%ED%A0%80"]
UNICODE = [
    "\ud800",  # lone high surrogate (escaped in JSON as \ud800)
    "\udfff",  # lone low surrogate
    "a\ud83db",  # half an emoji
    "\u202eevil\u202c",  # right-to-left override
    "\u200f\u200e",  # RTL / LTR marks
    "zero\u200bwidth\u200d",  # zero-width space and joiner
    "\ufeffbom",
    "👩‍💻🏳️‍🌈😀",
    "\u0000",
    "nul\u0000inside",
    "e\u0301\u0301\u0301",  # stacked combining marks
    "\uffff\ufffe",
    "\U0010ffff",
    "",
    "   ",
    "'; DROP TABLE items; --",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "%s%n%x",
    "\r\n\t\x0b\x7f",
]
BIG_TEXT = "x" * 100_000
# Values for a body property of the wrong type, or out of any sane range.
WRONG_VALUES: list[Any] = [None, 0, -1, 2**63, 10**30, 1.5, True, [], {}, [1, [2]], {"a": {}}]
WRONG_VALUES += [BIG_TEXT, *UNICODE]
MALFORMED = [
    b"",
    b"{",
    b"}",
    b"[1,",
    b'{"a":}',
    b"{'name': 'single quotes'}",
    b"nul",
    b"NaN",
    b'{"name": NaN}',
    b'{"name": Infinity}',
    b'{"name": -Infinity}',
    b'{"name": 1e999}',
    b'{"ids": [' + b"9" * 400 + b"]}",
    b"\xff\xfe\xfa",
    b"\x00",
    b'"\\ud800"',
    b'{"name": "\\ud800"}',
    b'{"name": "\xed\xa0\x80"}',  # a surrogate encoded in UTF-8 (invalid UTF-8)
    b'{"name": "\xc3\x28"}',  # invalid UTF-8 sequence
    b"null",
    b"[]",
    b"0",
    b'"text"',
    b"true",
    b'{"name": "a", "name": "b"}',
    b'\xef\xbb\xbf{"name": "bom"}',
    '{"name": "utf-16"}'.encode("utf-16"),
    b"[" * 100_000 + b"]" * 100_000,
    b"[" * 1_000
    + b"]" * 1_000,  # deep enough to overflow a recursive validator, under orjson's limit
    b'{"a":' * 1_000 + b"1" + b"}" * 1_000,
    b"[" * 33 + b"]" * 33,  # one level over MAX_JSON_DEPTH
    b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
    json.dumps({"name": "x" * 2_000_000}).encode(),  # over MAX_JSON_BYTES
]
WRONG_CONTENT_TYPES = [
    None,
    "text/plain",
    "application/xml",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xyz",
    "application/json; charset=utf-16",
    "application/json; charset=nonsense",
    "application/vnd.api+json",
    "text/json",
    "*/*",
    "application/json\u00e9",
]
BAD_MULTIPART = [
    ("multipart/form-data", b"no boundary"),
    ("multipart/form-data; boundary=xyz", b""),
    ("multipart/form-data; boundary=xyz", b"--xyz\r\nbroken"),
    ("multipart/form-data; boundary=xyz", b"--xyz--\r\n"),
    (
        "multipart/form-data; boundary=xyz",
        b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="../../x.png"\r\n\r\n'
        b"png\r\n--xyz--\r\n",
    ),
    (
        "multipart/form-data; boundary=xyz",
        b'--xyz\r\nContent-Disposition: form-data; name="\xed\xa0\x80"; filename="\xff.png"\r\n'
        b'\r\n\x00\r\n--xyz\r\nContent-Disposition: form-data; name=""\r\n\r\n1\r\n--xyz--\r\n',
    ),
    (
        "multipart/form-data; boundary=xyz",
        b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="\xe2\x80\xaegnp.exe"\r\n'
        b"\r\nMZ\r\n--xyz--\r\n",
    ),
    ("application/json", b'{"file": "x"}'),
    ("text/plain", b"file=x"),
]
JUNK_HEADERS = [
    ("X-Request-ID", "x" * 500),
    ("X-Request-ID", "é ü"),
    ("If-Match", '"'),
    ("If-Match", "*"),
    ("If-None-Match", 'W/"x", "y"'),
    ("If-None-Match", "x" * 2000),
    ("Idempotency-Key", ""),
    ("Idempotency-Key", "é"),
    ("Idempotency-Key", "k" * 300),
    ("Accept", "text/html"),
    ("Accept", "application/xml;q=1, */*;q=0"),
    ("Accept-Encoding", "gzip, br, zstd"),
    ("Origin", "http://evil.example"),
    ("X-Forwarded-For", "1.2.3.4, not-an-ip"),
    ("Range", "bytes=0-1"),
]
BAD_AUTHORIZATION = [
    "Bearer",
    "Bearer ",
    "bearer  ",
    "Basic YWRtaW46YWRtaW4=",
    "Bearer " + "a" * 5000,
    "Bearer x.y.z",
    "Bearer é",
    "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.",  # alg "none"
    "Bearer eyJhbGciOiJIUzI1NiJ9.e30.AAAA",
    "Token abc",
]


def encoded_cursor(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# Keyset cursors (`after`) for the default sort, with contents the API never makes: lone
# surrogates and NUL (a 500 on SQLite / PostgreSQL once bound), wrong types, deep nesting.
CURSORS = [
    encoded_cursor(raw)
    for raw in (
        b'["-created_at", "\\ud800", 1]',
        b'["-created_at", "2026-01-01T00:00:00+00:00\\u0000", 1]',
        b'["-created_at", "2026-01-01T00:00:00+00:00", "\\udfff"]',
        b'["-created_at", "2026-01-01T00:00:00", 1]',
        b'["-created_at", "0001-01-01T00:00:00+01:00", 1]',
        b'["-created_at", "2026-01-01T00:00:00+00:00", 1e400]',
        b'["-created_at", ["nested"], 1]',
        b'["\\u0000", "x", 1]',
        b'{"a": 1, "b": 2, "c": 3}',
        b"[" * 1500,
        b'["-created_at", "\xed\xa0\x80", 1]',
    )
] + ["", "=", "====", "A" * 2048]
NAME_CURSORS = [
    encoded_cursor(raw)
    for raw in (
        b'["name", "\\ud800", 1]',
        b'["name", "a\\udfffb", 1]',
        b'["name", "nul\\u0000inside", 1]',
        b'["name", "' + b"x" * 1000 + b'", 1]',
    )
]

# --- building requests ------------------------------------------------------------------------


@dataclass(frozen=True)
class Req:
    label: str
    method: str
    path: str  # percent-encoded, with the query string
    body: bytes | None = None
    content_type: str | None = None
    headers: tuple[tuple[str, str], ...] = ()


def default_path_value(name: str) -> str:
    # The ids the fixtures make sure exist: item 1 is the user's, user 1 the admin.
    return "missing.png" if name == "filename" else "1"


def fill(op: Operation, **values: str) -> str:
    path = op.path
    for param in op.params("path"):
        path = path.replace(f"{{{param['name']}}}", values.get(param["name"], "") or "", 1)
    return path


def base_path(op: Operation) -> str:
    return fill(op, **{p["name"]: default_path_value(p["name"]) for p in op.params("path")})


def example_value(schema: dict[str, Any]) -> Any:
    schema = resolve(schema)
    if "example" in schema:
        return schema["example"]
    return {"string": "text", "integer": 1, "boolean": True, "array": [], "object": {}}.get(
        schema.get("type", "string")
    )


# Valid-looking bodies, from the spec's examples; a bulk delete must not wipe the fixtures' items.
BASE_OVERRIDES = {"adminBulkDeleteItems": {"ids": [424242]}}


def base_body(op: Operation) -> dict[str, Any]:
    assert op.body_schema is not None
    if op.id in BASE_OVERRIDES:
        return dict(BASE_OVERRIDES[op.id])
    return {
        name: example_value(prop) for name, prop in op.body_schema.get("properties", {}).items()
    }


def encode_text(text: str) -> str:
    """Percent-encode for a URL; a lone surrogate becomes the (invalid) bytes UTF-8 would give."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def path_requests(op: Operation) -> Iterator[Req]:
    for param in op.params("path"):
        edges = FILENAMES if param["name"] == "filename" else IDS
        for value in edges:
            values = {p["name"]: default_path_value(p["name"]) for p in op.params("path")}
            path = fill(op, **{**values, param["name"]: value})
            yield Req(f"{param['name']}={value[:40]}", op.method, path, *json_body(op))


def query_values(param: dict[str, Any]) -> list[str]:
    schema = param.get("schema", {})
    if schema.get("type") == "integer":
        return INTEGERS
    if schema.get("type") == "boolean":
        return BOOLEANS
    if param["name"] == "after":
        return [*CURSORS, *(encode_text(text) for text in UNICODE)]
    return ["bogus", encode_text(BIG_TEXT[:5000]), *(encode_text(text) for text in UNICODE)]


def query_requests(op: Operation) -> Iterator[Req]:
    path = base_path(op)
    for param in op.params("query"):
        name = param["name"]
        for value in query_values(param):
            yield Req(f"{name}={value[:40]}", op.method, f"{path}?{name}={value}", *json_body(op))
        yield Req(f"{name} twice", op.method, f"{path}?{name}=1&{name}=2", *json_body(op))
        yield Req(f"{name} bare", op.method, f"{path}?{name}", *json_body(op))
    yield Req("unknown param", op.method, f"{path}?%ED%A0%80=%00&zzz", *json_body(op))
    if {"sort", "after"} <= {p["name"] for p in op.params("query")}:
        for after in NAME_CURSORS:  # text keys reach SQL as they are: check them first
            yield Req(f"sort=name&after={after}", op.method, f"{path}?sort=name&after={after}")


def json_body(op: Operation) -> tuple[bytes | None, str | None]:
    if op.body_type != "application/json":
        return None, None
    return json.dumps(base_body(op)).encode(), "application/json"


def body_requests(op: Operation) -> Iterator[Req]:
    path = base_path(op)
    if op.body_type == "multipart/form-data":
        for i, (content_type, body) in enumerate(BAD_MULTIPART):
            yield Req(f"multipart #{i} {content_type}", op.method, path, body, content_type)
        return
    for body in MALFORMED:
        label = f"body {body[:30]!r} ({len(body)} bytes)"
        yield Req(label, op.method, path, body, "application/json")
    base = base_body(op)
    assert op.body_schema is not None
    for name in op.body_schema.get("properties", {}):
        for value in WRONG_VALUES:
            payload = {**base, name: value}
            body = json.dumps(payload).encode()  # ensure_ascii: "\ud800" stays an escape
            yield Req(f"{name}={str(value)[:30]!r}", op.method, path, body, "application/json")
    extra = json.dumps({**base, "is_admin": True, "id": -1, "": None}).encode()
    yield Req("extra fields", op.method, path, extra, "application/json")
    yield from nesting_requests(op, path, base)
    yield Req("missing fields", op.method, path, b"{}", "application/json")


def nesting_requests(op: Operation, path: str, base: dict[str, Any]) -> Iterator[Req]:
    """Deep and wide nesting in a known field, in an ignored one, and with an Idempotency-Key
    (whose request hash once recursed into the body)."""
    assert op.body_schema is not None
    names = [*op.body_schema.get("properties", {}), "ignored"]
    key = (("Idempotency-Key", "deep-nesting"),)
    values = {"1000 deep": "[" * 1_000 + "1" + "]" * 1_000, "wide": "[[0]" + ",[0]" * 10_000 + "]"}
    for name in names:
        for label, value in values.items():
            body = json.dumps({**base, name: "@"}).replace('"@"', value).encode()
            yield Req(f"{name} {label}", op.method, path, body, "application/json")
            yield Req(f"{name} {label}, keyed", op.method, path, body, "application/json", key)


def content_type_requests(op: Operation) -> Iterator[Req]:
    path = base_path(op)
    body = json.dumps(base_body(op)).encode() if op.body_type == "application/json" else b"x=1"
    for content_type in WRONG_CONTENT_TYPES:
        yield Req(f"Content-Type {content_type}", op.method, path, body, content_type)


def header_requests(op: Operation, authenticated: bool) -> Iterator[Req]:
    path = base_path(op)
    body, content_type = json_body(op)
    for name, value in JUNK_HEADERS:
        yield Req(f"{name}: {value[:30]}", op.method, path, body, content_type, ((name, value),))
    if not authenticated:
        for value in BAD_AUTHORIZATION:
            headers = (("Authorization", value),)
            yield Req(f"Authorization: {value[:30]}", op.method, path, body, content_type, headers)


KINDS: dict[str, Callable[[Operation, bool], Iterator[Req]]] = {
    "path": lambda op, _: path_requests(op),
    "query": lambda op, _: query_requests(op),
    "body": lambda op, _: body_requests(op),
    "content-type": lambda op, _: content_type_requests(op),
    "headers": header_requests,
}


def applies(op: Operation, kind: str) -> bool:
    return {
        "path": bool(op.params("path")),
        "query": bool(op.params("query")),
        "body": op.body_type is not None,
        "content-type": op.body_type is not None,
        "headers": True,
    }[kind]


CASES = [
    pytest.param(op, kind, auth, id=f"{op.id}-{kind}-{'token' if auth else 'anon'}")
    for op in OPERATIONS
    for kind in KINDS
    if applies(op, kind)
    for auth in (False, True)
]


# --- checking answers -------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    content_type: str
    body: bytes


def problems_with(req: Req, answer: Answer) -> str | None:
    """Why an answer is not acceptable for bad input, or None."""
    status = answer.status
    if not (200 <= status < 300 or status == 304 or 400 <= status < 500):
        return f"status {status}"
    if status in (204, 304):
        return None
    if req.path.startswith("/api/uploads/") and status == 200:
        return None  # a stored file, served as itself
    if not answer.content_type.startswith("application/json"):
        return f"status {status} with Content-Type {answer.content_type!r}"
    try:
        body = json.loads(answer.body)
    except ValueError:
        return f"status {status} with a body that is not JSON: {answer.body[:200]!r}"
    if status >= 400 and not (isinstance(body, dict) and isinstance(body.get("error"), str)):
        return f"status {status} without an 'error' message: {body!r:.200}"
    return None


def check_all(
    requests: Iterator[Req], send: Callable[[Req], Answer], describe: str
) -> tuple[int, list[str]]:
    count, failures = 0, []
    for req in requests:
        count += 1
        answer = send(req)
        problem = problems_with(req, answer)
        if problem:
            where = f"{req.method} {req.path[:120]} [{req.label}]"
            failures.append(f"{where}: {problem}; body {answer.body[:300]!r}")
    assert count, f"no request built for {describe}"
    return count, failures


def header_value(value: str) -> bytes:
    return value.encode("utf-8", "surrogatepass")


# --- over real HTTP, against gunicorn ---------------------------------------------------------


@dataclass
class LiveContext:
    server: LiveServer
    user_token: str
    admin_token: str

    def login_user(self) -> str:
        return login_token(self.server, "corpus", "corpus-password-1")


def http_send(server: LiveServer, req: Req, token: str | None = None) -> Answer:
    parts = urlsplit(server.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.putrequest(req.method, req.path, skip_accept_encoding=True)
        if token:
            connection.putheader("Authorization", f"Bearer {token}")
        for name, value in req.headers:
            connection.putheader(name, header_value(value))
        if req.content_type is not None:
            connection.putheader("Content-Type", header_value(req.content_type))
        body = req.body if req.body is not None else b""
        if req.body is not None or req.method in ("POST", "PUT", "PATCH"):
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders()
        try:
            connection.send(body)
        except (BrokenPipeError, ConnectionResetError):
            # The server answered before reading a body it refuses (a 401, a 413) and closed the
            # connection once gunicorn's 64 KB drain gave up: the answer is still there to read.
            pass
        response = connection.getresponse()
        return Answer(response.status, response.getheader("Content-Type", ""), response.read())
    finally:
        connection.close()


CORPUS_ACCOUNT = {
    "username": "corpus",
    "email": "corpus@example.com",
    "password": "corpus-password-1",
}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveContext]:
    with running_server(
        tmp_path_factory.mktemp("corpus"),
        # thousands of requests a minute from one address: the corpus, not the limits, is tested
        RATELIMIT_ENABLED="false",
    ) as server:
        admin_token = login_token(server, "admin", ADMIN_PASSWORD)
        user = new_account(server, **CORPUS_ACCOUNT)
        item = call(server, "POST", "/api/items", {"name": "corpus item"}, token=user["token"])
        assert item.expect(201)["id"] == 1
        yield LiveContext(server, user["token"], admin_token)


def live_token(live: LiveContext, op: Operation) -> str:
    if op.admin_only:
        return live.admin_token
    if op.id == "logout":  # a logout revokes its token: give it one of its own
        return live.login_user()
    return live.user_token


@pytest.mark.slow
@pytest.mark.parametrize(("op", "kind", "authenticated"), CASES)
def test_live_bad_input(live: LiveContext, op: Operation, kind: str, authenticated: bool) -> None:
    def send(req: Req) -> Answer:
        token = live_token(live, op) if authenticated else None
        return http_send(live.server, req, token)

    _, failures = check_all(KINDS[kind](op, authenticated), send, f"{op.id} {kind}")
    assert not failures, "\n".join(failures)
    assert live.server.process.poll() is None, "the server died"


def raw_exchange(server: LiveServer, raw: bytes) -> Answer:
    """Send bytes as they are (what http.client refuses to send) and parse the answer."""
    parts = urlsplit(server.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(raw)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    data = b"".join(chunks)
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    return Answer(int(lines[0].split()[1]), content_type, body)


def request_bytes(target: bytes, *headers: bytes, method: bytes = b"GET") -> bytes:
    lines = [method + b" " + target + b" HTTP/1.1", b"Host: localhost", b"Connection: close"]
    return b"\r\n".join([*lines, *headers, b"", b""])


GUNICORN_CASES = {
    "over-long URL": (request_bytes(b"/api/items?q=" + b"a" * 10_000), {414}),
    "over-long path": (request_bytes(b"/api/items/" + b"1" * 10_000), {414}),
    "header over the limit": (request_bytes(b"/api/items", b"X-Big: " + b"a" * 10_000), None),
    "header name over the limit": (request_bytes(b"/api/items", b"X" * 10_000 + b": a"), None),
    "too many headers": (
        request_bytes(b"/api/items", *(b"X-H%d: v" % i for i in range(200))),
        None,
    ),
    "garbage request line": (b"GARBAGE\r\n\r\n", None),
    "unknown method": (request_bytes(b"/api/items", method=b"BREW"), None),
    "non-UTF-8 path": (request_bytes(b"/api/items/\xff\xfe"), None),
    "NUL in path": (request_bytes(b"/api/items/%00"), None),
    "bad Content-Length": (
        request_bytes(b"/api/items", b"Content-Length: -5", method=b"POST"),
        None,
    ),
    "invalid header line": (request_bytes(b"/api/items", b"no colon here"), None),
    "absolute-form target": (request_bytes(b"http://evil.example/api/health"), {200}),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", GUNICORN_CASES)
def test_gunicorn_level_errors_are_json(live: LiveContext, name: str) -> None:
    raw, expected = GUNICORN_CASES[name]
    answer = raw_exchange(live.server, raw)
    req = Req(name, "GET", "/api/items")
    assert answer.status < 500, (answer.status, answer.body[:300])
    if expected is not None:
        assert answer.status in expected, (answer.status, answer.body[:300])
    assert problems_with(req, answer) is None, (answer.status, answer.content_type, answer.body)


@pytest.mark.slow
def test_live_server_survives_the_corpus(live: LiveContext) -> None:
    """Runs last in this file: after all of the above the server still answers."""
    answer = http_send(live.server, Req("health", "GET", "/api/health"))
    assert answer.status == 200, answer
    assert json.loads(answer.body)["status"] == "healthy"
    assert live.server.process.poll() is None


# --- through the Flask test client (responses also checked against openapi.json) ---------------


@pytest.fixture
def corpus_app(app_factory: Callable[..., Flask]) -> Flask:
    return app_factory(RATELIMIT_ENABLED=False)


@pytest.mark.parametrize(("op", "kind", "authenticated"), CASES)
def test_app_bad_input(corpus_app: Flask, op: Operation, kind: str, authenticated: bool) -> None:
    client = corpus_app.test_client()
    user = register(client, username="corpus", password="corpus-password-1")
    item = client.post("/api/items", json={"name": "corpus item"}, headers=user.headers)
    assert item.get_json()["id"] == 1
    admin_token = client.post(
        "/api/auth/login", json={"username": ADMIN["username"], "password": ADMIN["password"]}
    ).get_json()["token"]

    def send(req: Req) -> Answer:
        headers = dict(req.headers)
        if authenticated:
            token = admin_token if op.admin_only else user.token
            if op.id == "logout":
                body = {"username": "corpus", "password": "corpus-password-1"}
                token = client.post("/api/auth/login", json=body).get_json()["token"]
            headers["Authorization"] = f"Bearer {token}"
        response = client.open(
            req.path,
            method=req.method,
            data=req.body,
            headers=headers,
            content_type=req.content_type,
        )
        return Answer(response.status_code, response.content_type or "", response.get_data())

    _, failures = check_all(KINDS[kind](op, authenticated), send, f"{op.id} {kind}")
    assert not failures, "\n".join(failures)
