"""Uploads through HTTP, on both storage backends (the local folder and an S3 server).

`POST /api/upload`, `GET|DELETE /api/upload/<id>`, `GET /api/me/uploads`,
`GET /api/admin/uploads` and `GET /api/uploads/<stored name>` (token or signed link).
The `s3` runs use moto's S3 server on loopback (`s3_server` fixture), never a mock of boto3.
"""

import io
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from api.storage import signing, storage
from models import Upload, db, utcnow
from tests.factories import PNG_BYTES
from tests.helpers import (
    Account,
    assert_error,
    download,
    fetch_link,
    register,
    stored_name,
    upload,
    uploaded,
)

UPLOAD_FIELDS = {
    "id", "user_id", "filename", "url", "url_expires_at", "download_path", "size",
    "content_type", "sha256", "created_at",
}  # fmt: skip
MB = 1024 * 1024
NO_FILE_SENTENCE = "Send the file as a multipart/form-data field named 'file'."


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", "hello")
    return buffer.getvalue()


# A real sample of each allowed type: the content must match the extension.
SAMPLES = {
    "pdf": (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "application/pdf"),
    "txt": (b"plain notes\n", "text/plain"),
    "csv": (b"a,b\n1,2\n", "text/csv"),
    "json": (b'{"a": 1}', "application/json"),
    "png": (PNG_BYTES, "image/png"),
    "jpg": (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64, "image/jpeg"),
    "jpeg": (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64, "image/jpeg"),
    "gif": (b"GIF89a" + b"\x00" * 64, "image/gif"),
    "webp": (b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 64, "image/webp"),
    "zip": (_zip_bytes(), "application/zip"),
}


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.slow)])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def storage_config(backend: str, request: pytest.FixtureRequest) -> dict[str, Any]:
    if backend == "local":
        return {}
    server = request.getfixturevalue("s3_server")
    return server.config(server.new_bucket())


@pytest.fixture
def app(app_factory: Callable[..., Flask], storage_config: dict[str, Any]) -> Flask:
    return app_factory(**storage_config)


def stored_objects(app: Flask) -> set[str]:
    """Every object the configured backend holds (partial writes included)."""
    with app.app_context():
        return {info.key for info in storage(app).list()}


def stored_bytes(app: Flask, key: str) -> bytes:
    with app.app_context():
        return b"".join(storage(app).open(key))


def local_files(app: Flask) -> set[str]:
    folder = Path(app.config["UPLOAD_FOLDER"])
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


