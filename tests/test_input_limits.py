"""What the API does with bodies built to hurt it: nesting too deep to validate, bodies streamed
without a length, NUL characters; and what an idempotent replay gives back.

Every answer is the JSON error shape with a 4xx, never a 500 (issue 10 finding 6 and 12,
issue 18 item 2).
"""

import gc
import http.client
import io
import json
import socket
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient

from api.core.config import server_settings
from tests.factories import random_name, random_user
from tests.helpers import Account, assert_error
from tests.live import call, new_account, running_server

MAX_JSON_BYTES = 1024 * 1024
DEPTH_LIMIT = 32  # MAX_JSON_DEPTH's default


def nested_array(depth: int) -> Any:
    value: Any = []
    for _ in range(depth - 1):
        value = [value]
    return value


def nested_object(depth: int) -> Any:
    value: Any = {}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


def deep_text(depth: int, open_: str = "[", close: str = "]") -> bytes:
    return (open_ * depth + close * depth).encode()


def json_routes(account: Account) -> list[tuple[str, dict[str, str]]]:
    """The JSON routes the attacker used: anonymous ones, and create with `Idempotency-Key`."""
    idempotent = {**account.headers, "Idempotency-Key": random_name("key")}
    return [
        ("/api/auth/login", {}),
        ("/api/auth/register", {}),
        ("/api/auth/refresh", {}),
        ("/api/items", idempotent),
        ("/api/items", account.headers),
    ]


# --- JSON depth ---------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [33, 200, 1000, 1023, 1024, 1025, 5000])
@pytest.mark.parametrize("shape", ["array", "object", "inside a field"])
def test_deeply_nested_json_is_a_400_on_every_json_route(
    client: FlaskClient, user: Account, depth: int, shape: str
) -> None:
    """About 1,000 levels used to overflow Python's stack in validation or in the idempotency
    hash (a 500 with a RecursionError). Nesting beyond MAX_JSON_DEPTH is refused first."""
    if shape == "array":
        body = deep_text(depth)
    elif shape == "object":
        body = b'{"a":' * depth + b"1" + b"}" * depth
    else:
        body = b'{"name": "x", "username": "u", "password": "p", "extra": ' + deep_text(depth)
        body += b"}"
    for path, headers in json_routes(user):
        response = client.post(path, data=body, content_type="application/json", headers=headers)
        answer = assert_error(response, 400, "body")
        assert "nested too deeply" in answer["error"], (path, answer)


def test_nesting_up_to_the_limit_is_accepted_and_ignored(
    client: FlaskClient, user: Account
) -> None:
    """An unknown field nested exactly MAX_JSON_DEPTH levels is ignored like any unknown field."""
    within = {"name": "deep but fine", "extra": nested_array(DEPTH_LIMIT - 1)}
    response = client.post("/api/items", json=within, headers=user.headers)
    assert response.status_code == 201, response.get_json()
    over = {"name": "one level more", "extra": nested_array(DEPTH_LIMIT)}
    assert_error(client.post("/api/items", json=over, headers=user.headers), 400, "body")


def test_depth_limit_is_a_setting(app_factory: Callable[..., Flask]) -> None:
    client = app_factory(MAX_JSON_DEPTH=3).test_client()
    ok = client.post("/api/auth/login", json={"username": "a", "password": "b", "x": [[1]]})
    assert ok.status_code == 401
    deep = client.post("/api/auth/login", json={"username": "a", "password": "b", "x": [[[1]]]})
    assert_error(deep, 400, "body")


