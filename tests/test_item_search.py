"""Search (`q`) and totals stay exactly right at any table size (issue 16): every list's total
comes from trigger-kept counts or the substring index, never from a scan, and must still equal
what a scan would find, whatever the length and case of `q`, through soft deletes, restores,
renames, raw SQL and concurrent writes.

`q` matches when `q.casefold()` is a substring of `name.casefold()`; `expected` below is that
rule in plain Python, the oracle every answer is checked against.
"""

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select, text

from api.services import item_search
from models import ItemCountedTerm, db
from tests.helpers import Account, Counts, MakeItem, recount_on

NAMES = [
    "Straße Nord",
    "STRASSE süd",
    "Café Ωmega",
    "café crème",
    "ǅungla",  # titlecase digraph: folds to "ǆungla"
    "ﬃ ligature",  # folds to "ffi ligature"
    "x",
    "ab",
    "Abc",
    "naïve ABC",
    "😀 smile",
    '50% off_"quoted" \\ back',
    "edge \ud7ff and \U0010ffff",  # the characters before the surrogates, and the last one
]
QUERIES = [
    "s",
    "S",
    "ß",
    "ss",
    "SS",
    "strasse",
    "STRAßE",
    "Ω",
    "ωM",
    "ΩMEGA",
    "ǆ",
    "ǅUN",
    "ﬃ",
    "ffi",
    "x",
    "a",
    "ab",
    "AB",
    "abc",
    "é",
    "É",
    "café c",
    "😀",
    " ",
    "%",
    "_",
    '"',
    "\\",
    '"quoted"',
    "zzz",
    "nomatch",
    "\ud7ff",
    "\U0010ffff",
]


def expected(names: list[str], q: str) -> list[str]:
    return sorted(name for name in names if q.casefold() in name.casefold())


def walk(client: FlaskClient, url: str, headers: dict[str, str] | None = None) -> list[str]:
    names, cursor = [], ""
    while cursor is not None:
        body = client.get(f"{url}&after={quote(cursor)}", headers=headers).get_json()
        names += [item["name"] for item in body["items"]]
        cursor = body["next_cursor"]
    return names


def listed(
    client: FlaskClient, path: str, q: str, headers: dict[str, str] | None = None, **params: Any
) -> tuple[int, list[str]]:
    """The total, and every name by cursor, then checked against the pages by number."""
    query = "&".join(f"{k}={v}" for k, v in params.items())
    url = f"{path}?q={quote(q)}&{query}&per_page=2"
    first = client.get(url, headers=headers)
    assert first.status_code == 200, first.get_json()
    total = first.get_json()["total"]
    by_cursor = walk(client, url, headers)
    big = client.get(f"{path}?q={quote(q)}&{query}&per_page=100", headers=headers).get_json()
    assert big["total"] == total
    assert sorted(by_cursor) == sorted(item["name"] for item in big["items"])
    return total, sorted(by_cursor)


@pytest.fixture
def named(user: Account, make_item: MakeItem) -> list[str]:
    for name in NAMES:
        make_item(user, name)
    return NAMES


@pytest.mark.parametrize("q", QUERIES)
def test_q_of_any_length_matches_case_folded_substrings(client, user, admin, named, q):
    want = expected(named, q)
    for path, headers in (
        ("/api/items", None),
        ("/api/me/items", user.headers),
        ("/api/admin/items", admin.headers),
    ):
        total, names = listed(client, path, q, headers)
        assert (total, names) == (len(want), want), path


def test_every_query_length_finds_a_rare_match_in_a_larger_table(client, user, make_item):
    """Few matches among many rows: the page comes from the substring index, not a walk."""
    for i in range(60):
        make_item(user, f"common item {i}")
    rare = make_item(user, "Ωmega rare")
    for q in ("Ω", "ωM", "ωme", "ΩMEGA", "mega r"):
        total, names = listed(client, "/api/items", q)
        assert (total, names) == (1, [rare["name"]]), q
        assert listed(client, "/api/items", q, sort="name")[1] == [rare["name"]]