class TestUpload:
    def test_upload_returns_201_and_metadata(
        self, app: Flask, client: FlaskClient, user: Account
    ) -> None:
        import hashlib

        response = upload(client, user, PNG_BYTES, "photo.png")
        assert response.status_code == 201
        body = response.get_json()
        assert UPLOAD_FIELDS <= set(body)
        assert isinstance(body["id"], int) and not isinstance(body["id"], bool)
        assert body["user_id"] == user.id
        assert body["filename"] == "photo.png"
        assert body["size"] == len(PNG_BYTES)
        assert body["sha256"] == hashlib.sha256(PNG_BYTES).hexdigest()
        assert body["content_type"] == "image/png"
        name = stored_name(body)
        assert name != "photo.png"
        assert name.endswith(".png")
        assert stored_objects(app) == {name}
        assert stored_bytes(app, name) == PNG_BYTES

    def test_s3_backend_leaves_the_upload_folder_empty(
        self, app: Flask, client: FlaskClient, user: Account, backend: str
    ) -> None:
        body = uploaded(client, user, PNG_BYTES, "photo.png")
        assert local_files(app) == (set() if backend == "s3" else {stored_name(body)})

    @pytest.mark.parametrize("extension", sorted(SAMPLES))
    def test_allowed_types(self, client: FlaskClient, user: Account, extension: str) -> None:
        content, content_type = SAMPLES[extension]
        body = uploaded(client, user, content, f"file.{extension}")
        assert body["filename"] == f"file.{extension}"
        assert body["content_type"] == content_type
        assert body["size"] == len(content)

    def test_uppercase_extension(self, client: FlaskClient, user: Account) -> None:
        body = uploaded(client, user, SAMPLES["jpg"][0], "pic.JPG")
        assert (body["filename"], body["content_type"]) == ("pic.JPG", "image/jpeg")

    def test_same_name_twice_never_overwrites(
        self, app: Flask, client: FlaskClient, user: Account
    ) -> None:
        one = uploaded(client, user, b"first content", "a.txt")
        two = uploaded(client, user, b"second!", "a.txt")
        assert one["url"] != two["url"]
        assert one["id"] != two["id"]
        assert one["filename"] == two["filename"] == "a.txt"
        assert stored_objects(app) == {stored_name(one), stored_name(two)}
        assert download(client, one["download_path"], user).data == b"first content"
        assert download(client, two["download_path"], user).data == b"second!"

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
        body = uploaded(client, user, b"payload", filename)
        assert "/" not in body["filename"]
        assert "\\" not in body["filename"]
        assert not body["filename"].startswith(".")
        assert body["filename"].endswith(".txt")
        name = stored_name(body)
        assert "/" not in name and ".." not in name
        assert stored_objects(app) == {name}
        assert stored_bytes(app, name) == b"payload"
        # nothing was written outside the upload folder
        assert not (tmp_path / "etc").exists()
        assert not Path("/etc/passwd.txt").exists()
        fetched = download(client, body["download_path"], user)
        assert (fetched.status_code, fetched.data) == (200, b"payload")

    @pytest.mark.parametrize("filename", ["résumé.pdf", "文件.txt", "😀 party.png", "Ωmega.csv"])
    def test_unicode_filename(
        self, app: Flask, client: FlaskClient, user: Account, filename: str
    ) -> None:
        extension = filename.rsplit(".", 1)[1]
        content = SAMPLES[extension][0]
        body = uploaded(client, user, content, filename)
        assert body["filename"].endswith(f".{extension}")
        assert len(body["filename"]) > len(extension) + 1
        assert "/" not in body["filename"]
        assert stored_objects(app) == {stored_name(body)}
        fetched = download(client, body["download_path"], user)
        assert (fetched.status_code, fetched.data) == (200, content)

    @pytest.mark.parametrize("extension", ["pdf", "PDF", "json"])
    def test_long_name_is_shortened_before_its_extension(
        self, client: FlaskClient, user: Account, extension: str
    ) -> None:
        stem = "quarterly-report-" + "x" * 300
        content = SAMPLES[extension.lower()][0]
        body = uploaded(client, user, content, f"{stem}.{extension}")
        assert len(body["filename"]) == 200
        assert body["filename"] == f"{stem[: 199 - len(extension)]}.{extension}"

    def test_unicode_filename_keeps_ascii_transliteration(
        self, client: FlaskClient, user: Account
    ) -> None:
        body = uploaded(client, user, SAMPLES["pdf"][0], "résumé.pdf")
        assert body["filename"] == "resume.pdf"

    @pytest.mark.parametrize(
        "filename", ["virus.exe", "page.html", "script.js", "a.png.exe", "x.svg"]
    )
    def test_disallowed_type_is_415(
        self, app: Flask, client: FlaskClient, user: Account, filename: str
    ) -> None:
        body = assert_error(upload(client, user, b"MZ\x90\x00", filename), 415)
        extension = filename.rsplit(".", 1)[1]
        assert body["error"] == f"File type '.{extension}' is not allowed"
        assert "png" in body["errors"]["file"]
        assert stored_objects(app) == set()

    @pytest.mark.parametrize("filename", ["README", ".", "archive.", "no extension here"])
    def test_missing_extension_says_what_is_missing(
        self, app: Flask, client: FlaskClient, user: Account, filename: str
    ) -> None:
        """Issue 18.3: not "File type '.' is not allowed", but what is missing."""
        body = assert_error(upload(client, user, b"data", filename), 415)
        assert body["error"] == "The file name has no extension"
        assert "'.'" not in body["error"]
        assert "extension" in body["errors"]["file"]
        assert stored_objects(app) == set()

    def test_no_file_is_400_with_one_plain_sentence(
        self, client: FlaskClient, user: Account
    ) -> None:
        """Issue 20.6: no `file` field says what is missing, in `errors.file`."""
        response = client.post(
            "/api/upload", data={}, content_type="multipart/form-data", headers=user.headers
        )
        body = assert_error(response, 400)
        assert body["errors"] == {"file": NO_FILE_SENTENCE}
        assert "Missing required parameter" not in response.get_data(as_text=True)

    def test_no_body_is_400(self, client: FlaskClient, user: Account) -> None:
        body = assert_error(client.post("/api/upload", headers=user.headers), 400)
        assert body["errors"] == {"file": NO_FILE_SENTENCE}

    def test_wrong_field_name_is_400(self, app: Flask, client: FlaskClient, user: Account) -> None:
        response = upload(client, user, b"data", "a.txt", field="document")
        body = assert_error(response, 400)
        assert body["errors"] == {"file": NO_FILE_SENTENCE}
        assert stored_objects(app) == set()

    def test_plain_form_field_is_400(self, client: FlaskClient, user: Account) -> None:
        response = client.post(
            "/api/upload",
            data={"file": "just a string"},
            content_type="multipart/form-data",
            headers=user.headers,
        )
        assert assert_error(response, 400)["errors"] == {"file": NO_FILE_SENTENCE}

    def test_two_files_in_one_upload_are_400_and_nothing_is_stored(
        self, app: Flask, client: FlaskClient, user: Account
    ) -> None:
        files = [(io.BytesIO(b"one"), "one.txt"), (io.BytesIO(b"two"), "two.txt")]
        response = client.post("/api/upload", data={"file": files}, headers=user.headers)
        assert assert_error(response, 400, "file")["errors"]["file"] == "send one file per upload"
        assert stored_objects(app) == set()

    def test_json_body_is_400(self, client: FlaskClient, user: Account) -> None:
        response = client.post("/api/upload", json={"file": "aGVsbG8="}, headers=user.headers)
        assert assert_error(response, 400)["errors"] == {"file": NO_FILE_SENTENCE}

    def test_empty_filename_is_400(self, app: Flask, client: FlaskClient, user: Account) -> None:
        body = assert_error(upload(client, user, b"data", ""), 400)
        assert "file" in body["errors"]
        assert stored_objects(app) == set()

    def test_empty_file_is_accepted(self, app: Flask, client: FlaskClient, user: Account) -> None:
        body = uploaded(client, user, b"", "empty.txt")
        assert (body["size"], body["filename"]) == (0, "empty.txt")
        assert stored_bytes(app, stored_name(body)) == b""

    def test_anonymous_is_401(self, app: Flask, client: FlaskClient) -> None:
        assert_error(upload(client, None, b"data", "a.txt"), 401)
        assert stored_objects(app) == set()

    def test_invalid_token_is_401(self, app: Flask, client: FlaskClient) -> None:
        response = client.post(
            "/api/upload",
            data={"file": (io.BytesIO(b"data"), "a.txt")},
            content_type="multipart/form-data",
            headers={"Authorization": "Bearer nope"},
        )
        assert_error(response, 401)
        assert stored_objects(app) == set()


