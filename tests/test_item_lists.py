"""The three item lists (`/api/items`, `/api/me/items`, `/api/admin/items`) take one parameter set,
validated one way: pages or cursors, `q`, `sort` (with `updated_at`), `updated_since`, and what
each adds (`owner_id`, `include_inactive`, `is_active`). Unknown parameters are refused on every
list. Together they make a change feed a partner can sync from, and every page has an ETag.
"""

import base64
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient

from api.services import items as item_service
from tests.helpers import Account, assert_error, assert_index_backed, names, plan_of
from tests.spec import inline_shared, schema_of

LISTS = ("/api/items", "/api/me/items", "/api/admin/items")
SORTS = ("-created_at", "created_at", "name", "-name", "-updated_at", "updated_at")


@pytest.fixture
def as_owner(user: Account, admin: Account) -> Callable[[str], dict[str, str]]:
    """Headers to read a list as the user who owns the items (the admin list needs the admin)."""
    return lambda path: admin.headers if path.startswith("/api/admin") else user.headers


def walk(client: FlaskClient, url: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    """Every item of a list, by cursor."""
    items, cursor = [], ""
    while cursor is not None:
        response = client.get(f"{url}&after={quote(cursor)}", headers=headers)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        items += body["items"]
        cursor = body["next_cursor"]
    return items


# --- the same parameters, validated the same way ------------------------------------------------


@pytest.mark.parametrize("path", LISTS)
def test_every_item_list_refuses_a_bad_sort(client, as_owner, path):
    assert_error(client.get(f"{path}?sort=bogus", headers=as_owner(path)), 400, "sort")


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("sort", SORTS)
def test_every_item_list_sorts_every_way(client, user, make_item, as_owner, path, sort):
    for name in ("b", "c", "a"):
        make_item(user, name)
    listed = names(client.get(f"{path}?sort={sort}", headers=as_owner(path)))
    expected = {
        "name": ["a", "b", "c"],
        "-name": ["c", "b", "a"],
        "created_at": ["b", "c", "a"],
        "-created_at": ["a", "c", "b"],
        "updated_at": ["b", "c", "a"],
        "-updated_at": ["a", "c", "b"],
    }[sort]
    assert listed == expected


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize(
    "query",
    [
        "zzz=1",
        "sortt=name",
        "updatedSince=2020-01-01",
        "page=1&per_page=5&utm_source=x",
    ],
)
def test_every_item_list_refuses_unknown_parameters(client, as_owner, path, query):
    body = assert_error(client.get(f"{path}?{query}", headers=as_owner(path)), 400)
    unknown = query.split("=")[0] if "utm" not in query else "utm_source"
    assert body["errors"] == {unknown: "unknown parameter"}


def test_only_the_lists_own_parameters_are_known(client, user, admin):
    assert_error(client.get("/api/me/items?owner_id=1", headers=user.headers), 400, "owner_id")
    assert_error(client.get("/api/items?is_active=false"), 400, "is_active")
    assert_error(client.get("/api/items?include_inactive=true"), 400, "include_inactive")
    assert client.get("/api/admin/items?is_active=false", headers=admin.headers).status_code == 200


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize(
    "value", ["yesterday", "2026-13-01", "2026-11-30T25:00", "1700000000", "%00", "%ED%A0%80", ""]
)
def test_every_item_list_refuses_a_bad_updated_since(client, as_owner, path, value):
    response = client.get(f"{path}?updated_since={value}", headers=as_owner(path))
    body = assert_error(response, 400, "updated_since")
    reason = body["errors"]["updated_since"]  # an encoded lone surrogate is not UTF-8 at all
    assert "ISO 8601" in reason or reason == "is not valid percent-encoded UTF-8"


@pytest.mark.parametrize("path", LISTS)
def test_every_item_list_filters_by_updated_since(client, user, make_item, as_owner, path):
    make_item(user, "old")
    since = make_item(user, "new")["updated_at"]
    make_item(user, "newer")
    for spelling in (since, since.replace("+00:00", "Z")):
        url = f"{path}?sort=updated_at&updated_since={quote(spelling)}"
        response = client.get(url, headers=as_owner(path))
        assert names(response) == ["new", "newer"]  # at or after: nothing is missed
        assert response.get_json()["total"] == 2


def test_updated_since_with_an_offset_means_that_instant(client, user, make_item):
    item = make_item(user, "x")
    later_elsewhere = "2999-01-01T05:00:00+05:00"
    assert names(client.get(f"/api/items?updated_since={quote(later_elsewhere)}")) == []
    same_instant = item["updated_at"].replace("+00:00", "+00:00")
    assert names(client.get(f"/api/items?updated_since={quote(same_instant)}")) == ["x"]


# --- the change feed --------------------------------------------------------------------------


@pytest.mark.parametrize("sort", SORTS)
def test_keyset_walk_by_every_sort_equals_offset_pages(client, user, make_item, sort):
    for name in ("b", "a", "c", "a", "d"):
        make_item(user, name)
    client.patch("/api/items/2", json={"name": "a2"}, headers=user.headers)
    by_offset = [
        item["id"]
        for page in (1, 2, 3)
        for item in client.get(
            f"/api/me/items?per_page=2&sort={sort}&page={page}", headers=user.headers
        ).get_json()["items"]
    ]
    by_cursor = [
        item["id"] for item in walk(client, f"/api/me/items?per_page=2&sort={sort}", user.headers)
    ]
    assert by_cursor == by_offset and len(by_offset) == 5


def test_my_items_is_a_change_feed_with_soft_deletes(client, user, other_user, make_item):
    """A partner syncs: read everything once, then only what changed since, deletions included."""
    first = [make_item(user, f"item {i}") for i in range(5)]
    make_item(other_user, "not mine")
    feed = "/api/me/items?per_page=2&sort=updated_at"
    synced = walk(client, feed, user.headers)
    assert [item["id"] for item in synced] == [item["id"] for item in first]
    checkpoint = max(item["updated_at"] for item in synced)

    edited = client.patch(
        f"/api/items/{first[1]['id']}", json={"name": "renamed"}, headers=user.headers
    )
    assert client.delete(f"/api/items/{first[3]['id']}", headers=user.headers).status_code == 204
    added = make_item(user, "brand new")

    changes = walk(client, f"{feed}&updated_since={quote(checkpoint)}", user.headers)
    changed = {item["id"]: item for item in changes if item["updated_at"] > checkpoint}
    assert list(changed) == [edited.get_json()["id"], first[3]["id"], added["id"]]
    assert changed[first[1]["id"]]["name"] == "renamed"
    assert changed[first[3]["id"]]["is_active"] is False  # the deletion is in the feed


def test_include_inactive_is_explicit_on_my_items(client, user, make_item):
    kept, gone = make_item(user, "kept"), make_item(user, "gone")
    client.delete(f"/api/items/{gone['id']}", headers=user.headers)
    default = client.get("/api/me/items?sort=name", headers=user.headers)
    assert names(default) == ["gone", "kept"]
    assert names(
        client.get("/api/me/items?sort=name&include_inactive=true", headers=user.headers)
    ) == ["gone", "kept"]
    only_active = client.get("/api/me/items?include_inactive=false", headers=user.headers)
    assert names(only_active) == ["kept"] and only_active.get_json()["total"] == 1
    assert kept["id"] != gone["id"]
    for bad in ("maybe", ""):  # an empty value is not "false"
        assert_error(
            client.get(f"/api/me/items?include_inactive={bad}", headers=user.headers),
            400,
            "include_inactive",
        )


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("page", "1_0"),
        ("per_page", "1_0"),
        ("per_page", "\uff15"),
        ("page", "\u0662"),
        ("owner_id", "\uff13"),
        ("per_page", " 5x"),
    ],
)
def test_integers_are_plain_ascii_digits(client, as_owner, path, name, value):
    """Python's `int` also reads "1_0" and other scripts' digits; the API does not."""
    response = client.get(path, query_string={name: value}, headers=as_owner(path))
    assert_error(response, 400, name)


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("query", ["sort=name&sort=-name", "per_page=2&per_page=5", "q=a&q=b"])
def test_every_item_list_refuses_a_repeated_parameter(client, as_owner, path, query):
    name = query.split("=", 1)[0]
    errors = assert_error(client.get(f"{path}?{query}", headers=as_owner(path)), 400, name)
    assert errors["errors"][name] == "is repeated"


