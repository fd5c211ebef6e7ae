"""Direct-to-store uploads (optional part of issue 14): a presigned POST to the object store,
then `completeDirectUpload`, which checks size, content and quota. Against moto's S3 server."""

import base64
import hashlib
import io
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from tests.factories import PNG_BYTES
from tests.helpers import Account, assert_error, fetch_link, race, register
from tests.objectstore import S3Server

pytestmark = pytest.mark.slow


@pytest.fixture
def bucket(s3_server: S3Server) -> str:
    return s3_server.new_bucket()


@pytest.fixture
def app(app_factory: Callable[..., Flask], s3_server: S3Server, bucket: str) -> Flask:
    return app_factory(**s3_server.config(bucket))


def start(client: FlaskClient, account: Account, filename: str, size: int) -> Any:
    return client.post(
        "/api/upload/direct", json={"filename": filename, "size": size}, headers=account.headers
    )


def post_to_store(ticket: dict[str, Any], content: bytes, filename: str = "f") -> int:
    """What a browser form does: the policy fields first, then the file."""
    form = MultiDict(list(ticket["fields"].items()))
    form.add("file", FileStorage(io.BytesIO(content), filename=filename))
    boundary, body = encode_multipart(form)
    request = urllib.request.Request(
        ticket["url"],
        data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def complete(client: FlaskClient, account: Account, token: str) -> Any:
    return client.post(
        "/api/upload/direct/complete", json={"token": token}, headers=account.headers
    )


def test_direct_upload_end_to_end(
    client: FlaskClient, user: Account, s3_server: S3Server, bucket: str
) -> None:
    content = b"id,value\n" + b"1,2\n" * 50_000
    response = start(client, user, "data.csv", len(content))
    assert response.status_code == 200, response.get_json()
    ticket = response.get_json()
    assert ticket["url"].startswith(s3_server.url)
    assert ticket["fields"]["Content-Type"] == "text/csv"
    assert post_to_store(ticket, content) in (200, 201, 204)

    done = complete(client, user, ticket["token"])
    assert done.status_code == 201, done.get_json()
    upload = done.get_json()
    assert (upload["filename"], upload["size"]) == ("data.csv", len(content))
    assert upload["sha256"] == hashlib.sha256(content).hexdigest()
    assert fetch_link(client, upload["url"])[:2] == (200, content)
    listed = client.get("/api/me/uploads", headers=user.headers).get_json()
    assert [u["id"] for u in listed["items"]] == [upload["id"]]

    again = complete(client, user, ticket["token"])
    assert again.status_code == 200
    assert again.get_json()["id"] == upload["id"]
    # The store keeps one object: the upload's own copy, not the staging object it came from.
    assert s3_server.keys(bucket) == {upload["download_path"].rsplit("/", 1)[1]}


def test_a_store_post_sent_again_after_complete_changes_nothing(
    client: FlaskClient, user: Account, s3_server: S3Server, bucket: str
) -> None:
    ticket = start(client, user, "photo.png", len(PNG_BYTES)).get_json()
    assert post_to_store(ticket, PNG_BYTES) in (200, 201, 204)
    upload = complete(client, user, ticket["token"]).get_json()
    html = b"<!doctype html><script>alert(1)</script>".ljust(len(PNG_BYTES), b" ")
    post_to_store(ticket, html)  # the policy still lives: the store may take it

    fresh = client.get(f"/api/upload/{upload['id']}", headers=user.headers).get_json()
    assert (fresh["size"], fresh["sha256"]) == (len(PNG_BYTES), upload["sha256"])
    assert fetch_link(client, fresh["url"])[:2] == (200, PNG_BYTES)
    downloaded = client.get(upload["download_path"], headers=user.headers, buffered=True)
    assert downloaded.data == PNG_BYTES


def test_the_store_takes_no_more_than_the_declared_size(
    client: FlaskClient, user: Account, s3_server: S3Server, bucket: str
) -> None:
    ticket = start(client, user, "notes.txt", 10).get_json()
    conditions = ticket["fields"]["policy"]
    policy = json.loads(base64.b64decode(conditions))
    assert ["content-length-range", 0, 10] in policy["conditions"]


@pytest.mark.parametrize("round_", range(3))
def test_concurrent_completes_give_one_upload(
    app_factory: Callable[..., Flask],
    s3_server: S3Server,
    bucket: str,
    shared_database_url: str,
    round_: int,
) -> None:
    app = app_factory(
        SQLALCHEMY_DATABASE_URI=shared_database_url,
        RATELIMIT_ENABLED=False,
        **s3_server.config(bucket),
    )
    account = register(app.test_client())
    ticket = start(app.test_client(), account, "photo.png", len(PNG_BYTES)).get_json()
    post_to_store(ticket, PNG_BYTES)

    def finish() -> tuple[int, Any]:
        response = complete(app.test_client(), account, ticket["token"])
        return response.status_code, response.get_json()

    answers = race(*[finish] * 6)
    assert sorted(status for status, _ in answers) == [200] * 5 + [201], answers
    assert len({body["id"] for _, body in answers}) == 1
    assert s3_server.keys(bucket) == {answers[0][1]["download_path"].rsplit("/", 1)[1]}


def test_content_not_matching_the_extension_is_refused_and_deleted(
    client: FlaskClient, user: Account, s3_server: S3Server, bucket: str
) -> None:
    html = b"<!DOCTYPE html><script>alert(1)</script>"
    ticket = start(client, user, "photo.png", len(html)).get_json()
    post_to_store(ticket, html)
    assert assert_error(complete(client, user, ticket["token"]), 415)["errors"]["file"]
    assert s3_server.keys(bucket) == set()


def test_more_than_declared_over_the_limit_is_413_and_deleted(
    app_factory: Callable[..., Flask], s3_server: S3Server, bucket: str
) -> None:
    app = app_factory(MAX_UPLOAD_MB=1, **s3_server.config(bucket))
    client = app.test_client()
    account = register(client)
    ticket = start(client, account, "big.txt", 10).get_json()
    status = post_to_store(ticket, b"x" * (1024 * 1024 + 1))
    if status >= 400:  # the store enforced the policy itself
        assert s3_server.keys(bucket) == set()
        return
    assert_error(complete(client, account, ticket["token"]), 413)
    assert s3_server.keys(bucket) == set()


def test_more_than_declared_under_the_limit_is_413_and_deleted(
    client: FlaskClient, user: Account, s3_server: S3Server, bucket: str
) -> None:
    """The quota was checked for the declared size: a bigger object is refused at completion
    even where the store does not enforce the POST policy (moto does not)."""
    ticket = start(client, user, "notes.txt", 10).get_json()
    status = post_to_store(ticket, b"x" * 5_000)
    if status >= 400:  # the store enforced the policy itself
        assert s3_server.keys(bucket) == set()
        return
    body = assert_error(complete(client, user, ticket["token"]), 413)
    assert "10 bytes declared" in body["error"]
    assert s3_server.keys(bucket) == set()
    assert client.get("/api/me/uploads", headers=user.headers).get_json()["total"] == 0


def test_tokens_are_bound_to_their_user_and_unforgeable(
    client: FlaskClient, user: Account, other_user: Account
) -> None:
    ticket = start(client, user, "a.png", len(PNG_BYTES)).get_json()
    post_to_store(ticket, PNG_BYTES)
    assert_error(complete(client, other_user, ticket["token"]), 403)
    payload, _, signature = ticket["token"].partition(".")
    assert_error(complete(client, user, f"{payload}.{'0' * len(signature)}"), 400)
    assert_error(complete(client, user, "not-a-token"), 400)
    assert complete(client, user, ticket["token"]).status_code == 201


def test_complete_before_uploading_is_409(client: FlaskClient, user: Account) -> None:
    ticket = start(client, user, "a.png", 10).get_json()
    assert_error(complete(client, user, ticket["token"]), 409)


@pytest.mark.parametrize(
    ("filename", "size", "status"),
    [("a.exe", 10, 415), ("README", 10, 415), ("a.png", 17 * 1024 * 1024, 413), ("", 1, 400)],
)
def test_start_checks_name_and_size(
    client: FlaskClient, user: Account, filename: str, size: int, status: int
) -> None:
    assert_error(start(client, user, filename, size), status)


def test_start_checks_the_quota(
    app_factory: Callable[..., Flask], s3_server: S3Server, bucket: str
) -> None:
    app = app_factory(UPLOAD_QUOTA_MB=1, **s3_server.config(bucket))
    client = app.test_client()
    account = register(client)
    body = assert_error(start(client, account, "a.zip", 2 * 1024 * 1024), 409)
    assert body["error"] == "Upload quota exceeded"


def test_starts_count_against_the_upload_limit(
    app_factory: Callable[..., Flask], s3_server: S3Server, bucket: str
) -> None:
    """Each start lets a file into the store's staging area (counted against the quota only
    when completed): without the upload limit, a client could stage files as fast as it sends."""
    client = app_factory(**s3_server.config(bucket), UPLOAD_RATE_LIMIT="2 per minute").test_client()
    account = register(client)
    statuses = [start(client, account, f"f{n}.txt", 10).status_code for n in range(3)]
    assert statuses == [200, 200, 429], statuses


def test_local_backend_has_no_direct_uploads(app_factory: Callable[..., Flask]) -> None:
    app = app_factory()
    client = app.test_client()
    account = register(client)
    body = assert_error(start(client, account, "a.png", 10), 409)
    assert "STORAGE_BACKEND=s3" in body["error"]