class TestContentMatchesExtension:
    """Finding 10: the content is checked against the extension by its magic bytes."""

    @pytest.mark.parametrize(
        ("content", "filename"),
        [
            (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "photo.png"),
            (b"<html><body>hi</body></html>", "notes.txt"),
            (b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "data.csv"),
            (PNG_BYTES, "document.pdf"),
            (SAMPLES["gif"][0], "photo.jpg"),
            (b"MZ\x90\x00" + b"\x00" * 64, "setup.zip"),
            (b"plain text", "photo.webp"),
            (PNG_BYTES, "notes.txt"),
            (b"\x00\x01\x02binary", "notes.txt"),
            (b"\xff\xfe\xfa not utf-8", "table.csv"),
            (b"not json at all", "data.json"),
            # A file that fits in the checked header is checked to its last byte.
            (b"caf\xe9", "menu.txt"),
            (b"", "empty.json"),
            (b"  \n", "blank.json"),
            (b'{"unclosed": ', "cut.json"),
            (b"[" * 5000, "deep.json"),
        ],
    )
    def test_mismatch_is_415_and_nothing_is_stored(
        self, app: Flask, client: FlaskClient, user: Account, content: bytes, filename: str
    ) -> None:
        body = assert_error(upload(client, user, content, filename), 415)
        assert body["error"] == "The file's content does not match its extension"
        assert body["errors"]["file"].startswith("the content is")
        assert stored_objects(app) == set()

    def test_message_names_the_real_type(self, client: FlaskClient, user: Account) -> None:
        body = assert_error(upload(client, user, PNG_BYTES, "report.pdf"), 415)
        assert body["errors"]["file"] == "the content is a PNG file, not PDF"

    def test_jpeg_and_jpg_are_one_format(self, client: FlaskClient, user: Account) -> None:
        assert uploaded(client, user, SAMPLES["jpg"][0], "a.jpeg")["content_type"] == "image/jpeg"

    @pytest.mark.parametrize(
        ("content", "filename"),
        [(b'{"a": [1, 2]}', "small.json"), (b"caf\xc3\xa9", "menu.txt"), (b"", "empty.txt")],
    )
    def test_whole_small_text_files_that_are_what_they_say_are_taken(
        self, client: FlaskClient, user: Account, content: bytes, filename: str
    ) -> None:
        assert uploaded(client, user, content, filename)["size"] == len(content)

    @pytest.mark.parametrize(
        ("content", "filename"),
        [
            (b"BM 2026 service notes", "notes.txt"),
            (b"MZ,Mozambique,33000000\n", "countries.csv"),
            (b"ID3 tags to fix\n", "todo.txt"),
            (b"%PDF is the format we ship\n", "readme.txt"),
        ],
    )
    def test_text_that_starts_like_a_binary_format_is_text(
        self, client: FlaskClient, user: Account, content: bytes, filename: str
    ) -> None:
        """Two or three printable letters are some format's magic number; the text is still
        UTF-8 without NUL bytes, so it is text (and served as text/plain, never sniffed)."""
        body = uploaded(client, user, content, filename)
        fetched = download(client, body["download_path"], user)
        assert (fetched.status_code, fetched.data) == (200, content)
        assert fetched.headers["Content-Type"].startswith("text/")

    def test_a_binary_file_named_as_text_is_named_by_its_real_type(
        self, client: FlaskClient, user: Account
    ) -> None:
        body = assert_error(upload(client, user, b"MZ\x90\x00\x03\x00", "setup.txt"), 415)
        assert body["errors"]["file"] == "the content is a EXE file, not text"


