"""The object store goes down under the app (issue 19): uploads and downloads answer 503 with
`Retry-After` within seconds, never a 500 or a hang; nothing half-done survives; the app
recovers by itself when the store is back. A real S3 server (moto) is stopped and restarted.
"""

import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.factories import PNG_BYTES
from tests.helpers import Account, assert_error, download, register, stored_name, upload, uploaded
from tests.live import free_port
from tests.objectstore import S3Server, s3_server

pytestmark = pytest.mark.slow

QUICK = 10  # seconds: far below gunicorn's 30 s timeout


@pytest.fixture
def store() -> Iterator[S3Server]:
    """A server of this test's own, so stopping it disturbs no other test."""
    with s3_server(port=free_port()) as server:
        yield server


def health(client: FlaskClient) -> tuple[int, str, str]:
    response = client.get("/api/health")
    body = response.get_json()
    return response.status_code, body["status"], body["storage"]


def assert_store_unavailable(response: Any) -> None:
    body = assert_error(response, 503)
    assert body["error"] == "File storage is unavailable right now; retry shortly"
    assert int(response.headers["Retry-After"]) > 0


def test_store_down_then_back(app_factory: Callable[..., Flask], store: S3Server) -> None:
    bucket = store.new_bucket()
    app = app_factory(**store.config(bucket))
    client = app.test_client()
    account = register(client)
    before = uploaded(client, account, PNG_BYTES, "before.png")
    assert health(client) == (200, "healthy", "ok")

    store.server.stop()
    assert health(client) == (200, "degraded", "unreachable")  # health names the store
    started = time.monotonic()
    assert_store_unavailable(upload(client, account, b"during", "during.txt"))
    assert_store_unavailable(download(client, before["download_path"], account))
    assert_store_unavailable(client.delete(f"/api/upload/{before['id']}", headers=account.headers))
    assert time.monotonic() - started < 3 * QUICK
    # Metadata lives in the database: still there, and the failed delete changed nothing.
    listed = client.get("/api/me/uploads", headers=account.headers).get_json()
    assert [u["id"] for u in listed["items"]] == [before["id"]]
    assert client.get(f"/api/upload/{before['id']}", headers=account.headers).status_code == 200
    purge = app.test_cli_runner().invoke(args=["purge-uploads", "--grace-minutes", "0"])
    assert purge.exit_code == 1
    assert "storage unavailable" in purge.output

    store.server.start()  # same port: the app reconnects by itself
    assert health(client) == (200, "healthy", "ok")
    assert download(client, before["download_path"], account).data == PNG_BYTES
    after = uploaded(client, account, b"after", "after.txt")
    assert store.keys(bucket) == {stored_name(before), stored_name(after)}
    purge = app.test_cli_runner().invoke(args=["purge-uploads", "--grace-minutes", "0"])
    assert purge.exit_code == 0, purge.output
    assert "0 objects without a row, 0 rows without an object" in purge.output
    assert client.delete(f"/api/upload/{before['id']}", headers=account.headers).status_code == 204
    assert store.keys(bucket) == {stored_name(after)}


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    """A port that accepts connections (kernel backlog) and never answers: a hung store."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_hung_store_is_503_within_the_timeouts(
    app_factory: Callable[..., Flask], store: S3Server, silent_endpoint: str
) -> None:
    config = store.config("bucket", S3_ENDPOINT_URL=silent_endpoint, S3_READ_TIMEOUT=1.0)
    app = app_factory(**config)
    client: FlaskClient = app.test_client()
    account: Account = register(client)
    started = time.monotonic()
    assert_store_unavailable(upload(client, account, b"hello", "a.txt"))
    assert time.monotonic() - started < QUICK
    assert client.get("/api/me/uploads", headers=account.headers).get_json()["total"] == 0
    started = time.monotonic()  # a hung store: health still answers at once, naming it
    assert health(client) == (200, "degraded", "unreachable")
    assert time.monotonic() - started < 2.5