def test_soft_delete_and_restore_move_an_item_between_the_totals(client, user, admin, make_item):
    keep, gone = make_item(user, "Alpha keep"), make_item(user, "alpha gone")
    assert client.delete(f"/api/items/{gone['id']}", headers=user.headers).status_code == 204
    for q in ("a", "al", "alp", "alpha", "ALPHA GONE"):
        public = expected(["Alpha keep"], q)
        assert listed(client, "/api/items", q) == (len(public), public)
        both = expected(["Alpha keep", "alpha gone"], q)
        assert listed(client, "/api/me/items", q, user.headers) == (len(both), both)
        assert listed(client, "/api/admin/items", q, admin.headers) == (len(both), both)
        deleted = expected(["alpha gone"], q)
        mine = listed(client, "/api/me/items", q, user.headers, include_inactive="false")
        assert mine == (len(public), public)
        inactive = listed(client, "/api/admin/items", q, admin.headers, is_active="false")
        assert inactive == (len(deleted), deleted)
    toggle = client.post(f"/api/admin/items/{gone['id']}/toggle", headers=admin.headers)
    assert toggle.status_code == 200
    assert listed(client, "/api/items", "alpha") == (2, ["Alpha keep", "alpha gone"])
    assert keep["name"] in listed(client, "/api/items", "a")[1]


def test_a_rename_moves_the_item_between_searches(client, user, make_item):
    item = make_item(user, "Alpha one")
    assert listed(client, "/api/items", "alpha") == (1, ["Alpha one"])
    renamed = client.patch(
        f"/api/items/{item['id']}", json={"name": "Bravo two"}, headers=user.headers
    )
    assert renamed.status_code == 200
    for q, want in (("alpha", []), ("one", []), ("bravo", ["Bravo two"]), ("o", ["Bravo two"])):
        assert listed(client, "/api/items", q) == (len(want), want), q
    described = client.patch(
        f"/api/items/{item['id']}", json={"description": "no name change"}, headers=user.headers
    )
    assert described.status_code == 200
    assert listed(client, "/api/items", "bravo") == (1, ["Bravo two"])


def test_owner_and_state_totals_are_exact(client, admin, make_user, make_item):
    alice, bob = make_user(), make_user()
    owned = {alice.id: [make_item(alice, f"a{i}") for i in range(5)]}
    owned[bob.id] = [make_item(bob, f"b{i}") for i in range(3)]
    client.delete(f"/api/items/{owned[alice.id][0]['id']}", headers=alice.headers)
    client.post(f"/api/admin/items/{owned[bob.id][0]['id']}/toggle", headers=admin.headers)
    client.post(
        "/api/admin/items/bulk-delete",
        json={"ids": [owned[alice.id][1]["id"]]},
        headers=admin.headers,
    )
    # alice: a2..a4 active, a0 deleted (a1 gone for good); bob: b1, b2 active, b0 deleted
    cases = [
        ("/api/items?", None, 5),
        (f"/api/items?owner_id={alice.id}&", None, 3),
        (f"/api/items?owner_id={bob.id}&", None, 2),
        ("/api/me/items?", alice.headers, 4),
        ("/api/me/items?include_inactive=false&", alice.headers, 3),
        ("/api/me/items?", bob.headers, 3),
        ("/api/admin/items?", admin.headers, 7),
        ("/api/admin/items?is_active=false&", admin.headers, 2),
        ("/api/admin/items?is_active=true&", admin.headers, 5),
        (f"/api/admin/items?owner_id={alice.id}&", admin.headers, 4),
        (f"/api/admin/items?owner_id={bob.id}&is_active=false&", admin.headers, 1),
        (f"/api/admin/items?owner_id={bob.id}&is_active=true&q=B&", admin.headers, 2),
    ]
    for url, headers, total in cases:
        body = client.get(f"{url}per_page=1", headers=headers).get_json()
        assert body["total"] == total, url
        assert len(walk(client, f"{url}per_page=2", headers)) == total, url


