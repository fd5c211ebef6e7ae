"""The mechanisms that make the API fast must stay correct: trigger-kept counts, the list
page cache, keyset pagination, index-backed queries and the bcrypt pool."""

import multiprocessing
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, select, text

from api.core.security import hash_password, verify_password
from api.services import item_search
from api.services import items as item_service
from models import Item, ItemCount, db
from tests.helpers import assert_index_backed, build_test_config, plan_of

SORTS = ("-created_at", "created_at", "name", "-name")


def counts_by_state(app) -> tuple[dict[bool, int], dict[bool, int]]:
    with app.app_context():
        kept = dict(db.session.execute(select(ItemCount.is_active, ItemCount.count)).all())
        real = {True: 0, False: 0}
        real.update(
            db.session.execute(select(Item.is_active, func.count()).group_by(Item.is_active)).all()
        )
        return kept, real


def test_trigger_kept_counts_stay_exact_through_every_write_path(
    app, client, admin, user, make_item
):
    items = [make_item(user, f"n{i}") for i in range(6)]
    client.delete(f"/api/items/{items[0]['id']}", headers=user.headers)
    client.post(f"/api/admin/items/{items[1]['id']}/toggle", headers=admin.headers)
    client.post(f"/api/admin/items/{items[0]['id']}/toggle", headers=admin.headers)
    client.post(
        "/api/admin/items/bulk-delete", json={"ids": [items[2]["id"]]}, headers=admin.headers
    )
    with app.app_context():  # raw SQL, bypassing the application entirely
        db.session.execute(text("UPDATE items SET is_active = false WHERE name = 'n3'"))
        db.session.execute(text("DELETE FROM items WHERE name = 'n4'"))
        db.session.commit()
    kept, real = counts_by_state(app)
    # n0 deleted then restored, n5 untouched: active; n1 toggled and n3 by SQL: inactive.
    assert kept == real == {True: 2, False: 2}
    assert client.get("/api/items").get_json()["total"] == 2
    assert client.get("/api/admin/items", headers=admin.headers).get_json()["total"] == 4


def test_cached_list_sees_raw_sql_changes(app, client, user, make_item):
    item = make_item(user, "before")
    assert client.get("/api/items").get_json()["items"][0]["name"] == "before"
    with app.app_context():
        db.session.execute(text("UPDATE items SET name = 'after' WHERE id = :id"), item)
        db.session.commit()
    assert client.get("/api/items").get_json()["items"][0]["name"] == "after"


def test_cached_list_sees_changes_made_by_another_instance(
    app_factory, tmp_path, shared_database_url
):
    shared = shared_database_url
    first = app_factory(SQLALCHEMY_DATABASE_URI=shared)
    second = create_second_app(tmp_path, shared)
    a, b = first.test_client(), second.test_client()
    token = a.post("/api/auth/register", json=_user()).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert a.get("/api/items").get_json()["total"] == 0  # cached by A
    created = b.post("/api/items", json={"name": "from B"}, headers=headers).get_json()
    page = a.get("/api/items").get_json()
    assert page["total"] == 1 and page["items"][0]["id"] == created["id"]


def create_second_app(tmp_path, url):
    from api import create_app
    from tests.contract import ContractClient

    app = create_app(build_test_config(tmp_path, SQLALCHEMY_DATABASE_URI=url))
    app.test_client_class = ContractClient
    return app


def _user() -> dict[str, str]:
    return {"username": "shared_user", "email": "shared@example.com", "password": "pw-shared-Tq8v"}


@pytest.mark.parametrize("sort", SORTS)
def test_keyset_walk_equals_offset_pages(client, user, make_item, sort):
    for name in ("b", "a", "c", "a", "d", "b", "e"):
        make_item(user, name)
    by_offset = [
        item["id"]
        for page in (1, 2, 3, 4)
        for item in client.get(f"/api/items?per_page=2&sort={sort}&page={page}").get_json()["items"]
    ]
    by_cursor, cursor = [], ""
    while cursor is not None:
        body = client.get(f"/api/items?per_page=2&sort={sort}&after={cursor}").get_json()
        by_cursor += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
    assert by_cursor == by_offset and len(by_offset) == 7


# Every sort over the public (active) and admin (all) lists, and the owner's own list
# (`/api/me/items`, newest first): an index gives both the filter and the order.
INDEXED_LISTS = [
    *(({"is_active": True}, sort) for sort in SORTS),
    *(({}, sort) for sort in SORTS),
    ({"owner_id": 1}, "-created_at"),
    ({"owner_id": 1}, "created_at"),
]


@pytest.mark.parametrize(("filters", "sort"), INDEXED_LISTS)
def test_list_queries_are_index_backed(app, filters, sort):
    query = item_service.ordered(sort).where(*item_service.item_filters(**filters)).limit(21)
    assert_index_backed(plan_of(app, query))


def _rare_page(app: Flask, needle: str) -> Any:
    """The first page of `-created_at` for a `q` matching one item, through the index."""
    with app.app_context():
        db.session.execute(
            text(
                "INSERT INTO items (name, name_folded, created_at, updated_at) "
                "VALUES ('zqxj', 'zqxj', '2026-01-01', '2026-01-01')"
            )
        )
        connection = db.session.connection()
        scope = {"owner_id": None, "is_active": True}
        assert item_search.walk_budget(item_search.Counts(1, 10**6), needed=21) is None
        narrowed = item_search.through_index(
            item_service.ordered("-created_at"),
            item_service.item_filters(is_active=True),
            connection,
            needle,
            **scope,
        )
        db.session.rollback()
    return narrowed.limit(21)


