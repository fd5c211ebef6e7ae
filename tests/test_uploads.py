"""Uploads through HTTP: `POST /api/upload` and `GET /api/uploads/<filename>`."""

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from tests.conftest import Account, register

UPLOAD_FIELDS = {"id", "filename", "url", "size", "content_type"}
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
MB = 1024 * 1024


def upload(
    client: FlaskClient,
    account: Account | None,
    content: bytes = b"hello",
    filename: str = "a.txt",
    field: str = "file",
) -> Any:
    """Multipart upload, encoded in memory (the test client's own encoder spills big bodies
    to a temporary file it never closes)."""
    headers = account.headers if account else {}
    boundary, body = encode_multipart(
        MultiDict({field: FileStorage(io.BytesIO(content), filename=filename)})
    )
    return client.post(
        "/api/upload",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
        headers=headers,
    )


def download(client: FlaskClient, url: str, account: Account | None) -> Any:
    """GET a stored file; `buffered` reads the body and closes the file handle."""
    return client.get(url, headers=account.headers if account else {}, buffered=True)


def assert_error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.data[:500]
    assert response.is_json, response.data[:500]
    body = response.get_json()
    assert isinstance(body.get("error"), str) and body["error"]
    return body


def stored_files(app: Flask) -> set[str]:
    folder = Path(app.config["UPLOAD_FOLDER"])
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def stored_name(body: dict[str, Any]) -> str:
    url = body["url"]
    assert url.startswith("/api/uploads/")
    return url.rsplit("/", 1)[-1]


