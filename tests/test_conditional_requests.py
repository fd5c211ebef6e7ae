"""Conditional requests on items: an `ETag` on every representation, `If-None-Match` answering
304, `If-Match` refusing a stale write with 412 (lost updates between two clients).
"""

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.helpers import (
    Account,
    MakeItem,
    assert_error,
)
from tests.spec import header_params, operation


@pytest.mark.parametrize(
    "path,method",
    [
        ("/api/items/{item_id}", "put"),
        ("/api/items/{item_id}", "patch"),
        ("/api/items/{item_id}", "delete"),
        ("/api/admin/items/{item_id}/toggle", "post"),
    ],
)
def test_writes_declare_if_match_and_412(path: str, method: str) -> None:
    op = operation(path, method)
    assert "If-Match" in header_params(op)
    assert "412" in op["responses"]


def test_get_item_declares_if_none_match_304_and_etag() -> None:
    op = operation("/api/items/{item_id}", "get")
    assert "If-None-Match" in header_params(op)
    assert "304" in op["responses"]
    assert "ETag" in op["responses"]["200"]["headers"]
    for method in ("put", "patch"):
        assert "ETag" in operation("/api/items/{item_id}", method)["responses"]["200"]["headers"]
    assert "ETag" in operation("/api/items", "post")["responses"]["201"]["headers"]