# --- the kept counts against a recount ----------------------------------------------------------


def recount(app: Flask) -> tuple[Counts, Counts]:
    with app.app_context():
        return recount_on(db.session.connection())


def raw(app: Flask, sql: str, **values: Any) -> None:
    with app.app_context():
        db.session.execute(text(sql), values)
        db.session.commit()


@pytest.fixture
def counted_from_two(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Keep the counts of any longer term matching 2+ items (normally 1,000+)."""
    monkeypatch.setattr(item_search, "COUNT_FROM", 2)
    yield


def test_kept_counts_equal_a_recount_after_every_write_path(
    app, client, admin, make_user, make_item, counted_from_two
):
    alice, bob = make_user(), make_user()
    items = [make_item(alice, name) for name in NAMES[:6]]
    items += [make_item(bob, name) for name in ("Straße Süd", "alpha café", "alpha beta")]
    assert listed(client, "/api/items", "alpha")[0] == 2  # now a counted term
    assert listed(client, "/api/items", "STRASSE")[0] == 3  # and this one
    client.patch(f"/api/items/{items[0]['id']}", json={"name": "Alphabet"}, headers=alice.headers)
    client.delete(f"/api/items/{items[1]['id']}", headers=alice.headers)
    client.post(f"/api/admin/items/{items[2]['id']}/toggle", headers=admin.headers)
    client.post(
        "/api/admin/items/bulk-delete", json={"ids": [items[3]["id"]]}, headers=admin.headers
    )
    # Raw SQL, bypassing the application: the triggers still keep every count.
    raw(app, "UPDATE items SET is_active = false WHERE id = :id", id=items[6]["id"])
    raw(app, "UPDATE items SET name_folded = 'alpha raw' WHERE id = :id", id=items[4]["id"])
    raw(app, "UPDATE items SET user_id = NULL WHERE id = :id", id=items[5]["id"])
    raw(app, "DELETE FROM items WHERE id = :id", id=items[7]["id"])
    raw(
        app,
        "INSERT INTO items (name, name_folded, description, is_active, created_at, updated_at, "
        "user_id) VALUES ('Raw Alpha', 'raw alpha', '', true, :t, :t, :owner)",
        t="2026-01-01 00:00:00",
        owner=bob.id,
    )
    kept, recounted = recount(app)
    assert kept == recounted
    with app.app_context():
        assert set(db.session.scalars(select(ItemCountedTerm.term))) == {"alpha", "strasse"}
    # Alphabet, alpha raw (by SQL), alpha beta and Raw Alpha; alpha café is gone (SQL DELETE)
    assert listed(client, "/api/items", "alpha")[0] == 4
    # Straße Nord became Alphabet; STRASSE süd (soft) and Straße Süd (by SQL) are deleted
    assert listed(client, "/api/items", "strasse") == (0, [])
    assert listed(client, "/api/admin/items", "strasse", admin.headers)[0] == 2


def test_counted_terms_are_bounded(app, client, user, make_item, counted_from_two, monkeypatch):
    monkeypatch.setattr(item_search, "MAX_COUNTED_TERMS", 2)
    for name in ("alpha bravo charlie", "alpha bravo delta"):
        make_item(user, name)
    for q in ("alpha", "bravo", "alpha bravo", "bravo "):
        assert listed(client, "/api/items", q)[0] == 2
    with app.app_context():
        assert len(db.session.scalars(select(ItemCountedTerm.term)).all()) == 2
    kept, recounted = recount(app)
    assert kept == recounted


def test_a_counted_term_follows_later_writes(client, user, admin, make_item, counted_from_two):
    first = make_item(user, "Delta one")
    make_item(user, "delta two")
    assert listed(client, "/api/items", "delta")[0] == 2  # registered now
    make_item(user, "DELTA three")
    client.delete(f"/api/items/{first['id']}", headers=user.headers)
    assert listed(client, "/api/items", "delta") == (2, ["DELTA three", "delta two"])
    assert listed(client, "/api/me/items", "delta", user.headers)[0] == 3
    assert listed(client, "/api/admin/items", "delta", admin.headers, is_active="false") == (
        1,
        ["Delta one"],
    )


# --- a rare longer term: its page and total in one lookup -------------------------------------


def search_statements(app: Flask, client: FlaskClient, url: str, headers=None) -> tuple[Any, list]:
    """The response to `url`, and the statements it ran that read the substring index or the
    kept counts."""
    statements: list[str] = []
    with app.app_context():
        listen = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listen)
        try:
            body = client.get(url, headers=headers).get_json()
        finally:
            event.remove(db.engine, "before_cursor_execute", listen)
    searched = ("MATCH", "item_name_grams", "item_gram_counts", "item_counted_terms")
    return body, [sql for sql in statements if any(word in sql for word in searched)]


def test_a_rare_longer_term_is_found_with_its_total_in_one_statement(
    app, client, make_user, admin, make_item
):
    alice, bob = make_user(), make_user()
    for i in range(40):
        make_item(alice, f"plain item {i}")
    rare = [make_item(alice if i % 2 else bob, f"Quokka {i}") for i in range(5)]
    client.delete(f"/api/items/{rare[0]['id']}", headers=bob.headers)
    newest_first = [item["name"] for item in reversed(rare[1:])]

    body, statements = search_statements(app, client, "/api/items?q=QUOKKA&per_page=2")
    assert body["total"] == 4 and [i["name"] for i in body["items"]] == newest_first[:2]
    assert len(statements) == 1, statements  # no count first, no registry read
    body, statements = search_statements(app, client, "/api/items?q=quokka&per_page=2&page=2")
    assert (body["total"], [i["name"] for i in body["items"]]) == (4, newest_first[2:])
    assert len(statements) == 1, statements
    assert listed(client, "/api/items", "okka ", sort="name") == (4, sorted(newest_first))
    assert listed(client, "/api/me/items", "quokka", bob.headers) == (
        3,
        ["Quokka 0", "Quokka 2", "Quokka 4"],
    )
    assert listed(client, "/api/admin/items", "quokka", admin.headers, is_active="false") == (
        1,
        ["Quokka 0"],
    )
    # A page past the last match still reports the exact total (it is counted instead).
    for page in (3, 50):
        past = client.get(f"/api/items?q=quokka&per_page=2&page={page}").get_json()
        assert (past["total"], past["items"]) == (4, []), page
    body, statements = search_statements(app, client, "/api/items?q=quokkas")
    assert (body["total"], body["items"]) == (0, []) and len(statements) == 1


def test_a_longer_term_reaching_the_bound_is_counted_and_kept_as_before(
    app, client, user, make_item, monkeypatch
):
    """Below COUNT_FROM matches one lookup answers; at COUNT_FROM the lookup is not exact, so the
    term is counted through the index and its counts kept from then on (both exact)."""
    monkeypatch.setattr(item_search, "COUNT_FROM", 3)
    make_item(user, "Wombat one")
    make_item(user, "wombat two")
    assert listed(client, "/api/items", "wombat")[0] == 2
    with app.app_context():
        assert db.session.scalars(select(ItemCountedTerm.term)).all() == []
    third = make_item(user, "WOMBAT three")
    assert listed(client, "/api/items", "wombat") == (
        3,
        ["WOMBAT three", "Wombat one", "wombat two"],
    )
    with app.app_context():
        assert db.session.scalars(select(ItemCountedTerm.term)).all() == ["wombat"]
    client.delete(f"/api/items/{third['id']}", headers=user.headers)
    assert listed(client, "/api/items", "wombat")[0] == 2
    kept, recounted = recount(app)
    assert kept == recounted


def test_terms_found_common_are_remembered_in_bounded_space():
    remembered = item_search._BoundedSet(3)
    for term in ("a", "b", "c", "d"):
        remembered.add((term, None, True))
    assert ("a", None, True) not in remembered  # the oldest went first
    assert all((term, None, True) in remembered for term in ("b", "c", "d"))
