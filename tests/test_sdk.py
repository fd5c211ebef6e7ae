"""Client SDKs generated from the committed `openapi.json` work against the real server.

A partner generates a Python client (openapi-python-client) and TypeScript types
(openapi-typescript) from the spec alone; both must generate cleanly, and the Python client must
drive a full round trip through the live gunicorn server with nothing but generated code.
"""

import importlib
import os
import re
import shutil
import struct
import subprocess
import sys
import time
import uuid
import zlib
from collections.abc import Iterator
from contextlib import ExitStack
from io import BytesIO
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.live import ADMIN_PASSWORD, ROOT, LiveServer

pytestmark = pytest.mark.slow

SPEC = ROOT / "openapi.json"
GENERATOR = Path(sys.executable).parent / "openapi-python-client"
NODE_BIN = ROOT / "node_modules" / ".bin"
PACKAGE = "client"  # openapi-python-client names the package after the output directory

# Generator warnings we know about and accept, keyed by the operation they name. Anything else the
# generator warns about fails the test, so a spec change that loses part of the SDK is noticed.
#  - downloadFile: its 200 response is declared as `*/*` (the stored file's own type), which
#    openapi-python-client cannot map to a type, so `parsed` is None on success; the bytes are
#    still in `Response.content`.
KNOWN_WARNINGS = ("GET /api/uploads/{filename}",)


def report(capsys: pytest.CaptureFixture[str], text: str) -> None:
    with capsys.disabled():
        sys.stdout.write(f"\n[sdk] {text}\n")


def generator_warnings(output: str) -> list[str]:
    """The `WARNING ...` blocks of openapi-python-client's output, one string per warning."""
    output = output.split("If you believe this was a mistake", 1)[0]
    blocks = re.split(r"\n(?=WARNING |Skipping Integration|Generating )", output)
    return [block.strip() for block in blocks if block.startswith("WARNING ")]