class TestConditionalRequests:
    def test_etag_stable_and_changes_after_patch(
        self, client: FlaskClient, user: Account, make_item: MakeItem
    ) -> None:
        item = make_item(user, "before")
        first = client.get(f"/api/items/{item['id']}")
        second = client.get(f"/api/items/{item['id']}")
        assert first.status_code == second.status_code == 200
        etag = first.headers["ETag"]
        assert re.fullmatch(r'"[^"]+"', etag)
        assert second.headers["ETag"] == etag
        patched = client.patch(
            f"/api/items/{item['id']}", json={"name": "after"}, headers=user.headers
        )
        assert patched.status_code == 200
        assert patched.get_json()["name"] == "after"
        assert patched.headers["ETag"] != etag
        again = client.get(f"/api/items/{item['id']}")
        assert again.headers["ETag"] == patched.headers["ETag"]

    def test_create_and_put_return_current_etag(self, client: FlaskClient, user: Account) -> None:
        created = client.post("/api/items", json={"name": "x"}, headers=user.headers)
        assert created.status_code == 201
        item_id = created.get_json()["id"]
        assert created.headers["ETag"] == client.get(f"/api/items/{item_id}").headers["ETag"]
        put = client.put(f"/api/items/{item_id}", json={"name": "y"}, headers=user.headers)
        assert put.status_code == 200
        assert put.headers["ETag"] != created.headers["ETag"]
        assert put.headers["ETag"] == client.get(f"/api/items/{item_id}").headers["ETag"]

    def test_if_none_match_current_gives_304_with_empty_body(
        self, client: FlaskClient, user: Account, make_item: MakeItem
    ) -> None:
        item = make_item(user)
        etag = client.get(f"/api/items/{item['id']}").headers["ETag"]
        response = client.get(f"/api/items/{item['id']}", headers={"If-None-Match": etag})
        assert response.status_code == 304
        assert response.data == b""
        assert response.headers["ETag"] == etag
        weak = client.get(
            f"/api/items/{item['id']}", headers={"If-None-Match": f'"other", W/{etag}'}
        )
        assert weak.status_code == 304
        head = client.head(f"/api/items/{item['id']}", headers={"If-None-Match": etag})
        assert (head.status_code, head.headers["ETag"]) == (304, etag)

    def test_if_none_match_stale_gives_200(
        self, client: FlaskClient, user: Account, make_item: MakeItem
    ) -> None:
        item = make_item(user, "one")
        etag = client.get(f"/api/items/{item['id']}").headers["ETag"]
        client.patch(f"/api/items/{item['id']}", json={"name": "two"}, headers=user.headers)
        response = client.get(f"/api/items/{item['id']}", headers={"If-None-Match": etag})
        assert response.status_code == 200
        assert response.get_json()["name"] == "two"
        assert response.headers["ETag"] != etag

    def test_if_none_match_does_not_reveal_hidden_items(
        self, client: FlaskClient, user: Account, make_item: MakeItem
    ) -> None:
        item = make_item(user)
        etag = client.get(f"/api/items/{item['id']}").headers["ETag"]
        assert client.delete(f"/api/items/{item['id']}", headers=user.headers).status_code == 204
        response = client.get(f"/api/items/{item['id']}", headers={"If-None-Match": etag})
        assert_error(response, 404)

    @pytest.mark.parametrize("method", ["put", "patch"])
    def test_if_match_stale_is_412_and_nothing_changes(
        self, client: FlaskClient, user: Account, make_item: MakeItem, method: str
    ) -> None:
        item = make_item(user, "original")
        response = getattr(client, method)(
            f"/api/items/{item['id']}",
            json={"name": "overwritten"},
            headers={**user.headers, "If-Match": '"stale"'},
        )
        assert_error(response, 412)
        assert client.get(f"/api/items/{item['id']}").get_json()["name"] == "original"

    def test_delete_with_stale_if_match_is_412_and_item_stays(
        self, client: FlaskClient, user: Account, make_item: MakeItem
    ) -> None:
        item = make_item(user)
        response = client.delete(
            f"/api/items/{item['id']}", headers={**user.headers, "If-Match": '"stale"'}
        )
        assert_error(response, 412)
        assert client.get(f"/api/items/{item['id']}").get_json()["is_active"] is True
        etag = client.get(f"/api/items/{item['id']}").headers["ETag"]
        ok = client.delete(f"/api/items/{item['id']}", headers={**user.headers, "If-Match": etag})
        assert ok.status_code == 204
        assert client.get(f"/api/items/{item['id']}").status_code == 404

    def test_if_match_current_and_star_succeed(
        self, client: FlaskClient, user: Account, make_item: MakeItem
    ) -> None:
        item = make_item(user)
        etag = client.get(f"/api/items/{item['id']}").headers["ETag"]
        current = client.patch(
            f"/api/items/{item['id']}",
            json={"name": "v2"},
            headers={**user.headers, "If-Match": etag},
        )
        assert current.status_code == 200
        assert current.get_json()["name"] == "v2"
        star = client.patch(
            f"/api/items/{item['id']}",
            json={"name": "v3"},
            headers={**user.headers, "If-Match": "*"},
        )
        assert star.status_code == 200
        assert star.get_json()["name"] == "v3"

    def test_a_weak_tag_never_matches_if_match_and_an_empty_one_is_malformed(
        self, client: FlaskClient, user: Account, make_item: MakeItem
    ) -> None:
        item = make_item(user)
        url = f"/api/items/{item['id']}"
        etag = client.get(url).headers["ETag"]
        weak = client.patch(
            url, json={"name": "v2"}, headers={**user.headers, "If-Match": f"W/{etag}"}
        )
        assert weak.status_code == 412  # RFC 9110 §13.1.1: strong comparison
        for empty in ("", "  "):
            malformed = client.patch(
                url, json={"name": "v2"}, headers={**user.headers, "If-Match": empty}
            )
            assert_error(malformed, 400, "If-Match")
        assert client.get(url).get_json()["name"] == item["name"]
        # If-None-Match compares weakly: the weak form of the current tag is a 304.
        assert client.get(url, headers={"If-None-Match": f"W/{etag}"}).status_code == 304

    def test_two_clients_racing_second_gets_412(
        self, app: Flask, user: Account, admin: Account, make_item: MakeItem
    ) -> None:
        item = make_item(user, "shared")
        alice, bob = app.test_client(), app.test_client()
        url = f"/api/items/{item['id']}"
        etag_a = alice.get(url).headers["ETag"]
        etag_b = bob.get(url).headers["ETag"]
        assert etag_a == etag_b
        first = alice.patch(
            url, json={"description": "alice"}, headers={**user.headers, "If-Match": etag_a}
        )
        assert first.status_code == 200
        second = bob.patch(
            url, json={"description": "bob"}, headers={**admin.headers, "If-Match": etag_b}
        )
        assert_error(second, 412)
        assert alice.get(url).get_json()["description"] == "alice"

    def test_admin_toggle_if_match(
        self, client: FlaskClient, admin: Account, user: Account, make_item: MakeItem
    ) -> None:
        item = make_item(user)
        url = f"/api/admin/items/{item['id']}/toggle"
        stale = client.post(url, headers={**admin.headers, "If-Match": '"stale"'})
        assert_error(stale, 412)
        assert client.get(f"/api/items/{item['id']}").get_json()["is_active"] is True
        audit = client.get("/api/admin/audit", headers=admin.headers).get_json()
        assert audit["total"] == 0
        etag = client.get(f"/api/items/{item['id']}").headers["ETag"]
        ok = client.post(url, headers={**admin.headers, "If-Match": etag})
        assert ok.status_code == 200
        assert ok.get_json()["is_active"] is False
        assert ok.headers["ETag"] not in (etag, None)
        assert (
            ok.headers["ETag"]
            == client.get(f"/api/items/{item['id']}", headers=admin.headers).headers["ETag"]
        )
