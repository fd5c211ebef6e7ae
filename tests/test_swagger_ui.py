"""The documentation UIs, used as a developer would: in a real (headless) browser, no internet.

Swagger UI renders the OpenAPI 3 document: log in through "Try it out", authorize with the token
the UI shows, reload (the authorization persists), create an item through the UI, and check over
plain HTTP that it exists. ReDoc renders the same document from its vendored bundle. Every request
that leaves the loopback interface is blocked and counted, and so is every Content-Security-Policy
violation: the pages work from their bundled assets alone, with no inline script.
"""

import json
import re
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
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
# ReDoc 3 always shows its vendor's logo from a CDN (hidden when it cannot load); the docs CSP
# blocks that image before any request is made, and that one refusal is expected.
EXPECTED_CSP_REFUSALS = ("https://cdn.redoc.ly/redoc/logo-mini",)
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


class Watched:
    """What a page did that it must not: reach the internet, fail its own loads, break CSP."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.external: list[str] = []
        self.own_failures: list[str] = []
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []

    def check(self) -> None:
        assert self.external == [], f"the UI tried to reach the internet: {self.external}"
        assert self.own_failures == [], f"own requests failed: {self.own_failures}"
        bad = [
            e
            for e in self.console_errors
            if "failed to load" in e.lower()
            or ("content security policy" in e.lower() and not _expected_refusal(e))
        ]
        assert bad == [], f"console reports failed loads or CSP violations: {bad}"
        assert self.page_errors == [], f"uncaught errors in the page: {self.page_errors}"


def _expected_refusal(message: str) -> bool:
    return any(f"'{url}" in message for url in EXPECTED_CSP_REFUSALS)


@contextmanager
def browser_page(origin: str) -> Iterator[tuple[Any, Watched]]:
    """A fresh headless Debian Chromium page whose every non-loopback request is blocked."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: run `make browser` to install Debian's chromium")
    from playwright.sync_api import sync_playwright

    watched = Watched(origin)
    external, own_failures = watched.external, watched.own_failures
    console_errors, page_errors = watched.console_errors, watched.page_errors
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
            yield page, watched
        finally:
            browser.close()


def authorize(page: Any, token: str) -> None:
    """Paste the token into the Authorize dialog's Bearer (http) scheme."""
    page.locator(".auth-wrapper button.authorize").click()
    modal = page.locator(".modal-ux")
    modal.wait_for(timeout=TIMEOUT_MS)
    bearer = modal.locator(".auth-container").filter(
        has=page.locator("h4", has_text=re.compile(r"^\s*Bearer\b"))
    )
    # OpenAPI 3 `http`/`bearer`: the UI adds the `Bearer ` prefix itself.
    bearer.locator("input").first.fill(token)
    bearer.locator("button.authorize").click()
    modal.locator("button.btn-done").first.click()
    modal.wait_for(state="detached", timeout=TIMEOUT_MS)


def test_swagger_ui_login_authorize_create(live_server: LiveServer) -> None:
    origin = live_server.url
    started = time.perf_counter()
    with browser_page(origin) as (page, watched):
        page.goto(f"{origin}/api/docs", wait_until="load")
        page.locator("#swagger-ui .information-container .title").wait_for(timeout=TIMEOUT_MS)
        page.locator(".opblock-tag-section").first.wait_for(timeout=TIMEOUT_MS)
        # the OpenAPI 3 document, not the Swagger 2.0 one
        assert page.locator("#swagger-ui .information-container .version-stamp").count()
        assert "OAS3" in page.locator("#swagger-ui .information-container").inner_text()
        link = page.locator("#swagger-ui .information-container a.link").first
        assert link.get_attribute("href").endswith("/api/openapi.json")

        # log in as the admin through "Try it out"
        login = open_operation(page, "auth", "login")
        body = execute(login, {"username": "admin", "password": ADMIN_PASSWORD}, 200)
        token = body.get("token")
        assert isinstance(token, str) and token.count(".") == 2, body
        assert body["user"]["username"] == "admin"
        admin_id = body["user"]["id"]

        # authorize with the token the UI showed; it survives a reload (persistAuthorization)
        authorize(page, token)
        assert page.locator(".auth-wrapper button.authorize.locked").count() == 1
        page.reload(wait_until="load")
        page.locator(".opblock-tag-section").first.wait_for(timeout=TIMEOUT_MS)
        page.locator(".auth-wrapper button.authorize.locked").wait_for(timeout=TIMEOUT_MS)

        # create an item through the UI
        create = open_operation(page, "user", "createItem")
        item = execute(create, {"name": "from swagger ui"}, 201)
        assert item["name"] == "from swagger ui"
        assert item["user_id"] == admin_id
        curl = create.locator(".curl-command").inner_text()
        assert "Authorization: Bearer" in curl, curl

        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "swagger-ui.png"), full_page=True)
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

    watched.check()
    sys.stdout.write(f"\n[swagger-ui] browser flow: {elapsed:.2f} s\n")


