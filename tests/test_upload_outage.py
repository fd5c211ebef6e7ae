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
from tests.helpers import (
    ADMIN,
    Account,
    assert_error,
    download,
    login,
    register,
    stored_name,
    upload,
    uploaded,
)
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
    assert time.monotonic() - started < 2 * QUICK
    # Metadata lives in the database: still there (a failed delete: test_a_failed_delete_...).
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


def test_a_failed_delete_stays_a_deletion_that_a_retry_or_purge_finishes(
    app_factory: Callable[..., Flask], store: S3Server
) -> None:
    """A store that timed out may still carry out the DeleteObject: the row must not come back
    as a live upload whose object is gone."""
    bucket = store.new_bucket()
    app = app_factory(**store.config(bucket))
    client = app.test_client()
    account = register(client)
    retried, purged = (uploaded(client, account, PNG_BYTES, f"{n}.png") for n in "ab")
    kept = uploaded(client, account, b"kept", "kept.txt")

    store.server.stop()
    started = time.monotonic()
    for doomed in (retried, purged):
        deleting = client.delete(f"/api/upload/{doomed['id']}", headers=account.headers)
        assert_store_unavailable(deleting)
    assert time.monotonic() - started < 2 * QUICK
    listed = client.get("/api/me/uploads", headers=account.headers).get_json()
    assert [u["id"] for u in listed["items"]] == [kept["id"]]
    for doomed in (retried, purged):
        assert_error(client.get(f"/api/upload/{doomed['id']}", headers=account.headers), 404)
        assert_error(download(client, doomed["download_path"], account), 404)

    store.server.start()
    store.client().delete_object(Bucket=bucket, Key=stored_name(retried))  # done late
    again = client.delete(f"/api/upload/{retried['id']}", headers=account.headers)
    assert_error(again, 404)  # as any second delete: it was deleted already; now it is finished
    assert store.keys(bucket) == {stored_name(purged), stored_name(kept)}
    purge = app.test_cli_runner().invoke(args=["purge-uploads", "--grace-minutes", "0"])
    assert purge.exit_code == 0, purge.output
    assert "Removed 1 interrupted deletions" in purge.output
    assert store.keys(bucket) == {stored_name(kept)}
    assert client.get("/api/me/uploads", headers=account.headers).get_json()["total"] == 1
    admin = login(client, ADMIN["username"], ADMIN["password"])
    audit = client.get("/api/admin/audit?action=upload.delete", headers=admin.headers)
    audited = sorted(int(e["target_id"]) for e in audit.get_json()["items"])
    assert audited == sorted([retried["id"], purged["id"]])  # each once, when it was asked for


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