def test_path_ids_are_plain_ascii_digits(client, user, make_item):
    item = make_item(user)
    assert client.get(f"/api/items/{item['id']}").status_code == 200
    fullwidth = "".join(chr(0xFF10 + int(digit)) for digit in str(item["id"]))
    assert client.get(f"/api/items/{quote(fullwidth)}").status_code == 404


def test_spec_declares_the_same_list_parameters(client):
    spec = inline_shared(client.get("/api/openapi.json").get_json())

    def params(path: str) -> dict[str, dict[str, Any]]:
        return {p["name"]: p for p in spec["paths"][path]["get"]["parameters"]}

    shared = {"page", "per_page", "after", "q", "sort", "updated_since", "If-None-Match"}
    public, mine, admin = params("/api/items"), params("/api/me/items"), params("/api/admin/items")
    assert shared <= set(public) and shared <= set(mine) and shared <= set(admin)
    assert "owner_id" in public and "owner_id" in admin and "owner_id" not in mine
    assert "include_inactive" in mine and "is_active" in admin
    for listing in (public, mine, admin):
        assert schema_of(listing["sort"]["schema"])["enum"] == list(SORTS)
        assert listing["updated_since"]["schema"]["format"] == "date-time"
    for path in ("/api/items", "/api/me/items", "/api/admin/items"):
        operation = spec["paths"][path]["get"]
        assert "304" in operation["responses"]
        assert "ETag" in operation["responses"]["200"]["headers"]
        assert "Unknown or repeated query parameters are refused" in operation["description"]