class TestUpload:
    def test_upload_returns_201_and_metadata(
        self, app: Flask, client: FlaskClient, user: Account
    ) -> None:
        response = upload(client, user, PNG_BYTES, "photo.png")
        assert response.status_code == 201
        body = response.get_json()
        assert UPLOAD_FIELDS <= set(body)
        assert isinstance(body["id"], int) and not isinstance(body["id"], bool)
        assert body["filename"] == "photo.png"
        assert body["size"] == len(PNG_BYTES)
        assert body["content_type"] == "image/png"
        name = stored_name(body)
        assert name != "photo.png"
        assert name.endswith(".png")
        assert stored_files(app) == {name}
        assert (Path(app.config["UPLOAD_FOLDER"]) / name).read_bytes() == PNG_BYTES

    @pytest.mark.parametrize(
        ("filename", "content_type"),
        [
            ("doc.pdf", "application/pdf"),
            ("notes.txt", "text/plain"),
            ("table.csv", "text/csv"),
            ("data.json", "application/json"),
            ("pic.JPG", "image/jpeg"),
            ("pic.jpeg", "image/jpeg"),
            ("anim.gif", "image/gif"),
            ("img.webp", "image/webp"),
            ("bundle.zip", "application/zip"),
        ],
    )
    def test_allowed_types(
        self, client: FlaskClient, user: Account, filename: str, content_type: str
    ) -> None:
        response = upload(client, user, b"content", filename)
        assert response.status_code == 201, response.get_json()
        body = response.get_json()
        assert body["filename"] == filename
        assert body["content_type"] == content_type
        assert body["size"] == 7

    def test_same_name_twice_never_overwrites(
        self, app: Flask, client: FlaskClient, user: Account
    ) -> None:
        first = upload(client, user, b"first content", "a.png")
        second = upload(client, user, b"second!", "a.png")
        assert first.status_code == second.status_code == 201
        one, two = first.get_json(), second.get_json()
        assert one["url"] != two["url"]
        assert one["id"] != two["id"]
        assert one["filename"] == two["filename"] == "a.png"
        assert stored_files(app) == {stored_name(one), stored_name(two)}

        got_one = download(client, one["url"], user)
        got_two = download(client, two["url"], user)
        assert got_one.status_code == got_two.status_code == 200
        assert got_one.data == b"first content"
        assert got_two.data == b"second!"

    @pytest.mark.parametrize(
        "filename",
        [
            "../../etc/passwd.txt",
            "..\\..\\windows\\evil.txt",
            "/etc/passwd.txt",
            "....//....//x.txt",
            "sub/dir/../../../y.txt",
        ],
    )
    def test_path_traversal_is_sanitised(
        self, app: Flask, client: FlaskClient, user: Account, tmp_path: Path, filename: str
    ) -> None:
        response = upload(client, user, b"payload", filename)
        assert response.status_code == 201
        body = response.get_json()
        assert "/" not in body["filename"]
        assert "\\" not in body["filename"]
        assert not body["filename"].startswith(".")
        assert body["filename"].endswith(".txt")
        name = stored_name(body)
        assert "/" not in name and ".." not in name
        folder = Path(app.config["UPLOAD_FOLDER"]).resolve()
        assert stored_files(app) == {name}
        assert (folder / name).read_bytes() == b"payload"
        # nothing was written outside the upload folder
        assert not (tmp_path / "etc").exists()
        assert not (folder.parent.parent / "etc" / "passwd.txt").exists()
        assert not Path("/etc/passwd.txt").exists()

        fetched = download(client, body["url"], user)
        assert fetched.status_code == 200
        assert fetched.data == b"payload"

    @pytest.mark.parametrize("filename", ["résumé.pdf", "文件.txt", "😀 party.png", "Ωmega.csv"])
    def test_unicode_filename(
        self, app: Flask, client: FlaskClient, user: Account, filename: str
    ) -> None:
        response = upload(client, user, b"unicode body", filename)
        assert response.status_code == 201
        body = response.get_json()
        extension = filename.rsplit(".", 1)[1]
        assert body["filename"].endswith(f".{extension}")
        assert len(body["filename"]) > len(extension) + 1
        assert "/" not in body["filename"]
        assert stored_files(app) == {stored_name(body)}
        fetched = download(client, body["url"], user)
        assert fetched.status_code == 200
        assert fetched.data == b"unicode body"

    def test_unicode_filename_keeps_ascii_transliteration(
        self, client: FlaskClient, user: Account
    ) -> None:
        body = upload(client, user, b"x", "résumé.pdf").get_json()
        assert body["filename"] == "resume.pdf"

    @pytest.mark.parametrize(
        "filename", ["virus.exe", "page.html", "README", "script.js", "a.png.exe", "x.svg", "."]
    )
    def test_disallowed_type_is_415(
        self, app: Flask, client: FlaskClient, user: Account, filename: str
    ) -> None:
        response = upload(client, user, b"MZ\x90\x00", filename)
        assert_error(response, 415)
        assert stored_files(app) == set()

    def test_no_file_is_400(self, client: FlaskClient, user: Account) -> None:
        response = client.post(
            "/api/upload", data={}, content_type="multipart/form-data", headers=user.headers
        )
        body = assert_error(response, 400)
        assert "file" in body.get("errors", {})

    def test_no_body_is_400(self, client: FlaskClient, user: Account) -> None:
        assert_error(client.post("/api/upload", headers=user.headers), 400)

    def test_wrong_field_name_is_400(self, app: Flask, client: FlaskClient, user: Account) -> None:
        response = upload(client, user, b"data", "a.txt", field="document")
        body = assert_error(response, 400)
        assert "file" in body.get("errors", {})
        assert stored_files(app) == set()

    def test_plain_form_field_is_400(self, client: FlaskClient, user: Account) -> None:
        response = client.post(
            "/api/upload",
            data={"file": "just a string"},
            content_type="multipart/form-data",
            headers=user.headers,
        )
        assert_error(response, 400)

    def test_json_body_is_400(self, client: FlaskClient, user: Account) -> None:
        response = client.post("/api/upload", json={"file": "aGVsbG8="}, headers=user.headers)
        assert_error(response, 400)

    def test_empty_filename_is_400(self, app: Flask, client: FlaskClient, user: Account) -> None:
        response = upload(client, user, b"data", "")
        assert_error(response, 400)
        assert stored_files(app) == set()

    def test_empty_file_is_accepted(self, app: Flask, client: FlaskClient, user: Account) -> None:
        response = upload(client, user, b"", "empty.txt")
        assert response.status_code == 201
        body = response.get_json()
        assert body["size"] == 0
        assert body["filename"] == "empty.txt"
        # (not downloaded: openapi-core treats an empty 200 body as missing data)
        assert (Path(app.config["UPLOAD_FOLDER"]) / stored_name(body)).read_bytes() == b""

    def test_anonymous_is_401(self, app: Flask, client: FlaskClient) -> None:
        assert_error(upload(client, None, b"data", "a.txt"), 401)
        assert stored_files(app) == set()

    def test_invalid_token_is_401(self, app: Flask, client: FlaskClient) -> None:
        response = client.post(
            "/api/upload",
            data={"file": (io.BytesIO(b"data"), "a.txt")},
            content_type="multipart/form-data",
            headers={"Authorization": "Bearer nope"},
        )
        assert_error(response, 401)
        assert stored_files(app) == set()