@pytest.mark.parametrize(
    "extra",
    [
        [[]] * 100_000,  # wide: many shallow siblings
        [nested_array(DEPTH_LIMIT - 2)] * 5_000,  # many branches, each just within the limit
        {f"k{i}": {"v": [i, {"w": None}]} for i in range(20_000)},  # a wide object of objects
    ],
    ids=["wide array", "many deep branches", "wide object"],
)
def test_wide_json_within_the_limits_is_cheap_and_ignored(
    client: FlaskClient, user: Account, extra: Any
) -> None:
    body = json.dumps({"name": "wide", "extra": extra}).encode()
    assert len(body) < MAX_JSON_BYTES
    headers = {**user.headers, "Idempotency-Key": random_name("wide")}
    # CPU time of this thread (the test client runs the request in it), not wall time: the
    # bound is on the work a body causes, whatever else the machine is doing. The objects the
    # test process has piled up (millions, late in a full run) are frozen first: the body's
    # allocations trigger full garbage collections, which would otherwise walk all of them.
    gc.collect()
    gc.freeze()
    try:
        started = time.thread_time()
        response = client.post(
            "/api/items", data=body, content_type="application/json", headers=headers
        )
        spent = time.thread_time() - started
    finally:
        gc.unfreeze()
    assert response.status_code == 201, response.get_json()
    assert spent < 2  # ~0.4-0.7 s today


def test_deep_json_in_a_token_form_or_unknown_content_type_is_never_parsed(
    client: FlaskClient,
) -> None:
    response = client.post("/api/auth/login", data=deep_text(1000), content_type="text/plain")
    assert_error(response, 415)


# --- bodies streamed without Content-Length -----------------------------------------------------


def chunked_post(client: FlaskClient, path: str, body: bytes, headers: dict[str, str]) -> Any:
    """A `Transfer-Encoding: chunked` request as gunicorn hands it over: no Content-Length and
    a stream the server terminates (`wsgi.input_terminated`)."""
    return client.post(
        path,
        input_stream=io.BytesIO(body),
        headers={**headers, "Transfer-Encoding": "chunked", "Content-Type": "application/json"},
        environ_overrides={"wsgi.input_terminated": True},
    )


def test_chunked_json_body_over_the_limit_is_a_413(client: FlaskClient, user: Account) -> None:
    """It used to be cut at MAX_JSON_BYTES and reported as "Malformed JSON"."""
    body = json.dumps({"name": "x" * (MAX_JSON_BYTES + 10)}).encode()
    answer = assert_error(chunked_post(client, "/api/items", body, user.headers), 413)
    assert "too large" in answer["error"]
    answer = assert_error(chunked_post(client, "/api/auth/login", body, {}), 413)


def test_chunked_json_body_within_the_limit_works(client: FlaskClient, user: Account) -> None:
    padding = MAX_JSON_BYTES - len(json.dumps({"name": "chunked", "description": ""})) - 1
    body = json.dumps({"name": "chunked", "description": " " * padding})
    assert len(body) < MAX_JSON_BYTES
    response = chunked_post(client, "/api/items", body.encode(), user.headers)
    # The description is over its 10,000-character maximum: validated, so the body was read.
    assert_error(response, 400, "description")
    small = json.dumps({"name": "chunked"}).encode()
    response = chunked_post(client, "/api/items", small, user.headers)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["name"] == "chunked"


def send_chunked(url: str, path: str, chunks: list[bytes], token: str | None = None) -> Any:
    """POST with `Transfer-Encoding: chunked` over a raw socket; a server that answers before
    reading everything may close the connection under the sender: the answer is read anyway."""
    parts = urlsplit(url)
    head = [f"POST {path} HTTP/1.1", f"Host: {parts.netloc}", "Connection: close"]
    head += ["Content-Type: application/json", "Transfer-Encoding: chunked"]
    if token:
        head.append(f"Authorization: Bearer {token}")
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        try:
            sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
            for chunk in chunks:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server already answered
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, response.getheader("Content-Type"), json.loads(response.read())


@pytest.mark.slow
def test_chunked_json_over_the_limit_is_a_413_on_gunicorn(tmp_path: Any) -> None:
    with running_server(tmp_path / "server", workers=1, threads=2) as server:
        account = random_user(username="chunky")
        status, _, body = send_chunked(
            server.url, "/api/auth/register", [json.dumps(account).encode()]
        )
        assert status == 201, body
        token = body["token"]
        big = json.dumps({"name": "x" * (MAX_JSON_BYTES + 10)}).encode()
        chunks = [big[i : i + 65536] for i in range(0, len(big), 65536)]
        status, content_type, body = send_chunked(server.url, "/api/items", chunks, token)
        assert (status, content_type) == (413, "application/json"), body
        assert "too large" in body["error"]
        status, _, body = send_chunked(server.url, "/api/items", [b'{"name": ', b'"ok"}'], token)
        assert status == 201 and body["name"] == "ok", body
        # A body far beyond the limit, streamed: the answer is still the JSON 413.
        status, _, body = send_chunked(server.url, "/api/auth/login", [b"[" * 65536] * 64)
        assert status == 413, body