# --- ETags on list pages ------------------------------------------------------------------------


@pytest.mark.parametrize("path", [*LISTS, "/api/admin/users", "/api/admin/audit"])
def test_list_pages_have_an_etag_and_if_none_match_gives_304(
    client, user, admin, make_item, as_owner, path
):
    headers = admin.headers if path.startswith("/api/admin") else as_owner(path)
    make_item(user, "one")
    first = client.get(path, headers=headers)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    again = client.get(path, headers={**headers, "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    # A change makes the page different: a new ETag, and the old one no longer matches.
    make_item(user, "two")
    client.post("/api/admin/items/1/toggle", headers=admin.headers)
    if path == "/api/admin/users":
        client.patch(f"/api/admin/users/{user.id}", json={"is_admin": True}, headers=admin.headers)
    changed = client.get(path, headers={**headers, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_item_list_pages_may_be_kept_but_must_be_revalidated(client, user):
    assert client.get("/api/items").headers["Cache-Control"] == "no-cache"
    mine = client.get("/api/me/items", headers=user.headers)
    assert mine.headers["Cache-Control"] == "private, no-cache"


def test_the_etag_is_per_page_and_per_caller(client, user, other_user, make_item):
    make_item(user, "a")
    make_item(other_user, "b")
    page1 = client.get("/api/items?per_page=1").headers["ETag"]
    page2 = client.get("/api/items?per_page=1&page=2").headers["ETag"]
    mine = client.get("/api/me/items", headers=user.headers).headers["ETag"]
    theirs = client.get("/api/me/items", headers=other_user.headers).headers["ETag"]
    assert len({page1, page2, mine, theirs}) == 4
    # A cached page of one caller is never served to another.
    assert names(client.get("/api/me/items", headers=other_user.headers)) == ["b"]


# --- cursors are validated in full (issue 10, finding 6) --------------------------------------


def cursor_of(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor(*parts: Any) -> str:
    return cursor_of(json.dumps(list(parts)).encode())  # ensure_ascii: "\ud800" stays escaped


BAD_CURSORS = {
    "lone surrogate in a name": ("name", cursor("name", "\ud800", 1)),
    "low surrogate in a name": ("-name", cursor("-name", "a\udfffb", 1)),
    "NUL in a name": ("name", cursor("name", "a\u0000b", 1)),
    "over-long name": ("name", cursor("name", "x" * 256, 1)),
    "number for a name": ("name", cursor("name", 7, 1)),
    "lone surrogate in a time": ("-created_at", cursor("-created_at", "\ud800", 1)),
    "NUL in a time": ("-created_at", cursor("-created_at", "2026-01-01T00:00:00\u0000", 1)),
    "not a time": ("updated_at", cursor("updated_at", "yesterday", 1)),
    "time without offset": ("-updated_at", cursor("-updated_at", "2026-01-01T00:00:00", 1)),
    "time that overflows": ("created_at", cursor("created_at", "0001-01-01T00:00:00+01:00", 1)),
    "another sort's cursor": ("name", cursor("-created_at", "2026-01-01T00:00:00+00:00", 1)),
    "boolean id": ("name", cursor("name", "a", True)),
    "id out of range": ("name", cursor("name", "a", 2**31)),
    "negative id": ("name", cursor("name", "a", -1)),
    "string id": ("name", cursor("name", "a", "1")),
    "object": ("name", cursor_of(b'{"name": 1, "a": 2, "b": 3}')),
    "too short": ("name", cursor("name", "a")),
    "too long": ("name", cursor("name", "a", 1, 2)),
    "deeply nested": ("name", cursor_of(b"[" * 1500)),  # 2,000 characters, under the limit
    "invalid UTF-8": ("name", cursor_of(b'["name", "\xed\xa0\x80", 1]')),
    "not JSON": ("name", cursor_of(b"\x00\x01\x02")),
    "not base64": ("name", "!!!"),
    "non-ASCII": ("name", "%C3%A9%C3%A9%C3%A9%C3%A9"),
}


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("case", BAD_CURSORS)
def test_malformed_cursor_contents_are_a_clean_400(client, user, make_item, as_owner, path, case):
    make_item(user, "x")
    sort, after = BAD_CURSORS[case]
    response = client.get(f"{path}?sort={sort}&after={after}", headers=as_owner(path))
    body = assert_error(response, 400, "after")
    assert body["errors"]["after"] == "invalid cursor for this sort order"


@pytest.mark.parametrize("sort", SORTS)
def test_a_cursor_made_by_the_api_still_works_for_every_sort(client, user, make_item, sort):
    for name in ("é名", "b", "😀 c"):
        make_item(user, name)
    assert len(walk(client, f"/api/items?per_page=1&sort={sort}", {})) == 3


# --- index-backed -------------------------------------------------------------------------------

INDEXED = [
    *(({"is_active": True}, sort) for sort in ("updated_at", "-updated_at")),
    *(({}, sort) for sort in ("updated_at", "-updated_at")),
    *(({"owner_id": 1}, sort) for sort in SORTS),
]


@pytest.mark.parametrize(("filters", "sort"), INDEXED)
def test_new_sorts_and_the_owners_sorts_are_index_backed(app, filters, sort):
    query = item_service.ordered(sort).where(*item_service.item_filters(**filters)).limit(21)
    assert_index_backed(plan_of(app, query))


def test_the_change_feed_query_is_index_backed(app):
    from datetime import UTC, datetime

    since = datetime(2026, 1, 1, tzinfo=UTC)
    conditions = item_service.item_filters(is_active=True, updated_since=since)
    plan = plan_of(app, item_service.ordered("updated_at").where(*conditions).limit(21))
    assert "ix_items_active_updated" in plan, plan
    assert_index_backed(plan)


# --- the page cache: keyed on validated arguments, bounded in bytes (issue 10, finding 2) -------


def test_the_page_cache_is_keyed_on_validated_arguments(app, client, user, make_item):
    make_item(user, "x")
    cache = app.extensions["page_cache"]
    for spelling in ("per_page=20", "per_page=020", "per_page=+20", "per_page=%2020", ""):
        assert names(client.get(f"/api/items?{spelling}")) == ["x"]
    for junk in ("junk=1", "per_page=20&junk=2", "_=1700000000"):
        assert client.get(f"/api/items?{junk}").status_code == 400
    assert len(cache._pages) == 1  # one page, however it was spelt


def test_the_page_cache_stays_within_its_byte_budget(app_factory, make_user):
    app = app_factory(LIST_CACHE_BYTES=64 * 1024)
    client = app.test_client()
    token = client.post(
        "/api/auth/register",
        json={"username": "budget", "email": "b@example.com", "password": "pw-budget-123"},
    ).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    for i in range(30):
        body = {"name": f"item {i}", "description": "d" * 2000}
        assert client.post("/api/items", json=body, headers=headers).status_code == 201
    cache = app.extensions["page_cache"]
    pages = [
        f"/api/items?per_page={n}&sort={sort}" for n in range(1, 31) for sort in ("name", "-name")
    ]
    for path in pages:  # distinct valid arguments: each its own entry
        assert client.get(path).status_code == 200
        assert cache.used <= 64 * 1024
    assert 0 < len(cache._pages) < len(pages)
    big = client.get("/api/items?per_page=100")  # 60 kB: over an eighth of the budget
    assert big.status_code == 200 and len(big.data) > 8 * 1024
    assert not any(("per_page", 100) in key[2] for key in cache._pages)  # served, not kept
    assert cache.used <= 64 * 1024


def test_a_write_drops_every_cached_page(app, client, user, make_item):
    item = make_item(user, "before")
    cache = app.extensions["page_cache"]
    client.get("/api/items")
    client.get("/api/items?sort=name")
    assert len(cache._pages) == 2
    client.patch(f"/api/items/{item['id']}", json={"name": "after"}, headers=user.headers)
    assert names(client.get("/api/items")) == ["after"]
    assert len(cache._pages) == 1