class TestUploadSizeLimit:
    @pytest.fixture
    def small_app(self, app_factory: Callable[..., Flask]) -> Flask:
        return app_factory(MAX_UPLOAD_MB=1)

    @pytest.fixture
    def small_client(self, small_app: Flask) -> FlaskClient:
        return small_app.test_client()

    @pytest.fixture
    def small_user(self, small_client: FlaskClient) -> Account:
        return register(small_client)

    def test_over_the_limit_is_413_json(
        self, small_app: Flask, small_client: FlaskClient, small_user: Account
    ) -> None:
        response = upload(small_client, small_user, b"x" * int(1.2 * MB), "big.txt")
        assert_error(response, 413)
        assert stored_files(small_app) == set()

    def test_one_byte_over_the_limit_is_413(
        self, small_app: Flask, small_client: FlaskClient, small_user: Account
    ) -> None:
        response = upload(small_client, small_user, b"x" * (MB + 1), "big.txt")
        assert_error(response, 413)
        assert stored_files(small_app) == set()

    def test_far_over_the_limit_is_413(
        self, small_app: Flask, small_client: FlaskClient, small_user: Account
    ) -> None:
        response = upload(small_client, small_user, b"x" * (3 * MB), "big.txt")
        assert_error(response, 413)
        assert stored_files(small_app) == set()

    def test_exactly_the_limit_is_accepted(
        self, small_app: Flask, small_client: FlaskClient, small_user: Account
    ) -> None:
        content = b"y" * MB
        response = upload(small_client, small_user, content, "exact.txt")
        assert response.status_code == 201, response.get_json()
        body = response.get_json()
        assert body["size"] == MB
        fetched = download(small_client, body["url"], small_user)
        assert fetched.status_code == 200
        assert fetched.data == content

    def test_large_upload_under_default_limit(
        self, app: Flask, client: FlaskClient, user: Account
    ) -> None:
        # The 1 MB cap on JSON bodies must not apply to the upload route.
        content = b"z" * (2 * MB)
        response = upload(client, user, content, "two-mb.txt")
        assert response.status_code == 201, response.get_json()
        assert response.get_json()["size"] == 2 * MB


class TestDownload:
    def test_owner_gets_exact_bytes_and_nosniff(self, client: FlaskClient, user: Account) -> None:
        body = upload(client, user, PNG_BYTES, "a.png").get_json()
        response = download(client, body["url"], user)
        assert response.status_code == 200
        assert response.data == PNG_BYTES
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.mimetype == "image/png"

    def test_text_file_download(self, client: FlaskClient, user: Account) -> None:
        content = b"<script>alert(1)</script>"
        body = upload(client, user, content, "notes.txt").get_json()
        response = download(client, body["url"], user)
        assert response.status_code == 200
        assert response.data == content
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.mimetype == "text/plain"
        assert "html" not in response.content_type

    def test_other_user_is_403(
        self, client: FlaskClient, user: Account, other_user: Account
    ) -> None:
        body = upload(client, user, b"secret", "s.txt").get_json()
        response = download(client, body["url"], other_user)
        error = assert_error(response, 403)
        assert b"secret" not in response.data
        assert "secret" not in error["error"]

    def test_admin_can_download(self, client: FlaskClient, user: Account, admin: Account) -> None:
        body = upload(client, user, b"for admin eyes", "s.txt").get_json()
        response = download(client, body["url"], admin)
        assert response.status_code == 200
        assert response.data == b"for admin eyes"
        assert response.headers["X-Content-Type-Options"] == "nosniff"

    def test_anonymous_is_401(self, client: FlaskClient, user: Account) -> None:
        body = upload(client, user, b"secret", "s.txt").get_json()
        response = download(client, body["url"], None)
        assert_error(response, 401)
        assert b"secret" not in response.data

    @pytest.mark.parametrize("name", ["nope.png", "0123456789abcdef.txt", "a.png"])
    def test_absent_is_404(self, client: FlaskClient, user: Account, name: str) -> None:
        upload(client, user, b"x", "a.png")  # original names are not addressable
        assert_error(download(client, f"/api/uploads/{name}", user), 404)

    def test_file_missing_on_disk_is_404(
        self, app: Flask, client: FlaskClient, user: Account
    ) -> None:
        body = upload(client, user, b"x", "a.png").get_json()
        (Path(app.config["UPLOAD_FOLDER"]) / stored_name(body)).unlink()
        assert_error(download(client, body["url"], user), 404)

    @pytest.mark.parametrize(
        "path",
        [
            "/api/uploads/..%2F..%2Fetc%2Fpasswd",
            "/api/uploads/../../etc/passwd",
            "/api/uploads/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
            "/api/uploads/..%5C..%5Cetc%5Cpasswd",
            "/api/uploads/%2Fetc%2Fpasswd",
            "/api/uploads/..",
        ],
    )
    def test_traversal_never_leaks_a_file(
        self, client: FlaskClient, user: Account, admin: Account, path: str
    ) -> None:
        for account in (user, admin):
            response = download(client, path, account)
            assert response.status_code in (400, 404), (path, response.status_code)
            assert response.is_json
            assert "error" in response.get_json()
            assert b"root:" not in response.data

    def test_traversal_to_a_real_file_outside_the_folder(
        self, app: Flask, client: FlaskClient, admin: Account
    ) -> None:
        secret = Path(app.config["UPLOAD_FOLDER"]).parent / "secret.txt"
        secret.write_bytes(b"TOP SECRET")
        for path in ("/api/uploads/..%2Fsecret.txt", "/api/uploads/../secret.txt"):
            response = download(client, path, admin)
            assert response.status_code in (400, 404)
            assert b"TOP SECRET" not in response.data