def send_raw(url: str, request: bytes, *, cut: bool = False) -> tuple[int, Any, Any]:
    """Send bytes as they are (`cut`: then close our side, a client gone mid-body)."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(request)
        if cut:
            sock.shutdown(socket.SHUT_WR)
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, response.getheader("Content-Type"), json.loads(response.read())


@pytest.mark.slow
def test_a_broken_chunked_body_is_a_400_on_gunicorn(tmp_path: Any) -> None:
    head = (
        "{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {type}\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    )
    json_head, form_head = "application/json", "multipart/form-data; boundary=b"
    broken = [
        ("POST", "/api/items", json_head, b"zz\r\n", False),  # not a chunk size
        ("POST", "/api/auth/login", json_head, b'5\r\n{"nam', True),  # cut short
        ("POST", "/api/auth/token", json_head, b"5\r\n{}{}{}{}\r\n", False),  # no terminator
        ("POST", "/api/upload", form_head, b"zz\r\n", False),
        ("GET", "/api/items", json_head, b"5\r\nabc", True),
    ]
    with running_server(tmp_path / "server", workers=1, threads=2) as server:
        token = new_account(server)["token"]
        for method, path, content_type, body, cut in broken:
            request = head.format(method=method, path=path, type=content_type).encode()
            if path in ("/api/items", "/api/upload"):
                request = request.replace(
                    b"\r\n\r\n", f"\r\nAuthorization: Bearer {token}\r\n\r\n".encode()
                )
            status, content_type, answer = send_raw(server.url, request + body, cut=cut)
            assert (status, content_type) == (400, "application/json"), (path, status, answer)
            assert "malformed or was cut short" in answer["error"], (path, answer)
        assert "Unhandled error" not in server.log()


# --- NUL characters -----------------------------------------------------------------------------


def test_nul_in_an_unknown_field_is_ignored_like_the_field(
    client: FlaskClient, user: Account
) -> None:
    """Ignored means ignored: it used to answer 400 with `errors.extra`."""
    body = {"name": "ok", "extra": "a\u0000b", "more": {"k\u0000": ["\u0000"]}}
    response = client.post("/api/items", json=body, headers=user.headers)
    assert response.status_code == 201, response.get_json()
    assert "extra" not in response.get_json()
    payload = random_user(**{"is_admin\u0000": "\u0000"})
    assert client.post("/api/auth/register", json=payload).status_code == 201


@pytest.mark.parametrize("field", ["name", "description"])
def test_nul_in_a_field_the_api_reads_is_a_400(
    client: FlaskClient, user: Account, field: str
) -> None:
    body = {"name": "ok", field: "a\u0000b"}
    answer = assert_error(client.post("/api/items", json=body, headers=user.headers), 400, field)
    assert answer["errors"][field] == "must not contain NUL characters"
    assert_error(client.post("/api/auth/login", json={"username": "\u0000", "password": "x"}), 400)


# --- idempotent replays -------------------------------------------------------------------------


def test_idempotent_replay_returns_the_original_etag(client: FlaskClient, user: Account) -> None:
    headers = {**user.headers, "Idempotency-Key": random_name("etag")}
    first = client.post("/api/items", json={"name": "tagged"}, headers=headers)
    assert first.status_code == 201 and first.headers["ETag"]
    replay = client.post("/api/items", json={"name": "tagged"}, headers=headers)
    assert replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.headers["ETag"] == first.headers["ETag"]
    assert replay.get_json() == first.get_json()
    # The tag is the item's: a conditional update with it succeeds.
    item_id = first.get_json()["id"]
    update = client.patch(
        f"/api/items/{item_id}",
        json={"name": "renamed"},
        headers={**user.headers, "If-Match": replay.headers["ETag"]},
    )
    assert update.status_code == 200


def test_replay_of_a_key_stored_before_headers_were_kept_still_works(
    app: Flask, client: FlaskClient, user: Account
) -> None:
    """Rows written by the previous release hold the bare body: replayed as before."""
    from sqlalchemy import select

    from models import IdempotencyKey, db

    headers = {**user.headers, "Idempotency-Key": "old-row"}
    first = client.post("/api/items", json={"name": "old"}, headers=headers)
    with app.app_context():
        row = db.session.scalar(select(IdempotencyKey).where(IdempotencyKey.key == "old-row"))
        row.response_body = json.dumps(first.get_json())
        db.session.commit()
    replay = client.post("/api/items", json={"name": "old"}, headers=headers)
    assert replay.status_code == 201 and replay.get_json() == first.get_json()
    assert "ETag" not in replay.headers


@pytest.mark.slow
def test_a_large_body_left_unread_closes_the_connection_it_was_sent_on(tmp_path: Any) -> None:
    """gunicorn drains at most 64 KiB of a body the app did not read before it reuses the
    connection. Past that it used to close it after saying `Connection: keep-alive`, and a
    pooled client's next request failed (`RemoteDisconnected`); now the answer says `close`."""

    json_type = {"Content-Type": "application/json"}
    too_large = b'{"name": "' + b"a" * (MAX_JSON_BYTES + 10) + b'"}'  # 413, read no further
    unread = b'{"name": "' + b"a" * 900_000 + b'"}'  # 401: no token, so never read
    with running_server(tmp_path / "server", workers=1, threads=2) as server:
        session = requests.Session()
        for _ in range(5):
            for path, body, status in (
                ("/api/auth/login", too_large, 413),
                ("/api/items", unread, 401),
            ):
                response = session.post(server.url + path, data=body, headers=json_type)
                assert response.status_code == status, response.text
                assert response.headers["Connection"] == "close"
                assert session.get(server.url + "/api/items?per_page=1").status_code == 200
        # A body gunicorn drains (or that was read) leaves the connection open.
        small = session.post(server.url + "/api/items", data=b'{"name": "x"}', headers=json_type)
        assert (small.status_code, small.headers["Connection"]) == (401, "keep-alive")
        chunked = session.post(
            server.url + "/api/auth/login",
            data=iter([b'{"username": "a", ', b'"password": "b"}']),
            headers=json_type,
        )
        assert (chunked.status_code, chunked.headers["Connection"]) == (401, "keep-alive")