def tiny_png() -> bytes:
    """A valid 1x1 RGBA PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00\xff")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


@pytest.fixture
def sdk(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[ModuleType]:
    """Generate the Python client into a tmp dir, import it, and unload it afterwards."""
    assert GENERATOR.exists(), f"{GENERATOR} missing: run `make install-dev`"
    output = tmp_path / PACKAGE
    env = {**os.environ, "PATH": f"{GENERATOR.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    command = [
        str(GENERATOR), "generate", "--path", str(SPEC), "--meta", "none",
        "--output-path", str(output),
    ]  # fmt: skip
    started = time.perf_counter()
    result = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    elapsed = time.perf_counter() - started
    log = result.stdout + result.stderr
    assert result.returncode == 0, f"openapi-python-client failed:\n{log}"
    assert (output / "__init__.py").exists(), f"no package generated:\n{log}"

    warnings = generator_warnings(log)
    report(capsys, f"openapi-python-client generate: {elapsed:.2f} s, {len(warnings)} warning(s)")
    for warning in warnings:
        report(capsys, warning)
    unexpected = [w for w in warnings if not any(known in w for known in KNOWN_WARNINGS)]
    assert not unexpected, "openapi-python-client warned about the spec:\n\n" + "\n\n".join(
        unexpected
    )

    def unload() -> None:
        for name in list(sys.modules):
            if name == PACKAGE or name.startswith(f"{PACKAGE}."):
                del sys.modules[name]

    saved = {n: m for n, m in sys.modules.items() if n == PACKAGE or n.startswith(f"{PACKAGE}.")}
    unload()
    sys.path.insert(0, str(tmp_path))
    importlib.invalidate_caches()
    try:
        package = importlib.import_module(PACKAGE)
        assert Path(package.__file__ or "").parent == output, package.__file__
        yield package
    finally:
        unload()
        sys.modules.update(saved)
        sys.path.remove(str(tmp_path))
        importlib.invalidate_caches()


def op(name: str) -> Any:
    """A generated operation module, e.g. op("auth.login")."""
    return importlib.import_module(f"{PACKAGE}.api.{name}")


def model(name: str) -> Any:
    return getattr(importlib.import_module(f"{PACKAGE}.models"), name)


def test_python_sdk_round_trip(sdk: ModuleType, live_server: LiveServer) -> None:
    with ExitStack() as clients:
        python_sdk_round_trip(sdk, live_server.url, clients)


def python_sdk_round_trip(sdk: ModuleType, url: str, clients: ExitStack) -> None:
    from_types = importlib.import_module(f"{PACKAGE}.types")
    Error = model("Error")
    Item = model("Item")

    def client(token: str | None = None, *, strict: bool = True) -> Any:
        """A generated client (closed at the end); `strict` raises on undocumented statuses."""
        if token is None:
            made = sdk.Client(base_url=url, raise_on_unexpected_status=strict)
        else:
            made = sdk.AuthenticatedClient(
                base_url=url, token=token, raise_on_unexpected_status=strict
            )
        return clients.enter_context(made)

    anonymous = client()

    # register -> login -> me
    suffix = uuid.uuid4().hex[:10]
    username, password = f"sdk_{suffix}", f"sdk-password-{suffix}"
    response = op("auth.register").sync_detailed(
        client=anonymous,
        body=model("RegisterRequest")(
            username=username, email=f"{username}@example.com", password=password
        ),
    )
    assert response.status_code == 201, response.content
    registered = response.parsed
    assert isinstance(registered, model("AuthToken")), registered
    assert registered.user.username == username
    assert registered.token_type.value == "Bearer"

    response = op("auth.login").sync_detailed(
        client=anonymous, body=model("LoginRequest")(username=username, password=password)
    )
    assert response.status_code == 200, response.content
    token = response.parsed.token
    me_client = client(token)

    response = op("auth.get_current_user").sync_detailed(client=me_client)
    assert response.status_code == 200, response.content
    me = response.parsed
    assert isinstance(me, model("User"))
    assert (me.id, me.username) == (registered.user.id, username)
    assert "password_hash" not in me.to_dict()

    # create -> list -> get -> patch -> put -> delete
    name = f"sdk item {suffix}"
    response = op("user.create_item").sync_detailed(
        client=me_client, body=model("ItemCreate")(name=name, description="made by the SDK")
    )
    assert response.status_code == 201, response.content
    item = response.parsed
    assert isinstance(item, Item)
    assert (item.name, item.user_id, item.is_active) == (name, me.id, True)

    response = op("user.list_items").sync_detailed(client=me_client, q=suffix, per_page=100)
    assert response.status_code == 200, response.content
    page = response.parsed
    assert isinstance(page, model("ItemPage"))
    assert page.total == 1, page.to_dict()
    assert [found.id for found in page.items] == [item.id]
    assert (page.page, page.per_page) == (1, 100)

    response = op("user.get_item").sync_detailed(item.id, client=me_client)
    assert response.status_code == 200, response.content
    assert response.parsed.to_dict() == item.to_dict()

    response = op("user.update_item").sync_detailed(
        item.id, client=me_client, body=model("ItemUpdate")(description="patched")
    )
    assert response.status_code == 200, response.content
    patched = response.parsed
    assert (patched.name, patched.description) == (name, "patched")
    etag = response.headers.get("ETag")

    response = op("user.replace_item").sync_detailed(
        item.id,
        client=me_client,
        body=model("ItemCreate")(name=f"{name} v2", description="replaced"),
        if_match=etag if etag else from_types.UNSET,
    )
    assert response.status_code == 200, response.content
    assert (response.parsed.name, response.parsed.description) == (f"{name} v2", "replaced")

    response = op("user.delete_item").sync_detailed(item.id, client=me_client)
    assert response.status_code == 204, response.content
    response = op("user.list_items").sync_detailed(client=me_client, q=suffix)
    assert response.status_code == 200, response.content
    assert response.parsed.total == 0

    # upload a PNG through the generated multipart body, download it back
    png = tiny_png()
    response = op("user.upload_file").sync_detailed(
        client=me_client,
        body=model("UploadFileBody")(
            file=from_types.File(payload=BytesIO(png), file_name="a.png", mime_type="image/png")
        ),
    )
    assert response.status_code == 201, response.content
    upload = response.parsed
    assert isinstance(upload, model("Upload"))
    assert (upload.filename, upload.size) == ("a.png", len(png))
    assert upload.content_type.startswith("image/png")
    stored_name = upload.download_path.rsplit("/", 1)[-1]
    assert stored_name

    # The spec declares the download as `*/*`, which openapi-python-client cannot type, so the
    # generated code has no 200 branch: a strict client would raise UnexpectedStatus(200) on
    # success. Use a lenient one; if the spec gains `application/octet-stream`, it parses a File.
    response = op("user.download_file").sync_detailed(
        stored_name, client=client(token, strict=False)
    )
    assert response.status_code == 200, response.content
    assert response.content == png
    if response.parsed is not None:
        assert isinstance(response.parsed, from_types.File), response.parsed
        assert response.parsed.payload.read() == png
    assert response.headers["Content-Type"].startswith("image/png")
    assert response.headers["X-Content-Type-Options"] == "nosniff"

    # admin: stats and toggle (the soft-deleted item comes back)
    response = op("auth.login").sync_detailed(
        client=anonymous, body=model("LoginRequest")(username="admin", password=ADMIN_PASSWORD)
    )
    assert response.status_code == 200, response.content
    admin = client(response.parsed.token)

    response = op("admin.admin_get_stats").sync_detailed(client=admin)
    assert response.status_code == 200, response.content
    stats = response.parsed
    assert isinstance(stats, model("Stats"))
    assert stats.total == stats.active + stats.inactive
    assert stats.inactive >= 1
    assert stats.users.total >= 2 and stats.users.admins >= 1

    response = op("admin.admin_toggle_item").sync_detailed(item.id, client=admin)
    assert response.status_code == 200, response.content
    assert isinstance(response.parsed, Item)
    assert (response.parsed.id, response.parsed.is_active) == (item.id, True)

    response = op("admin.admin_get_stats").sync_detailed(client=me_client)
    assert response.status_code == 403, response.content
    assert isinstance(response.parsed, Error)

    # typed errors
    response = op("user.get_item").sync_detailed(2_000_000_000, client=me_client)
    assert response.status_code == 404, response.content
    assert isinstance(response.parsed, Error), response.parsed
    assert response.parsed.error

    response = op("user.create_item").sync_detailed(
        client=me_client, body=model("ItemCreate")(name="")
    )
    assert response.status_code in (400, 422), response.content
    assert isinstance(response.parsed, Error)
    assert "name" in response.parsed.errors.to_dict()

    response = op("auth.login").sync_detailed(
        client=anonymous, body=model("LoginRequest")(username=username, password="wrong-password")
    )
    assert response.status_code == 401, response.content
    assert isinstance(response.parsed, Error)

    # logout revokes the token
    response = op("auth.logout").sync_detailed(client=me_client)
    assert response.status_code == 200, response.content
    response = op("auth.get_current_user").sync_detailed(client=me_client)
    assert response.status_code == 401, response.content
    assert isinstance(response.parsed, Error)


def test_python_sdk_personal_access_token_flow(sdk: ModuleType, live_server: LiveServer) -> None:
    """A partner's script: log in through the OAuth2 token endpoint, create a scoped personal
    access token, then work with nothing but that token; revoked, it stops working."""
    url = live_server.url
    with ExitStack() as clients:
        anonymous = clients.enter_context(sdk.Client(base_url=url, raise_on_unexpected_status=True))
        suffix = uuid.uuid4().hex[:10]
        username, password = f"pat_{suffix}", f"pat-password-{suffix}"
        response = op("auth.register").sync_detailed(
            client=anonymous,
            body=model("RegisterRequest")(
                username=username, email=f"{username}@example.com", password=password
            ),
        )
        assert response.status_code == 201, response.content

        form = model("OauthTokenDataBody")(
            grant_type=model("OauthTokenDataBodyGrantType")("password"),
            username=username,
            password=password,
        )
        response = op("auth.oauth_token").sync_detailed(client=anonymous, body=form)
        assert response.status_code == 200, response.content
        assert isinstance(response.parsed, model("OAuthToken"))
        login = clients.enter_context(
            sdk.AuthenticatedClient(
                base_url=url, token=response.parsed.access_token, raise_on_unexpected_status=True
            )
        )

        Scope = model("PersonalAccessTokenCreateScopesItem")
        response = op("user.create_personal_access_token").sync_detailed(
            client=login,
            body=model("PersonalAccessTokenCreate")(
                name="partner sync",
                scopes=[Scope("items:read"), Scope("items:write"), Scope("account")],
                expires_in_days=7,
            ),
        )
        assert response.status_code == 201, response.content
        created = response.parsed
        assert isinstance(created, model("PersonalAccessTokenCreated"))
        assert created.token.startswith("bapi_pat_")
        pat = clients.enter_context(
            sdk.AuthenticatedClient(
                base_url=url, token=created.token, raise_on_unexpected_status=True
            )
        )

        response = op("user.create_item").sync_detailed(
            client=pat, body=model("ItemCreate")(name=f"via pat {suffix}")
        )
        assert response.status_code == 201, response.content
        response = op("user.list_my_items").sync_detailed(client=pat)
        assert response.status_code == 200, response.content
        assert [item.name for item in response.parsed.items] == [f"via pat {suffix}"]
        response = op("auth.get_current_user").sync_detailed(client=pat)
        assert response.parsed.username == username

        response = op("user.list_personal_access_tokens").sync_detailed(client=pat)
        assert response.status_code == 200, response.content
        [listed] = response.parsed.items
        assert (listed.id, listed.prefix) == (created.id, created.prefix)
        assert listed.last_used_at is not None

        # outside its scopes: a typed 403 naming the missing scope
        response = op("user.upload_file").sync_detailed(
            client=pat,
            body=model("UploadFileBody")(
                file=importlib.import_module(f"{PACKAGE}.types").File(
                    payload=BytesIO(tiny_png()), file_name="a.png", mime_type="image/png"
                )
            ),
        )
        assert response.status_code == 403, response.content
        assert isinstance(response.parsed, model("Error"))
        assert 'scope="uploads:write"' in response.headers["WWW-Authenticate"]

        response = op("user.revoke_personal_access_token").sync_detailed(created.id, client=pat)
        assert response.status_code == 204, response.content
        response = op("user.list_my_items").sync_detailed(client=pat)
        assert response.status_code == 401, response.content


def test_typescript_types_compile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    openapi_typescript = NODE_BIN / "openapi-typescript"
    tsc = NODE_BIN / "tsc"
    if not openapi_typescript.exists():
        pytest.skip("node_modules/.bin/openapi-typescript missing (`make npm-tools` installs it)")
    assert tsc.exists(), f"{tsc} missing: run `make npm-tools`"
    node = shutil.which("node")
    assert node, "node is not installed"
    output = tmp_path / "api.d.ts"

    started = time.perf_counter()
    result = subprocess.run(
        [str(openapi_typescript), str(SPEC), "-o", str(output)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    generated = time.perf_counter() - started
    assert result.returncode == 0, f"openapi-typescript failed:\n{result.stdout}{result.stderr}"
    text = output.read_text()
    for operation_id in ("login", "createItem", "uploadFile", "adminGetStats"):
        assert f"{operation_id}:" in text, f"operation {operation_id} missing from api.d.ts"

    started = time.perf_counter()
    result = subprocess.run(
        [str(tsc), "--strict", "--noEmit", str(output)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    checked = time.perf_counter() - started
    assert result.returncode == 0, (
        f"tsc --strict rejected api.d.ts:\n{result.stdout}{result.stderr}"
    )
    report(capsys, f"openapi-typescript: {generated:.2f} s; tsc --strict --noEmit: {checked:.2f} s")