class TestUploadSizeLimit:
    @pytest.fixture
    def small_app(self, app_factory: Callable[..., Flask], storage_config: dict[str, Any]) -> Flask:
        return app_factory(MAX_UPLOAD_MB=1, **storage_config)

    @pytest.fixture
    def small_client(self, small_app: Flask) -> FlaskClient:
        return small_app.test_client()

    @pytest.fixture
    def small_user(self, small_client: FlaskClient) -> Account:
        return register(small_client)

    @pytest.mark.parametrize("size", [MB + 1, int(1.2 * MB), 3 * MB])
    def test_over_the_limit_is_413_json(
        self, small_app: Flask, small_client: FlaskClient, small_user: Account, size: int
    ) -> None:
        response = upload(small_client, small_user, b"x" * size, "big.txt")
        assert assert_error(response, 413)["error"] == "File too large (limit 1 MB)"
        assert stored_objects(small_app) == set()

    def test_exactly_the_limit_is_accepted(
        self, small_app: Flask, small_client: FlaskClient, small_user: Account
    ) -> None:
        content = b"y" * MB
        body = uploaded(small_client, small_user, content, "exact.txt")
        assert body["size"] == MB
        fetched = download(small_client, body["download_path"], small_user)
        assert (fetched.status_code, fetched.data) == (200, content)

    def test_large_upload_under_default_limit(self, client: FlaskClient, user: Account) -> None:
        # The 1 MB cap on JSON bodies must not apply to the upload route; 10 MB crosses the
        # S3 backend's multipart threshold (8 MiB parts).
        content = b"a,b,c,d\n" * (10 * MB // 8)
        body = uploaded(client, user, content, "ten-mb.csv")
        assert body["size"] == len(content)
        fetched = download(client, body["download_path"], user)
        assert fetched.data == content


class TestDownload:
    def test_owner_gets_exact_bytes_and_nosniff(self, client: FlaskClient, user: Account) -> None:
        body = uploaded(client, user, PNG_BYTES, "a.png")
        response = download(client, body["download_path"], user)
        assert response.status_code == 200
        assert response.data == PNG_BYTES
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Content-Length"] == str(len(PNG_BYTES))
        assert response.mimetype == "image/png"

    def test_text_file_download(self, client: FlaskClient, user: Account) -> None:
        content = b"alert(1) <script>x</script>"
        body = uploaded(client, user, content, "notes.txt")
        response = download(client, body["download_path"], user)
        assert (response.status_code, response.data) == (200, content)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.mimetype == "text/plain"
        assert response.headers["Content-Disposition"].startswith("attachment")

    def test_other_user_is_403(
        self, client: FlaskClient, user: Account, other_user: Account
    ) -> None:
        body = uploaded(client, user, b"secret", "s.txt")
        response = download(client, body["download_path"], other_user)
        error = assert_error(response, 403)
        assert b"secret" not in response.data
        assert "secret" not in error["error"]

    def test_admin_can_download(self, client: FlaskClient, user: Account, admin: Account) -> None:
        body = uploaded(client, user, b"for admin eyes", "s.txt")
        response = download(client, body["download_path"], admin)
        assert (response.status_code, response.data) == (200, b"for admin eyes")

    def test_anonymous_without_a_signature_is_401(self, client: FlaskClient, user: Account) -> None:
        body = uploaded(client, user, b"secret", "s.txt")
        response = download(client, body["download_path"], None)
        assert_error(response, 401)
        assert b"secret" not in response.data

    @pytest.mark.parametrize("name", ["nope.png", "0123456789abcdef.txt", "a.png"])
    def test_absent_is_404(self, client: FlaskClient, user: Account, name: str) -> None:
        uploaded(client, user, PNG_BYTES, "a.png")  # original names are not addressable
        assert_error(download(client, f"/api/uploads/{name}", user), 404)

    def test_object_missing_from_the_store_is_404(
        self, app: Flask, client: FlaskClient, user: Account
    ) -> None:
        body = uploaded(client, user, PNG_BYTES, "a.png")
        with app.app_context():
            storage(app).delete(stored_name(body))
        assert_error(download(client, body["download_path"], user), 404)

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


class TestSignedLinks:
    def test_seed_style_client_fetches_the_url_with_no_header(
        self, client: FlaskClient, user: Account
    ) -> None:
        body = uploaded(client, user, PNG_BYTES, "photo.png")
        status, content, headers = fetch_link(client, body["url"])
        assert (status, content) == (200, PNG_BYTES)
        assert headers["content-type"].startswith("image/png")

    def test_link_expires_when_announced(
        self, app: Flask, client: FlaskClient, user: Account, backend: str
    ) -> None:
        body = uploaded(client, user, b"x", "a.txt")
        expires_at = body["url_expires_at"]
        from datetime import datetime

        remaining = datetime.fromisoformat(expires_at).timestamp() - time.time()
        assert 890 <= remaining <= 901  # UPLOAD_URL_EXPIRES default: 15 minutes
        query = parse_qs(urlsplit(body["url"]).query)
        if backend == "s3":
            assert query["X-Amz-Expires"] == ["900"]
            assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
        else:
            assert int(query["expires"][0]) == int(datetime.fromisoformat(expires_at).timestamp())

    def test_get_upload_gives_metadata_and_a_fresh_link(
        self, client: FlaskClient, user: Account
    ) -> None:
        body = uploaded(client, user, PNG_BYTES, "photo.png")
        response = client.get(f"/api/upload/{body['id']}", headers=user.headers)
        assert response.status_code == 200
        fresh = response.get_json()
        assert {k: v for k, v in fresh.items() if not k.startswith("url")} == {
            k: v for k, v in body.items() if not k.startswith("url")
        }
        assert fetch_link(client, fresh["url"])[:2] == (200, PNG_BYTES)

    def test_admin_gets_a_link_other_users_do_not(
        self, client: FlaskClient, user: Account, other_user: Account, admin: Account
    ) -> None:
        body = uploaded(client, user, b"private", "p.txt")
        denied = client.get(f"/api/upload/{body['id']}", headers=other_user.headers)
        assert "url" not in assert_error(denied, 403)
        as_admin = client.get(f"/api/upload/{body['id']}", headers=admin.headers)
        assert as_admin.status_code == 200
        assert fetch_link(client, as_admin.get_json()["url"])[:2] == (200, b"private")

    def test_an_upload_stored_before_hashes_has_no_sha256_field(
        self, app: Flask, client: FlaskClient, user: Account
    ) -> None:
        body = uploaded(client, user, b"old", "old.txt")
        with app.app_context():  # as migration 0008 left the rows it found
            db.session.get(Upload, body["id"]).sha256 = None
            db.session.commit()
        fresh = client.get(f"/api/upload/{body['id']}", headers=user.headers).get_json()
        listed = client.get("/api/me/uploads", headers=user.headers).get_json()["items"]
        assert "sha256" not in fresh and "sha256" not in listed[0]  # absent, never null
        assert fresh["size"] == 3

    @pytest.mark.parametrize("upload_id", [0, 999999, 2**31])
    def test_get_absent_upload_is_404(
        self, client: FlaskClient, user: Account, upload_id: int
    ) -> None:
        assert_error(client.get(f"/api/upload/{upload_id}", headers=user.headers), 404)

    def test_get_upload_needs_a_token(self, client: FlaskClient, user: Account) -> None:
        body = uploaded(client, user, b"x", "a.txt")
        assert_error(client.get(f"/api/upload/{body['id']}"), 401)


class TestAppSignedLinks:
    """The local backend's links are signed by the app: tampering or expiry is a 403."""

    @pytest.fixture
    def app(self, app_factory: Callable[..., Flask]) -> Flask:
        return app_factory()

    def test_link_works_without_a_token(self, client: FlaskClient, user: Account) -> None:
        body = uploaded(client, user, b"hello there", "a.txt")
        assert body["url"].startswith(body["download_path"] + "?expires=")
        assert fetch_link(client, body["url"])[:2] == (200, b"hello there")

    @pytest.mark.parametrize(
        "tamper",
        [
            lambda q: {**q, "signature": "0" * 64},
            # the last character changed (one ending in "0" gets a "1")
            lambda q: {**q, "signature": q["signature"][:-1] + "01"[q["signature"].endswith("0")]},
            lambda q: {**q, "expires": str(int(q["expires"]) + 3600)},
            lambda q: {**q, "signature": ""},
            lambda q: {"expires": q["expires"]},
            lambda q: {"signature": q["signature"]},
            lambda q: {**q, "expires": "soon"},
            lambda q: {**q, "expires": "١٢٣"},
            lambda q: {**q, "signature": "é" * 64},
        ],
    )
    def test_tampered_link_is_403(
        self, client: FlaskClient, user: Account, tamper: Callable[..., dict[str, str]]
    ) -> None:
        from urllib.parse import urlencode

        body = uploaded(client, user, b"secret", "a.txt")
        query = {k: v[0] for k, v in parse_qs(urlsplit(body["url"]).query).items()}
        response = client.get(f"{body['download_path']}?{urlencode(tamper(query))}")
        assert_error(response, 403)
        assert b"secret" not in response.data

    def test_link_for_another_file_does_not_open_this_one(
        self, client: FlaskClient, user: Account
    ) -> None:
        one = uploaded(client, user, b"one", "a.txt")
        two = uploaded(client, user, b"two", "b.txt")
        query = urlsplit(one["url"]).query
        assert_error(client.get(f"{two['download_path']}?{query}"), 403)

    def test_expired_link_is_403(self, app: Flask, client: FlaskClient, user: Account) -> None:
        body = uploaded(client, user, b"old", "a.txt")
        name = stored_name(body)
        expires, signature = signing.sign(
            app.config["SECRET_KEY"], name, expires_in=60, now=time.time() - 120
        )
        response = client.get(f"{body['download_path']}?expires={expires}&signature={signature}")
        assert assert_error(response, 403)["error"] == "The link has expired; ask for a fresh one"

    def test_short_expiry_setting(self, app_factory: Callable[..., Flask]) -> None:
        app = app_factory(UPLOAD_URL_EXPIRES=1)
        client = app.test_client()
        account = register(client)
        body = uploaded(client, account, b"brief", "a.txt")
        assert fetch_link(client, body["url"])[0] == 200
        time.sleep(2.1)
        assert fetch_link(client, body["url"])[0] == 403

    def test_link_lives_at_least_its_expiry(self, app: Flask) -> None:
        """Signed late in a second, a 1-second link still works for that whole second."""
        secret, signed_at = app.config["SECRET_KEY"], 1_767_225_600.995
        expires, signature = signing.sign(secret, "a.txt", expires_in=1, now=signed_at)
        link = {"expires": str(expires), "given": signature}
        for moment in (signed_at + 0.01, signed_at + 0.999):
            signing.verify(secret, "a.txt", **link, now=moment)
        with pytest.raises(signing.LinkRefused):
            signing.verify(secret, "a.txt", **link, now=signed_at + 2)

    def test_link_of_a_deleted_upload_is_404(self, client: FlaskClient, user: Account) -> None:
        body = uploaded(client, user, b"gone", "a.txt")
        assert client.delete(f"/api/upload/{body['id']}", headers=user.headers).status_code == 204
        assert fetch_link(client, body["url"])[0] == 404


class TestListing:
    def test_my_uploads_newest_first_with_page_headers(
        self, client: FlaskClient, user: Account, other_user: Account
    ) -> None:
        mine = [uploaded(client, user, f"n{i}".encode(), f"f{i}.txt")["id"] for i in range(3)]
        uploaded(client, other_user, b"theirs", "t.txt")
        response = client.get("/api/me/uploads?per_page=2", headers=user.headers)
        assert response.status_code == 200
        page = response.get_json()
        assert (page["total"], page["page"], page["per_page"]) == (3, 1, 2)
        assert [u["id"] for u in page["items"]] == mine[::-1][:2]
        assert response.headers["X-Total-Count"] == "3"
        assert 'rel="next"' in response.headers["Link"]
        assert all(fetch_link(client, u["url"])[0] == 200 for u in page["items"])
        second = client.get("/api/me/uploads?per_page=2&page=2", headers=user.headers)
        assert [u["id"] for u in second.get_json()["items"]] == [mine[0]]

    @pytest.mark.parametrize("query", ["page=0", "per_page=101", "per_page=x", "page=-1"])
    def test_bad_pagination_is_400(self, client: FlaskClient, user: Account, query: str) -> None:
        body = assert_error(client.get(f"/api/me/uploads?{query}", headers=user.headers), 400)
        assert set(body["errors"]) <= {"page", "per_page"}

    def test_my_uploads_needs_a_token(self, client: FlaskClient) -> None:
        assert_error(client.get("/api/me/uploads"), 401)

    def test_admin_lists_everyone_and_filters_by_owner(
        self, client: FlaskClient, user: Account, other_user: Account, admin: Account
    ) -> None:
        a = uploaded(client, user, b"a", "a.txt")["id"]
        b = uploaded(client, other_user, b"b", "b.txt")["id"]
        every = client.get("/api/admin/uploads", headers=admin.headers).get_json()
        assert [u["id"] for u in every["items"]] == [b, a]
        only = client.get(f"/api/admin/uploads?owner_id={user.id}", headers=admin.headers)
        assert [u["id"] for u in only.get_json()["items"]] == [a]
        assert only.get_json()["items"][0]["user_id"] == user.id

    def test_admin_listing_is_admin_only(self, client: FlaskClient, user: Account) -> None:
        assert_error(client.get("/api/admin/uploads", headers=user.headers), 403)


class TestDelete:
    def test_owner_deletes_object_and_row(
        self, app: Flask, client: FlaskClient, user: Account
    ) -> None:
        body = uploaded(client, user, PNG_BYTES, "a.png")
        response = client.delete(f"/api/upload/{body['id']}", headers=user.headers)
        assert response.status_code == 204 and response.data == b""
        assert stored_objects(app) == set()
        with app.app_context():
            assert db.session.get(Upload, body["id"]) is None
        assert_error(client.get(f"/api/upload/{body['id']}", headers=user.headers), 404)
        assert_error(download(client, body["download_path"], user), 404)
        assert client.get("/api/me/uploads", headers=user.headers).get_json()["total"] == 0
        assert fetch_link(client, body["url"])[0] in (403, 404)
        assert_error(client.delete(f"/api/upload/{body['id']}", headers=user.headers), 404)

    def test_other_user_cannot_delete(
        self, app: Flask, client: FlaskClient, user: Account, other_user: Account
    ) -> None:
        body = uploaded(client, user, b"keep", "k.txt")
        assert_error(client.delete(f"/api/upload/{body['id']}", headers=other_user.headers), 403)
        assert download(client, body["download_path"], user).data == b"keep"
        assert stored_objects(app) == {stored_name(body)}

    def test_anonymous_cannot_delete(self, client: FlaskClient, user: Account) -> None:
        body = uploaded(client, user, b"keep", "k.txt")
        assert_error(client.delete(f"/api/upload/{body['id']}"), 401)

    def test_admin_deletes_and_it_is_audited(
        self, app: Flask, client: FlaskClient, user: Account, admin: Account
    ) -> None:
        body = uploaded(client, user, b"bye", "b.txt")
        assert client.delete(f"/api/upload/{body['id']}", headers=admin.headers).status_code == 204
        assert stored_objects(app) == set()
        audit = client.get("/api/admin/audit?action=upload.delete", headers=admin.headers)
        [entry] = audit.get_json()["items"]
        assert (entry["actor_id"], entry["target_type"], entry["target_id"]) == (
            admin.id,
            "upload",
            str(body["id"]),
        )
        assert entry["details"] == {"owner_id": user.id, "filename": "b.txt", "size": 3}

    def test_owner_delete_is_audited_too(
        self, client: FlaskClient, user: Account, admin: Account
    ) -> None:
        body = uploaded(client, user, b"bye", "b.txt")
        client.delete(f"/api/upload/{body['id']}", headers=user.headers)
        audit = client.get("/api/admin/audit?action=upload.delete", headers=admin.headers)
        assert [e["actor_id"] for e in audit.get_json()["items"]] == [user.id]

    def test_crash_after_marking_leaves_nothing_reachable(
        self, app: Flask, client: FlaskClient, user: Account, admin: Account
    ) -> None:
        """A worker that died between marking the row and removing the object: the upload is
        gone for everyone at once; `purge-uploads` then removes the object and the row."""
        body = uploaded(client, user, PNG_BYTES, "a.png")
        with app.app_context():
            db.session.get(Upload, body["id"]).deleted_at = utcnow()
            db.session.commit()
        assert_error(client.get(f"/api/upload/{body['id']}", headers=user.headers), 404)
        assert_error(download(client, body["download_path"], admin), 404)
        assert client.get("/api/admin/uploads", headers=admin.headers).get_json()["total"] == 0
        if not body["url"].startswith("http"):  # the app's links check the row
            assert fetch_link(client, body["url"])[0] == 404
        result = app.test_cli_runner().invoke(args=["purge-uploads", "--grace-minutes", "0"])
        assert result.exit_code == 0, result.output
        assert "Removed 1 interrupted deletions" in result.output
        assert stored_objects(app) == set()
        assert_error(client.delete(f"/api/upload/{body['id']}", headers=user.headers), 404)

    def test_a_second_delete_finishes_an_interrupted_one(
        self, app: Flask, client: FlaskClient, user: Account
    ) -> None:
        body = uploaded(client, user, PNG_BYTES, "a.png")
        with app.app_context():
            db.session.get(Upload, body["id"]).deleted_at = utcnow()
            db.session.commit()
        assert_error(client.delete(f"/api/upload/{body['id']}", headers=user.headers), 404)
        assert stored_objects(app) == set()
        result = app.test_cli_runner().invoke(args=["purge-uploads", "--grace-minutes", "0"])
        assert "Removed 0 interrupted deletions" in result.output
        with app.app_context():
            assert db.session.get(Upload, body["id"]) is None


class TestQuota:
    """Finding 10: a per-user quota of files and bytes; beyond it, 409 until some are deleted."""

    def test_file_count_quota(
        self, app_factory: Callable[..., Flask], storage_config: dict[str, Any]
    ) -> None:
        app = app_factory(UPLOAD_QUOTA_FILES=2, **storage_config)
        client = app.test_client()
        account, other = register(client), register(client)
        first = uploaded(client, account, b"1", "1.txt")
        uploaded(client, account, b"2", "2.txt")
        body = assert_error(upload(client, account, b"3", "3.txt"), 409)
        assert body["error"] == "Upload quota exceeded"
        assert body["errors"]["file"].startswith("at most 2 files per user")
        assert len(stored_objects(app)) == 2
        uploaded(client, other, b"other users have their own quota", "o.txt")
        client.delete(f"/api/upload/{first['id']}", headers=account.headers)
        uploaded(client, account, b"3", "3.txt")

    def test_byte_quota(
        self, app_factory: Callable[..., Flask], storage_config: dict[str, Any]
    ) -> None:
        app = app_factory(UPLOAD_QUOTA_MB=1, **storage_config)
        client = app.test_client()
        account = register(client)
        uploaded(client, account, b"a" * (600 * 1024), "a.txt")
        body = assert_error(upload(client, account, b"b" * (600 * 1024), "b.txt"), 409)
        assert body["errors"]["file"].startswith("at most 1 MB per user")
        assert len(stored_objects(app)) == 1
        uploaded(client, account, b"c" * (400 * 1024), "c.txt")  # exactly up to the quota

    def test_zero_means_no_limit(self, app_factory: Callable[..., Flask]) -> None:
        app = app_factory(UPLOAD_QUOTA_FILES=0, UPLOAD_QUOTA_MB=0)
        client = app.test_client()
        account = register(client)
        for number in range(5):
            uploaded(client, account, b"x", f"{number}.txt")


class TestPurge:
    def purge(self, app: Flask, *args: str) -> Any:
        result = app.test_cli_runner().invoke(args=["purge-uploads", *args])
        return result

    def test_removes_objects_without_rows_and_rows_without_objects(
        self, app: Flask, client: FlaskClient, user: Account
    ) -> None:
        kept = uploaded(client, user, b"kept", "k.txt")
        lost = uploaded(client, user, b"lost", "l.txt")
        with app.app_context():
            storage(app).save("orphan.txt", io.BytesIO(b"no row"), content_type="text/plain")
            storage(app).delete(stored_name(lost))
        dry = self.purge(app, "--grace-minutes", "0", "--dry-run")
        assert dry.exit_code == 0, dry.output
        assert "Would remove 0 interrupted deletions, 1 objects without a row, 1 rows" in dry.output
        assert "orphan.txt" in stored_objects(app)
        result = self.purge(app, "--grace-minutes", "0")
        assert result.exit_code == 0, result.output
        assert "1 objects without a row, 1 rows without an object" in result.output
        assert stored_objects(app) == {stored_name(kept)}
        listed = client.get("/api/me/uploads", headers=user.headers).get_json()
        assert [u["id"] for u in listed["items"]] == [kept["id"]]
        assert download(client, kept["download_path"], user).data == b"kept"

    def test_grace_period_spares_uploads_in_flight(
        self, app: Flask, client: FlaskClient, user: Account
    ) -> None:
        with app.app_context():
            storage(app).save("in-flight.txt", io.BytesIO(b"row soon"), content_type="text/plain")
        result = self.purge(app)  # default grace: 60 minutes
        assert result.exit_code == 0, result.output
        assert "0 objects without a row" in result.output
        assert "in-flight.txt" in stored_objects(app)

    def test_unfinished_multipart_uploads_are_aborted(
        self, app: Flask, backend: str, request: pytest.FixtureRequest
    ) -> None:
        if backend != "s3":
            pytest.skip("multipart uploads are an object-store notion")
        s3 = request.getfixturevalue("s3_server").client()
        bucket = app.config["S3_BUCKET"]
        s3.create_multipart_upload(Bucket=bucket, Key="crashed.zip")
        # (moto reports a fixed `Initiated` date in 2010, so the grace period, which spares
        # uploads in progress on a real store, cannot be shown here)
        dry = self.purge(app, "--grace-minutes", "0", "--dry-run")
        assert "Would remove" in dry.output and "1 unfinished multipart uploads" in dry.output
        assert len(s3.list_multipart_uploads(Bucket=bucket)["Uploads"]) == 1
        result = self.purge(app, "--grace-minutes", "0")
        assert result.exit_code == 0, result.output
        assert "1 unfinished multipart uploads" in result.output
        assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


class TestStorageSettings:
    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"STORAGE_BACKEND": "ftp"}, "STORAGE_BACKEND must be 'local' or 's3'"),
            ({"STORAGE_BACKEND": "s3", "S3_BUCKET": None}, "needs S3_BUCKET"),
            ({"UPLOAD_URL_EXPIRES": 0}, "UPLOAD_URL_EXPIRES"),
            ({"UPLOAD_URL_EXPIRES": 8 * 24 * 3600}, "UPLOAD_URL_EXPIRES"),
            ({"UPLOAD_QUOTA_FILES": -1}, "UPLOAD_QUOTA_FILES"),
        ],
    )
    def test_unusable_storage_settings_refuse_to_start(
        self, tmp_path: Path, overrides: dict[str, Any], message: str
    ) -> None:
        from api import create_app
        from tests.helpers import build_test_config

        with pytest.raises(RuntimeError, match=message):
            create_app(build_test_config(tmp_path, **overrides))