def _stalled(url: str, head: bytes) -> socket.socket:
    """A connection that sent `head` (part of a request) and then nothing."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=30)
    sock.sendall(head)
    return sock


@pytest.mark.slow
def test_clients_that_stall_cannot_hold_every_thread(tmp_path: Any) -> None:
    """Slowloris: connections that sent part of a head (or a head and part of a body) and
    stalled held their threads for good, so 40 of them took the API offline. Now each is
    dropped after REQUEST_HEAD_TIMEOUT / REQUEST_READ_TIMEOUT and the API answers again."""
    deadlines = {"REQUEST_HEAD_TIMEOUT": "2", "REQUEST_READ_TIMEOUT": "1"}
    with running_server(tmp_path / "server", workers=1, threads=2, **deadlines) as server:
        half_heads = [b"GET /api/items HTTP/1.1\r\nHost: x\r\n"] * 3
        half_bodies = [
            b"POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100\r\n\r\n{"
        ] * 3
        stalled = [_stalled(server.url, head) for head in half_heads + half_bodies]
        try:
            started = time.monotonic()
            reply = call(server.url, "GET", "/api/health", timeout=30)
            assert reply.status == 200, reply.raw
            assert time.monotonic() - started < 15
            # A client trickling its head a byte a second is dropped at the head's deadline.
            trickle = _stalled(server.url, b"G")
            stalled.append(trickle)
            for byte in b"ET /api/items HTTP/1.1\r\n":
                time.sleep(0.5)
                try:
                    trickle.sendall(bytes([byte]))
                except OSError:
                    break  # closed by the server: what this test wants
            trickle.settimeout(5)
            assert trickle.recv(1024) == b""  # closed, with no request served
            # The stalled bodies got a 408 that says the connection closes, and it does.
            for sock in stalled[3:6]:
                answer = sock.recv(4096)
                assert answer.startswith(b"HTTP/1.1 408") and b"Connection: close" in answer
        finally:
            for sock in stalled:
                sock.close()
        assert "Traceback" not in server.log()


@pytest.mark.slow
def test_dropping_a_stalled_client_does_not_hold_the_worker(tmp_path: Any) -> None:
    """Dropping them costs the worker's main thread nothing: a keep-alive client asking twice
    a second while three stalled heads expire is answered at once every time. The first
    version waited out a read timeout per closing connection on that thread (which accepts,
    polls and beats the heartbeat): requests stalled, and with three the worker was killed."""
    deadlines = {"REQUEST_HEAD_TIMEOUT": "2", "REQUEST_READ_TIMEOUT": "2"}
    with running_server(tmp_path / "server", workers=1, threads=8, **deadlines) as server:
        head = b"GET /api/health HTTP/1.1\r\nHost: x\r\n"
        stalled = [_stalled(server.url, head) for _ in range(3)]
        try:
            session = requests.Session()
            for _ in range(12):
                started = time.monotonic()
                assert session.get(server.url + "/api/health", timeout=30).status_code == 200
                assert time.monotonic() - started < 1.5
                time.sleep(0.5)
        finally:
            for sock in stalled:
                sock.close()
        log = server.log()
        assert "Traceback" not in log and "WORKER TIMEOUT" not in log


@pytest.mark.slow
def test_new_connections_that_send_nothing_hold_no_thread(tmp_path: Any) -> None:
    """Each new connection used to wait for its first bytes in a thread, 5 s: three idle
    connections a second kept every thread busy. They wait in the poller now, and are closed
    after REQUEST_HEAD_TIMEOUT."""
    deadlines = {"REQUEST_HEAD_TIMEOUT": "3", "REQUEST_READ_TIMEOUT": "3"}
    with running_server(tmp_path / "server", workers=1, threads=2, **deadlines) as server:
        idle = [_stalled(server.url, b"") for _ in range(40)]
        try:
            for _ in range(3):
                reply = call(server.url, "GET", "/api/health", timeout=30)
                assert reply.status == 200 and reply.seconds < 1, (reply.status, reply.seconds)
            idle[0].settimeout(10)
            assert idle[0].recv(1024) == b""  # closed by the server, nothing served
        finally:
            for sock in idle:
                sock.close()
        assert "Traceback" not in server.log()


@pytest.mark.slow
def test_clients_that_never_read_their_answers_cannot_hold_every_thread(tmp_path: Any) -> None:
    """24 connections that pipelined requests for a large answer and never read held every
    thread for as long as they stayed open. Each write must now be taken within
    REQUEST_READ_TIMEOUT (plus its length at 64 KiB/s): past it the connection is dropped."""
    deadlines = {"REQUEST_HEAD_TIMEOUT": "2", "REQUEST_READ_TIMEOUT": "2"}
    with running_server(tmp_path / "server", workers=1, threads=2, **deadlines) as server:
        parts = urlsplit(server.url)
        readers = []
        for _ in range(6):
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect((parts.hostname, parts.port))
            sock.sendall(b"GET /api/openapi.json HTTP/1.1\r\nHost: x\r\n\r\n" * 10)
            readers.append(sock)
        try:
            time.sleep(1)  # every thread is writing to a client that does not read
            reply = call(server.url, "GET", "/api/health", timeout=30)
            assert reply.status == 200 and reply.seconds < 12, (reply.status, reply.seconds)
        finally:
            for sock in readers:
                sock.close()
        assert "Traceback" not in server.log()


@pytest.mark.parametrize("value", ["0", "-1", "600"])
def test_request_deadlines_outside_their_range_refuse_to_start(monkeypatch, value) -> None:
    """0 would drop every client; a deadline of minutes gives stalled clients the threads."""
    monkeypatch.setenv("REQUEST_HEAD_TIMEOUT", value)
    with pytest.raises(RuntimeError, match="REQUEST_HEAD_TIMEOUT must be more than 0"):
        server_settings()
