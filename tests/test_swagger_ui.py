"""The Swagger UI, used as a developer would: in a real (headless) browser, with no internet.

Log in through "Try it out", authorize with the token the UI shows, create an item through the UI,
and check over plain HTTP that it exists. Every request that leaves the loopback interface is
blocked and counted: the UI must work from its bundled assets alone.
"""

import json
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.live import ADMIN_PASSWORD, ROOT, LiveServer

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
ARTIFACTS = ROOT / "test-artifacts"
TIMEOUT_MS = 15_000


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    return parts.hostname in LOCAL_HOSTS


def open_operation(page: Any, tag: str, operation_id: str) -> Any:
    """Expand a tag (if collapsed) and an operation; return the operation's block."""
    section = page.locator(f"#operations-tag-{tag}")
    section.wait_for(timeout=TIMEOUT_MS)
    block = page.locator(f"#operations-{tag}-{operation_id}")
    if block.count() == 0:
        section.click()
        block.wait_for(timeout=TIMEOUT_MS)
    block.locator(".opblock-summary").first.click()
    block.locator("button.try-out__btn").click()
    return block


def execute(block: Any, body: dict[str, Any], expected_status: int) -> dict[str, Any]:
    """Fill the JSON body of an opened operation, execute it, and return the rendered response."""
    textarea = block.locator("textarea.body-param__text")
    textarea.fill(json.dumps(body))
    block.locator("button.execute").click()
    live = block.locator(".live-responses-table tbody .response").first
    live.wait_for(timeout=TIMEOUT_MS)
    status = live.locator(".response-col_status")
    status.wait_for(timeout=TIMEOUT_MS)
    text = status.inner_text().strip()
    rendered = live.locator(".response-col_description pre").first.inner_text()
    assert text == str(expected_status), f"UI shows {text}, expected {expected_status}: {rendered}"
    return json.loads(rendered)


def test_swagger_ui_login_authorize_create(live_server: LiveServer) -> None:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: run `make browser` to install Debian's chromium")
    from playwright.sync_api import sync_playwright

    origin = live_server.url
    external: list[str] = []
    own_failures: list[str] = []
    console_errors: list[str] = []
    page_errors: list[str] = []
    started = time.perf_counter()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1600})

            def guard(route: Any) -> None:
                if is_local(route.request.url):
                    route.continue_()
                else:
                    external.append(route.request.url)
                    route.abort()

            def on_response(response: Any) -> None:
                if response.url.startswith(origin) and response.status >= 400:
                    own_failures.append(f"{response.status} {response.url}")

            page.route("**/*", guard)
            page.on(
                "requestfailed",
                lambda request: (
                    own_failures.append(f"{request.failure} {request.url}")
                    if request.url.startswith(origin)
                    else None
                ),
            )
            page.on("response", on_response)
            page.on(
                "console",
                lambda message: (
                    console_errors.append(f"{message.text} @ {message.location}")
                    if message.type == "error"
                    else None
                ),
            )
            page.on("pageerror", lambda error: page_errors.append(str(error)))

            page.goto(f"{origin}/api/docs", wait_until="load")
            page.locator("#swagger-ui .information-container .title").wait_for(timeout=TIMEOUT_MS)
            page.locator(".opblock-tag-section").first.wait_for(timeout=TIMEOUT_MS)

            # log in as the admin through "Try it out"
            login = open_operation(page, "auth", "login")
            body = execute(login, {"username": "admin", "password": ADMIN_PASSWORD}, 200)
            token = body.get("token")
            assert isinstance(token, str) and token.count(".") == 2, body
            assert body["user"]["username"] == "admin"
            admin_id = body["user"]["id"]

            # authorize with the token the UI showed
            page.locator(".auth-wrapper button.authorize").click()
            modal = page.locator(".modal-ux")
            modal.wait_for(timeout=TIMEOUT_MS)
            # the first container is the Bearer scheme (the OAuth2 password form follows it)
            bearer = modal.locator(".auth-container").first
            bearer.locator("input").first.fill(f"Bearer {token}")
            bearer.locator("button.authorize").click()
            bearer.locator("button.btn-done").click()
            modal.wait_for(state="detached", timeout=TIMEOUT_MS)
            assert page.locator(".auth-wrapper button.authorize.locked").count() == 1

            # create an item through the UI
            create = open_operation(page, "user", "createItem")
            item = execute(create, {"name": "from swagger ui"}, 201)
            assert item["name"] == "from swagger ui"
            assert item["user_id"] == admin_id
            curl = create.locator(".curl-command").inner_text()
            assert "Authorization: Bearer" in curl, curl

            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "swagger-ui.png"), full_page=True)
        finally:
            browser.close()
    elapsed = time.perf_counter() - started

    # the item exists, seen over plain HTTP
    with urllib.request.urlopen(f"{origin}/api/items/{item['id']}", timeout=10) as response:
        assert response.status == 200
        fetched = json.load(response)
    assert (fetched["id"], fetched["name"], fetched["user_id"]) == (
        item["id"],
        "from swagger ui",
        admin_id,
    )

    assert external == [], f"the UI tried to reach the internet: {external}"
    assert own_failures == [], f"own requests failed: {own_failures}"
    load_errors = [e for e in console_errors if "failed to load" in e.lower()]
    assert load_errors == [], f"console reports failed loads: {load_errors}"
    assert page_errors == [], f"uncaught errors in the page: {page_errors}"
    sys.stdout.write(f"\n[swagger-ui] browser flow: {elapsed:.2f} s\n")