def test_swagger_ui_authorize_dialog_password_form_then_create(live_server: LiveServer) -> None:
    """The OAuth2 password flow: username and password typed into the Authorize dialog (the UI
    calls `POST /api/auth/token`), then "Try it out" creates an item with that token."""
    origin = live_server.url
    with browser_page(origin) as (page, watched):
        page.goto(f"{origin}/api/docs", wait_until="load")
        page.locator(".opblock-tag-section").first.wait_for(timeout=TIMEOUT_MS)
        page.locator(".auth-wrapper button.authorize").click()
        modal = page.locator(".modal-ux")
        modal.wait_for(timeout=TIMEOUT_MS)
        oauth = modal.locator(".auth-container").filter(
            has=page.locator("h4", has_text=re.compile(r"OAuth2"))
        )
        oauth.locator("#oauth_username").fill("admin")
        oauth.locator("#oauth_password").fill(ADMIN_PASSWORD)
        with page.expect_response(lambda r: r.url.endswith("/api/auth/token")) as token_call:
            oauth.locator("button.authorize").click()
        assert token_call.value.status == 200, token_call.value.text()
        granted = token_call.value.json()
        assert granted["token_type"] == "Bearer" and "items:write" in granted["scope"].split()
        oauth.locator("button.btn-done, button.close-modal").first.click()
        modal.wait_for(state="detached", timeout=TIMEOUT_MS)

        create = open_operation(page, "user", "createItem")
        item = execute(create, {"name": "via the oauth2 form"}, 201)
        curl = create.locator(".curl-command").inner_text()
        assert f"Bearer {granted['access_token']}" in curl, curl
    assert item["name"] == "via the oauth2 form"
    watched.check()


def test_redoc_renders_the_openapi_document_offline(live_server: LiveServer) -> None:
    origin = live_server.url
    with urllib.request.urlopen(f"{origin}/api/openapi.json", timeout=10) as response:
        spec = json.load(response)
    with browser_page(origin) as (page, watched):
        page.goto(f"{origin}/api/redoc", wait_until="load")
        heading = page.locator("#redoc h1").first
        heading.wait_for(timeout=TIMEOUT_MS)
        assert spec["info"]["title"] in heading.inner_text()
        # every tag of the document is on the page with its operations (rendered progressively)
        last = spec["tags"][-1]["description"]
        page.get_by_text(last, exact=True).first.wait_for(timeout=TIMEOUT_MS)
        for path in ("/api/auth/login", "/api/items", "/api/items/{item_id}"):
            page.get_by_text(path).first.wait_for(state="attached", timeout=2 * TIMEOUT_MS)
        text = page.locator("#redoc").inner_text()
        for tag in spec["tags"]:
            assert tag["name"] in text and tag["description"] in text, tag
        # the search finds an operation by its summary (its index is built in the page)
        page.locator("[data-testid=search-trigger]").click()
        page.keyboard.type("login")
        summary = spec["paths"]["/api/auth/login"]["post"]["summary"]
        found = page.get_by_text(summary, exact=True).filter(visible=True).first
        found.wait_for(timeout=TIMEOUT_MS)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "redoc.png"))
    watched.check()