def _first_matches_page(app: Flask, needle: str) -> Any:
    """The same page with its total, as a longer rare `q` is first tried (`few_matches_page`)."""
    with app.app_context():
        narrowed = item_search.with_total_of_first_matches(
            item_service.ordered("-created_at"),
            db.session.connection(),
            needle,
            owner_id=None,
            is_active=True,
        )
        db.session.rollback()
    return narrowed.limit(21)


RARE_PAGES = [
    *((_rare_page, needle) for needle in ("zq", "zqx", "zqxj")),
    (_first_matches_page, "zqxj"),
]


@pytest.mark.new_schema  # PostgreSQL's plan on a tiny table follows earlier tests' statistics
@pytest.mark.parametrize(("page", "needle"), RARE_PAGES)
def test_a_page_of_rare_matches_comes_from_the_substring_index(app, page, needle):
    """Rare matches are looked up (FTS5 on SQLite, the grams' GIN on PostgreSQL), not walked for."""
    plan = plan_of(app, page(app, needle))
    assert "ix_items_name_grams" in plan or "items_search_active VIRTUAL TABLE" in plan, plan


@pytest.mark.new_schema
@pytest.mark.parametrize("page", [_rare_page, _first_matches_page])
def test_a_page_of_rare_matches_is_sorted_not_walked_for_whatever_the_planner_expects(app, page):
    """Its ORDER BY is one no index can serve, so even a planner that would rather not sort
    (PostgreSQL with `enable_sort` off: as when its statistics expect hundreds of matches, it
    walked the created_at index testing 1M rows, 6 s) looks the matches up and sorts them."""
    plan = plan_of(app, page(app, "zqxj"), avoid_sorting=True)
    assert "ix_items_name_grams" in plan or "items_search_active VIRTUAL TABLE" in plan, plan
    assert "Sort" in plan or "TEMP B-TREE FOR ORDER BY" in plan, plan


def _verify_in_child(hashed: str, queue) -> None:
    queue.put(verify_password("correct horse", hashed))


def test_password_hashing_works_in_a_process_forked_after_hashing():
    """gunicorn's master hashes the admin password, then forks: the pool must not deadlock."""
    hashed = hash_password("correct horse", rounds=4)
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_verify_in_child, args=(hashed, queue))
    child.start()
    child.join(timeout=20)
    assert child.exitcode == 0, "the forked child hung or crashed"
    assert queue.get(timeout=1) is True


@pytest.mark.parametrize("clustered", [True, False])
def test_sqlite_walks_for_common_matches_stop_at_their_budget(
    app_factory, tmp_path, clustered, monkeypatch
):
    """A common `q` whose matches are all older than thousands of newer items (or are spread
    among them): the page is exact either way, and on SQLite a walk reads no further than its
    budget before the substring index takes over (the statements show which way the page
    went). SQLite only, whatever database the suite runs on: PostgreSQL's walks are not
    bounded (api/services/item_search.py, `bounded_walk`). Common here: 300 matches are past
    the one-lookup bound of a rare term (`few_matches_page`), lowered from 1,000 to 100."""
    monkeypatch.setattr(item_search, "COUNT_FROM", 100)
    app = app_factory(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'walks.db'}")
    client = app.test_client()
    if clustered:  # every match older than the 2,500 newest items
        rows = [("zqxj", "2026-01-01")] * 300 + [("plain", "2026-02-01")] * 2500
    else:  # one item in nine matches, all through the list
        rows = [("zqxj" if n % 9 == 0 else "plain", "2026-01-01") for n in range(2800)]
    with app.app_context():
        db.session.execute(
            text(
                "INSERT INTO items (name, name_folded, description, is_active, created_at, "
                "updated_at) VALUES (:name, :name, '', :active, :at, :at)"
            ),
            [{"name": name, "active": True, "at": at} for name, at in rows],
        )
        db.session.commit()
        expected = (
            db.session.execute(
                select(Item.id)
                .where(Item.name_folded.contains("zqxj"), Item.is_active.is_(True))
                .order_by(Item.created_at.desc(), Item.id.desc())
            )
            .scalars()
            .all()
        )
    # Its first request learns that the term is common (`few_matches_page`'s one-lookup try,
    # through the index); what is measured is every request after that, whichever test ran first.
    # (Another page size, so the measured request is not served from the list page cache.)
    monkeypatch.setattr(item_search, "_COMMON", item_search._BoundedSet(16))
    assert client.get("/api/items?q=zqxj&per_page=19").status_code == 200
    statements: list[str] = []
    with app.app_context():
        listen = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listen)
        try:
            first = client.get("/api/items?q=zqxj&per_page=20").get_json()
        finally:
            event.remove(db.engine, "before_cursor_execute", listen)
    third = client.get("/api/items?q=zqxj&per_page=20&page=3").get_json()
    assert first["total"] == third["total"] == len(expected)
    assert [item["id"] for item in first["items"]] == expected[:20]
    assert [item["id"] for item in third["items"]] == expected[40:60]
    pages = [sql for sql in statements if "ORDER BY" in sql]  # not the counts
    looked_up = any("MATCH" in sql or "item_name_grams" in sql for sql in pages)
    assert looked_up == clustered, pages
