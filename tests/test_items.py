"""Items through HTTP: `/api/items`, `/api/items/<id>` and `/api/me/items`, as clients see them."""

import time
from datetime import datetime
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.helpers import ITEM_FIELDS, PAGE_FIELDS, Account, MakeItem, assert_error, names


def assert_page(body: dict[str, Any], *, total: int, page: int = 1, per_page: int = 20) -> None:
    assert set(body) == PAGE_FIELDS
    assert body["total"] == total
    assert body["page"] == page
    assert body["per_page"] == per_page
    assert isinstance(body["items"], list)


def parse_ts(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    assert parsed.utcoffset() is not None and parsed.utcoffset().total_seconds() == 0
    return parsed


# --------------------------------------------------------------------------- GET /api/items


class TestListItems:
    def test_empty_list_has_envelope_and_defaults(self, client: FlaskClient) -> None:
        response = client.get("/api/items")
        assert response.status_code == 200
        body = response.get_json()
        assert_page(body, total=0)
        assert body["items"] == []

    def test_public_and_only_active(
        self, client: FlaskClient, user: Account, admin: Account, make_item: MakeItem
    ) -> None:
        kept = make_item(user, "kept")
        gone = make_item(user, "gone")
        toggled = make_item(admin, "toggled")
        assert client.delete(f"/api/items/{gone['id']}", headers=user.headers).status_code == 204
        r = client.post(f"/api/admin/items/{toggled['id']}/toggle", headers=admin.headers)
        assert r.status_code == 200

        response = client.get("/api/items")  # no token at all
        assert response.status_code == 200
        body = response.get_json()
        assert_page(body, total=1)
        assert body["items"] == [kept]
        assert set(body["items"][0]) == ITEM_FIELDS

    def test_owner_and_admin_also_see_only_active(
        self, client: FlaskClient, user: Account, admin: Account, make_item: MakeItem
    ) -> None:
        make_item(user, "alive")
        dead = make_item(user, "dead")
        client.delete(f"/api/items/{dead['id']}", headers=user.headers)
        for account in (user, admin):
            body = client.get("/api/items", headers=account.headers).get_json()
            assert names(body) == ["alive"]
            assert body["total"] == 1

    def test_invalid_token_on_public_endpoint_is_401(self, client: FlaskClient) -> None:
        response = client.get("/api/items", headers={"Authorization": "Bearer not-a-jwt"})
        assert_error(response, 401)

    def test_default_page_size_is_20(
        self, client: FlaskClient, user: Account, make_item: MakeItem
    ) -> None:
        for i in range(23):
            make_item(user, f"item-{i:02d}")
        body = client.get("/api/items").get_json()
        assert_page(body, total=23, page=1, per_page=20)
        assert len(body["items"]) == 20
        # default sort is newest first
        assert body["items"][0]["name"] == "item-22"

        body = client.get("/api/items?page=2").get_json()
        assert_page(body, total=23, page=2, per_page=20)
        assert names(body) == ["item-02", "item-01", "item-00"]

    def test_pages_cover_every_item_exactly_once(
        self, client: FlaskClient, user: Account, make_item: MakeItem
    ) -> None:
        created = [make_item(user, f"p{i}")["id"] for i in range(7)]
        seen: list[int] = []
        for page in (1, 2, 3):
            body = client.get(f"/api/items?per_page=3&page={page}").get_json()
            assert_page(body, total=7, page=page, per_page=3)
            seen += [item["id"] for item in body["items"]]
        assert len(body["items"]) == 1
        assert sorted(seen) == sorted(created)
        assert len(seen) == len(set(seen))

    def test_per_page_100_is_allowed(
        self, client: FlaskClient, user: Account, make_item: MakeItem
    ) -> None:
        make_item(user, "one")
        response = client.get("/api/items?per_page=100")
        assert response.status_code == 200
        assert_page(response.get_json(), total=1, per_page=100)

    def test_per_page_1(self, client: FlaskClient, user: Account, make_item: MakeItem) -> None:
        make_item(user, "one")
        make_item(user, "two")
        body = client.get("/api/items?per_page=1").get_json()
        assert_page(body, total=2, per_page=1)
        assert names(body) == ["two"]

    @pytest.mark.parametrize("value", ["0", "101", "-1", "abc", "", "1.5", "1e3", "99999999999"])
    def test_bad_per_page_is_400(self, client: FlaskClient, value: str) -> None:
        assert_error(client.get(f"/api/items?per_page={value}"), 400, "per_page")

    @pytest.mark.parametrize("value", ["0", "-1", "abc", "", "2.0"])
    def test_bad_page_is_400(self, client: FlaskClient, value: str) -> None:
        assert_error(client.get(f"/api/items?page={value}"), 400, "page")

    def test_page_and_per_page_errors_reported_together(self, client: FlaskClient) -> None:
        body = assert_error(client.get("/api/items?page=0&per_page=0"), 400, "page", "per_page")
        assert isinstance(body["errors"]["page"], str)

    def test_page_beyond_the_end_is_empty_with_total(
        self, client: FlaskClient, user: Account, make_item: MakeItem
    ) -> None:
        for i in range(3):
            make_item(user, f"x{i}")
        response = client.get("/api/items?page=5&per_page=2")
        assert response.status_code == 200
        body = response.get_json()
        assert_page(body, total=3, page=5, per_page=2)
        assert body["items"] == []

    # -- q

    def test_q_is_case_insensitive_contains(
        self, client: FlaskClient, user: Account, make_item: MakeItem
    ) -> None:
        make_item(user, "Red Apple")
        make_item(user, "pineAPPLE juice")
        make_item(user, "Banana")
        body = client.get("/api/items?q=apple&sort=name").get_json()
        assert_page(body, total=2)
        assert names(body) == ["Red Apple", "pineAPPLE juice"]
        body = client.get("/api/items?q=APPLE&sort=name").get_json()
        assert names(body) == ["Red Apple", "pineAPPLE juice"]
        body = client.get("/api/items?q=nan").get_json()
        assert names(body) == ["Banana"]
        body = client.get("/api/items?q=cherry").get_json()
        assert_page(body, total=0)
        assert body["items"] == []

    def test_q_ignores_inactive(
        self, client: FlaskClient, user: Account, make_item: MakeItem
    ) -> None:
        make_item(user, "apple one")
        dead = make_item(user, "apple two")
        client.delete(f"/api/items/{dead['id']}", headers=user.headers)
        body = client.get("/api/items?q=apple").get_json()
        assert names(body) == ["apple one"]
        assert body["total"] == 1

    @pytest.mark.parametrize(
        ("q", "expected"),
        [
            ("%", ["100% cotton"]),
            ("0%", ["100% cotton"]),
            ("_", ["snake_case"]),
            ("e_c", ["snake_case"]),
            ("\\", ["back\\slash"]),
            ("%%", []),
            ("__", []),
        ],
    )
    def test_q_wildcards_are_literal(
        self, client: FlaskClient, user: Account, make_item: MakeItem, q: str, expected: list[str]
    ) -> None:
        for name in ("100% cotton", "1000 cotton", "snake_case", "snakeXcase", "back\\slash"):
            make_item(user, name)
        response = client.get("/api/items", query_string={"q": q})
        assert response.status_code == 200
        body = response.get_json()
        assert names(body) == expected
        assert body["total"] == len(expected)

    def test_q_unicode(self, client: FlaskClient, user: Account, make_item: MakeItem) -> None:
        make_item(user, "Café Crème")
        make_item(user, "Tee 🍵 Time")
        make_item(user, "東京タワー")
        make_item(user, "plain")
        for q, expected in [
            ("é", ["Café Crème"]),
            ("CAFé", ["Café Crème"]),  # ASCII part matched regardless of case
            ("🍵", ["Tee 🍵 Time"]),
            ("京タ", ["東京タワー"]),
        ]:
            response = client.get("/api/items", query_string={"q": q})
            assert response.status_code == 200, q
            assert names(response.get_json()) == expected, q

    def test_empty_q_means_no_filter(
        self, client: FlaskClient, user: Account, make_item: MakeItem
    ) -> None:
        make_item(user, "a")
        make_item(user, "b")
        body = client.get("/api/items?q=").get_json()
        assert body["total"] == 2

    def test_overlong_q_is_400(self, client: FlaskClient) -> None:
        assert_error(client.get("/api/items", query_string={"q": "x" * 256}), 400, "q")

    # -- sort

    @pytest.mark.parametrize(
        ("sort", "expected"),
        [
            ("created_at", ["banana", "apple", "cherry"]),
            ("-created_at", ["cherry", "apple", "banana"]),
            ("name", ["apple", "banana", "cherry"]),
            ("-name", ["cherry", "banana", "apple"]),
        ],
    )
    def test_sort(
        self,
        client: FlaskClient,
        user: Account,
        make_item: MakeItem,
        sort: str,
        expected: list[str],
    ) -> None:
        for name in ("banana", "apple", "cherry"):  # creation order
            make_item(user, name)
        response = client.get(f"/api/items?sort={sort}")
        assert response.status_code == 200
        body = response.get_json()
        assert names(body) == expected
        assert body["total"] == 3

    def test_default_sort_is_newest_first(
        self, client: FlaskClient, user: Account, make_item: MakeItem
    ) -> None:
        ids = [make_item(user, name)["id"] for name in ("b", "c", "a")]
        body = client.get("/api/items").get_json()
        assert [item["id"] for item in body["items"]] == list(reversed(ids))

    def test_sort_is_stable_across_pages(
        self, client: FlaskClient, user: Account, make_item: MakeItem
    ) -> None:
        for _ in range(5):
            make_item(user, "same")
        ids: list[int] = []
        for page in (1, 2, 3):
            body = client.get(f"/api/items?sort=name&per_page=2&page={page}").get_json()
            ids += [item["id"] for item in body["items"]]
        assert ids == sorted(ids)
        assert len(set(ids)) == 5

    @pytest.mark.parametrize("sort", ["bogus", "id", "NAME", "+name", "--name", "user_id", ""])
    def test_unknown_sort_is_400(self, client: FlaskClient, sort: str) -> None:
        assert_error(client.get("/api/items", query_string={"sort": sort}), 400, "sort")

    # -- owner_id

    def test_owner_id_filter(
        self, client: FlaskClient, user: Account, other_user: Account, make_item: MakeItem
    ) -> None:
        mine = make_item(user, "mine")
        theirs = make_item(other_user, "theirs")
        body = client.get(f"/api/items?owner_id={user.id}").get_json()
        assert_page(body, total=1)
        assert body["items"] == [mine]
        body = client.get(f"/api/items?owner_id={other_user.id}").get_json()
        assert body["items"] == [theirs]
        body = client.get("/api/items?owner_id=99999").get_json()
        assert_page(body, total=0)
        assert body["items"] == []

    def test_owner_id_combines_with_q(
        self, client: FlaskClient, user: Account, other_user: Account, make_item: MakeItem
    ) -> None:
        make_item(user, "pen red")
        make_item(user, "pencil")
        make_item(other_user, "pen blue")
        body = client.get(f"/api/items?owner_id={user.id}&q=pen&sort=name").get_json()
        assert names(body) == ["pen red", "pencil"]

    @pytest.mark.parametrize("value", ["abc", "0", "-3", "1.5", ""])
    def test_bad_owner_id_is_400(self, client: FlaskClient, value: str) -> None:
        assert_error(client.get(f"/api/items?owner_id={value}"), 400, "owner_id")


# -------------------------------------------------------------------------- POST /api/items


class TestCreateItem:
    def test_created_owned_by_caller(self, client: FlaskClient, user: Account) -> None:
        response = client.post(
            "/api/items", json={"name": "Notebook", "description": "A5"}, headers=user.headers
        )
        assert response.status_code == 201
        item = response.get_json()
        assert set(item) == ITEM_FIELDS
        assert isinstance(item["id"], int)
        assert item["name"] == "Notebook"
        assert item["description"] == "A5"
        assert item["is_active"] is True
        assert item["user_id"] == user.id
        parse_ts(item["created_at"])
        parse_ts(item["updated_at"])

        fetched = client.get(f"/api/items/{item['id']}")
        assert fetched.status_code == 200
        assert fetched.get_json() == item

    def test_description_is_optional(self, client: FlaskClient, user: Account) -> None:
        response = client.post("/api/items", json={"name": "bare"}, headers=user.headers)
        assert response.status_code == 201
        assert response.get_json()["description"] in ("", None)

    def test_anonymous_is_401(self, client: FlaskClient) -> None:
        assert_error(client.post("/api/items", json={"name": "x"}), 401)
        assert client.get("/api/items").get_json()["total"] == 0

    @pytest.mark.parametrize(
        "kwargs",
        [
            {"json": {}},
            {"json": {"name": ""}},
            {"data": "{bad", "content_type": "application/json"},
        ],
        ids=["missing-name", "empty-name", "malformed"],
    )
    def test_anonymous_with_invalid_body_is_still_401(
        self, client: FlaskClient, kwargs: dict[str, Any]
    ) -> None:
        # authentication comes before body validation
        assert_error(client.post("/api/items", **kwargs), 401)

    def test_bad_token_is_401(self, client: FlaskClient) -> None:
        response = client.post(
            "/api/items", json={"name": "x"}, headers={"Authorization": "Bearer abc.def.ghi"}
        )
        assert_error(response, 401)

    @pytest.mark.parametrize("length", [1, 255])
    def test_name_length_bounds_accepted(
        self, client: FlaskClient, user: Account, length: int
    ) -> None:
        name = "n" * length
        response = client.post("/api/items", json={"name": name}, headers=user.headers)
        assert response.status_code == 201
        assert response.get_json()["name"] == name

    @pytest.mark.parametrize(
        "payload",
        [
            {},
            {"description": "no name"},
            {"name": ""},
            {"name": None},
            {"name": "n" * 256},
            {"name": 123},
            {"name": ["a"]},
            {"name": {"a": 1}},
            {"name": True},
            {"name": "ok", "description": 5},
        ],
        ids=[
            "missing",
            "only-description",
            "empty",
            "null",
            "256-chars",
            "int",
            "list",
            "object",
            "bool",
            "description-int",
        ],
    )
    def test_invalid_body_is_400(
        self, client: FlaskClient, user: Account, payload: dict[str, Any]
    ) -> None:
        response = client.post("/api/items", json=payload, headers=user.headers)
        field = "description" if "description" in payload and "name" in payload else "name"
        assert_error(response, 400, field)
        assert client.get("/api/items").get_json()["total"] == 0

    @pytest.mark.parametrize("body", ["[]", '"name"', "null", "{bad json", ""])
    def test_non_object_body_is_400(self, client: FlaskClient, user: Account, body: str) -> None:
        response = client.post(
            "/api/items", data=body, content_type="application/json", headers=user.headers
        )
        assert_error(response, 400)

    @pytest.mark.parametrize(
        "name", ["Ünïcödé ñame", "表情 😀🎉", "👩‍👩‍👧‍👦", "مرحبا", "  spaced  "]
    )
    def test_unicode_names(self, client: FlaskClient, user: Account, name: str) -> None:
        response = client.post("/api/items", json={"name": name}, headers=user.headers)
        assert response.status_code == 201
        item = response.get_json()
        assert item["name"] == name
        assert client.get(f"/api/items/{item['id']}").get_json()["name"] == name

    def test_255_emoji_name(self, client: FlaskClient, user: Account) -> None:
        name = "😀" * 255
        response = client.post("/api/items", json={"name": name}, headers=user.headers)
        assert response.status_code == 201
        assert response.get_json()["name"] == name
        response = client.post("/api/items", json={"name": name + "😀"}, headers=user.headers)
        assert_error(response, 400, "name")

    def test_mass_assignment_is_ignored(
        self, client: FlaskClient, user: Account, other_user: Account
    ) -> None:
        payload = {
            "name": "sneaky",
            "user_id": other_user.id,
            "is_active": False,
            "id": 4242,
            "created_at": "2000-01-01T00:00:00+00:00",
        }
        response = client.post("/api/items", json=payload, headers=user.headers)
        assert response.status_code == 201
        item = response.get_json()
        assert item["user_id"] == user.id
        assert item["is_active"] is True
        assert item["id"] != 4242
        assert not item["created_at"].startswith("2000")
        assert client.get("/api/items/4242").status_code == 404
        listed = client.get(f"/api/items?owner_id={user.id}").get_json()
        assert [i["id"] for i in listed["items"]] == [item["id"]]

    def test_form_body_is_rejected(self, client: FlaskClient, user: Account) -> None:
        response = client.post("/api/items", data={"name": "form"}, headers=user.headers)
        assert response.status_code in (400, 415)
        assert response.is_json
        assert "error" in response.get_json()
        assert client.get("/api/items").get_json()["total"] == 0


# --------------------------------------------------------------------- GET /api/items/<id>


class TestGetItem:
    def test_active_item_is_public(
        self, client: FlaskClient, user: Account, other_user: Account, make_item: MakeItem
    ) -> None:
        item = make_item(user, "visible", description="d")
        for headers in ({}, user.headers, other_user.headers):
            response = client.get(f"/api/items/{item['id']}", headers=headers)
            assert response.status_code == 200
            assert response.get_json() == item

    @pytest.mark.parametrize("path", ["/api/items/99999", "/api/items/0"])
    def test_absent_is_404(self, client: FlaskClient, path: str) -> None:
        assert_error(client.get(path), 404)

    def test_non_integer_id_is_404_json(self, client: FlaskClient) -> None:
        response = client.get("/api/items/abc")
        assert_error(response, 404)

    def test_inactive_visible_to_owner_and_admin_only(
        self,
        client: FlaskClient,
        user: Account,
        other_user: Account,
        admin: Account,
        make_item: MakeItem,
    ) -> None:
        item = make_item(user, "hidden")
        assert client.delete(f"/api/items/{item['id']}", headers=user.headers).status_code == 204
        url = f"/api/items/{item['id']}"

        assert_error(client.get(url), 404)
        assert_error(client.get(url, headers=other_user.headers), 404)
        for account in (user, admin):
            response = client.get(url, headers=account.headers)
            assert response.status_code == 200
            body = response.get_json()
            assert body["id"] == item["id"]
            assert body["is_active"] is False

    def test_absent_and_hidden_look_the_same(
        self, client: FlaskClient, user: Account, other_user: Account, make_item: MakeItem
    ) -> None:
        item = make_item(user, "hidden")
        client.delete(f"/api/items/{item['id']}", headers=user.headers)
        hidden = client.get(f"/api/items/{item['id']}", headers=other_user.headers)
        absent = client.get("/api/items/99999", headers=other_user.headers)
        assert hidden.status_code == absent.status_code == 404
        assert hidden.get_json()["error"] == absent.get_json()["error"]
        assert hidden.get_json().get("errors") == absent.get_json().get("errors")


# ------------------------------------------------------------ PUT / PATCH /api/items/<id>


class TestUpdateItem:
    @pytest.mark.parametrize("method", ["put", "patch"])
    def test_owner_can_update(
        self, client: FlaskClient, user: Account, make_item: MakeItem, method: str
    ) -> None:
        item = make_item(user, "old", description="old desc")
        time.sleep(0.002)
        response = getattr(client, method)(
            f"/api/items/{item['id']}",
            json={"name": "new", "description": "new desc"},
            headers=user.headers,
        )
        assert response.status_code == 200
        body = response.get_json()
        assert set(body) == ITEM_FIELDS
        assert body["id"] == item["id"]
        assert body["name"] == "new"
        assert body["description"] == "new desc"
        assert body["user_id"] == user.id
        assert body["is_active"] is True
        assert body["created_at"] == item["created_at"]
        assert parse_ts(body["updated_at"]) > parse_ts(item["updated_at"])
        assert client.get(f"/api/items/{item['id']}").get_json() == body

    @pytest.mark.parametrize("method", ["put", "patch"])
    def test_admin_can_update_and_owner_is_kept(
        self, client: FlaskClient, user: Account, admin: Account, make_item: MakeItem, method: str
    ) -> None:
        item = make_item(user, "old")
        response = getattr(client, method)(
            f"/api/items/{item['id']}", json={"name": "by admin"}, headers=admin.headers
        )
        assert response.status_code == 200
        body = response.get_json()
        assert body["name"] == "by admin"
        assert body["user_id"] == user.id

    @pytest.mark.parametrize("method", ["put", "patch"])
    def test_other_user_is_403(
        self,
        client: FlaskClient,
        user: Account,
        other_user: Account,
        make_item: MakeItem,
        method: str,
    ) -> None:
        item = make_item(user, "mine")
        response = getattr(client, method)(
            f"/api/items/{item['id']}", json={"name": "stolen"}, headers=other_user.headers
        )
        assert_error(response, 403)
        assert client.get(f"/api/items/{item['id']}").get_json() == item

    @pytest.mark.parametrize("method", ["put", "patch"])
    def test_anonymous_is_401(
        self, client: FlaskClient, user: Account, make_item: MakeItem, method: str
    ) -> None:
        item = make_item(user, "mine")
        response = getattr(client, method)(f"/api/items/{item['id']}", json={"name": "anon"})
        assert_error(response, 401)
        assert client.get(f"/api/items/{item['id']}").get_json() == item

    @pytest.mark.parametrize("method", ["put", "patch"])
    def test_anonymous_with_invalid_body_is_401(
        self, client: FlaskClient, user: Account, make_item: MakeItem, method: str
    ) -> None:
        item = make_item(user, "mine")
        response = getattr(client, method)(f"/api/items/{item['id']}", json={"name": ""})
        assert_error(response, 401)

    @pytest.mark.parametrize("method", ["put", "patch"])
    def test_absent_is_404(self, client: FlaskClient, user: Account, method: str) -> None:
        response = getattr(client, method)(
            "/api/items/99999", json={"name": "x"}, headers=user.headers
        )
        assert_error(response, 404)

    def test_patch_is_partial(
        self, client: FlaskClient, user: Account, make_item: MakeItem
    ) -> None:
        item = make_item(user, "keep me", description="original")
        url = f"/api/items/{item['id']}"

        body = client.patch(url, json={"description": "changed"}, headers=user.headers).get_json()
        assert body["name"] == "keep me"
        assert body["description"] == "changed"

        body = client.patch(url, json={"name": "renamed"}, headers=user.headers).get_json()
        assert body["name"] == "renamed"
        assert body["description"] == "changed"

        response = client.patch(url, json={}, headers=user.headers)
        assert response.status_code == 200
        assert response.get_json()["name"] == "renamed"
        assert response.get_json()["description"] == "changed"

    def test_put_replaces_description(
        self, client: FlaskClient, user: Account, make_item: MakeItem
    ) -> None:
        item = make_item(user, "n", description="to be dropped")
        response = client.put(f"/api/items/{item['id']}", json={"name": "m"}, headers=user.headers)
        assert response.status_code == 200
        body = response.get_json()
        assert body["name"] == "m"
        assert body["description"] in ("", None)

    @pytest.mark.parametrize("method", ["put", "patch"])
    def test_owner_and_state_cannot_be_changed(
        self,
        client: FlaskClient,
        user: Account,
        other_user: Account,
        make_item: MakeItem,
        method: str,
    ) -> None:
        item = make_item(user, "mine")
        response = getattr(client, method)(
            f"/api/items/{item['id']}",
            json={
                "name": "still mine",
                "user_id": other_user.id,
                "is_active": False,
                "id": 777,
                "created_at": "2000-01-01T00:00:00+00:00",
            },
            headers=user.headers,
        )
        assert response.status_code == 200
        body = response.get_json()
        assert body["id"] == item["id"]
        assert body["user_id"] == user.id
        assert body["is_active"] is True
        assert body["created_at"] == item["created_at"]
        assert client.get("/api/items/777").status_code == 404
        # other_user still cannot manage it
        response = client.patch(
            f"/api/items/{item['id']}", json={"name": "x"}, headers=other_user.headers
        )
        assert response.status_code == 403

    @pytest.mark.parametrize(
        "payload",
        [{"name": ""}, {"name": None}, {"name": "n" * 256}, {"name": 1}, {"description": 1}],
        ids=["empty", "null", "256", "int", "description-int"],
    )
    @pytest.mark.parametrize("method", ["put", "patch"])
    def test_invalid_update_is_400(
        self,
        client: FlaskClient,
        user: Account,
        make_item: MakeItem,
        method: str,
        payload: dict[str, Any],
    ) -> None:
        item = make_item(user, "valid")
        if method == "put" and "name" not in payload:
            payload = {"name": "fine", **payload}
        response = getattr(client, method)(
            f"/api/items/{item['id']}", json=payload, headers=user.headers
        )
        assert_error(response, 400, "description" if "description" in payload else "name")
        assert client.get(f"/api/items/{item['id']}").get_json() == item

    def test_put_requires_name(
        self, client: FlaskClient, user: Account, make_item: MakeItem
    ) -> None:
        item = make_item(user, "valid")
        response = client.put(
            f"/api/items/{item['id']}", json={"description": "only"}, headers=user.headers
        )
        assert_error(response, 400, "name")
        assert client.get(f"/api/items/{item['id']}").get_json() == item

    def test_patch_255_name_ok(
        self, client: FlaskClient, user: Account, make_item: MakeItem
    ) -> None:
        item = make_item(user, "valid")
        response = client.patch(
            f"/api/items/{item['id']}", json={"name": "é" * 255}, headers=user.headers
        )
        assert response.status_code == 200
        assert response.get_json()["name"] == "é" * 255


# ---------------------------------------------------------------- DELETE /api/items/<id>


class TestDeleteItem:
    def test_owner_soft_deletes(
        self, client: FlaskClient, user: Account, make_item: MakeItem
    ) -> None:
        keep = make_item(user, "keep")
        item = make_item(user, "bye")
        response = client.delete(f"/api/items/{item['id']}", headers=user.headers)
        assert response.status_code == 204
        assert response.data == b""

        public = client.get("/api/items").get_json()
        assert [i["id"] for i in public["items"]] == [keep["id"]]
        assert public["total"] == 1

        mine = client.get("/api/me/items", headers=user.headers).get_json()
        assert mine["total"] == 2
        by_id = {i["id"]: i for i in mine["items"]}
        assert by_id[item["id"]]["is_active"] is False
        assert by_id[item["id"]]["name"] == "bye"
        assert by_id[keep["id"]]["is_active"] is True

    def test_admin_can_delete(
        self, client: FlaskClient, user: Account, admin: Account, make_item: MakeItem
    ) -> None:
        item = make_item(user, "bye")
        response = client.delete(f"/api/items/{item['id']}", headers=admin.headers)
        assert response.status_code == 204
        assert response.data == b""
        assert client.get("/api/items").get_json()["total"] == 0
        body = client.get(f"/api/items/{item['id']}", headers=admin.headers).get_json()
        assert body["is_active"] is False

    def test_other_user_is_403(
        self, client: FlaskClient, user: Account, other_user: Account, make_item: MakeItem
    ) -> None:
        item = make_item(user, "mine")
        assert_error(client.delete(f"/api/items/{item['id']}", headers=other_user.headers), 403)
        assert client.get(f"/api/items/{item['id']}").get_json()["is_active"] is True

    def test_anonymous_is_401(
        self, client: FlaskClient, user: Account, make_item: MakeItem
    ) -> None:
        item = make_item(user, "mine")
        assert_error(client.delete(f"/api/items/{item['id']}"), 401)
        assert client.get(f"/api/items/{item['id']}").status_code == 200

    def test_absent_is_404(self, client: FlaskClient, user: Account) -> None:
        assert_error(client.delete("/api/items/99999", headers=user.headers), 404)

    def test_delete_twice_keeps_it_deleted(
        self, client: FlaskClient, user: Account, make_item: MakeItem
    ) -> None:
        item = make_item(user, "bye")
        assert client.delete(f"/api/items/{item['id']}", headers=user.headers).status_code == 204
        second = client.delete(f"/api/items/{item['id']}", headers=user.headers)
        assert second.status_code == 409  # read-only once deleted (tests/test_item_lifecycle.py)
        body = client.get(f"/api/items/{item['id']}", headers=user.headers).get_json()
        assert body["is_active"] is False


# ---------------------------------------------------------------------- GET /api/me/items


class TestMyItems:
    def test_requires_token(self, client: FlaskClient) -> None:
        assert_error(client.get("/api/me/items"), 401)
        assert_error(client.get("/api/me/items", headers={"Authorization": "Bearer x"}), 401)

    def test_only_callers_items_including_inactive(
        self,
        client: FlaskClient,
        user: Account,
        other_user: Account,
        admin: Account,
        make_item: MakeItem,
    ) -> None:
        a = make_item(user, "a")
        b = make_item(user, "b")
        make_item(other_user, "theirs")
        make_item(admin, "admins")
        client.delete(f"/api/items/{a['id']}", headers=user.headers)

        response = client.get("/api/me/items", headers=user.headers)
        assert response.status_code == 200
        body = response.get_json()
        assert_page(body, total=2)
        assert [i["id"] for i in body["items"]] == [b["id"], a["id"]]  # newest first
        assert all(i["user_id"] == user.id for i in body["items"])
        assert [i["is_active"] for i in body["items"]] == [True, False]

        body = client.get("/api/me/items", headers=other_user.headers).get_json()
        assert names(body) == ["theirs"]

    def test_admin_sees_only_own_items(
        self, client: FlaskClient, user: Account, admin: Account, make_item: MakeItem
    ) -> None:
        make_item(user, "users")
        body = client.get("/api/me/items", headers=admin.headers).get_json()
        assert_page(body, total=0)
        assert body["items"] == []

    def test_paginated(self, client: FlaskClient, user: Account, make_item: MakeItem) -> None:
        ids = [make_item(user, f"m{i}")["id"] for i in range(5)]
        first = client.get("/api/me/items?per_page=2", headers=user.headers).get_json()
        assert_page(first, total=5, page=1, per_page=2)
        assert [i["id"] for i in first["items"]] == [ids[4], ids[3]]
        last = client.get("/api/me/items?per_page=2&page=3", headers=user.headers).get_json()
        assert_page(last, total=5, page=3, per_page=2)
        assert [i["id"] for i in last["items"]] == [ids[0]]
        beyond = client.get("/api/me/items?per_page=2&page=9", headers=user.headers).get_json()
        assert_page(beyond, total=5, page=9, per_page=2)
        assert beyond["items"] == []

    @pytest.mark.parametrize(
        ("query", "field"),
        [
            ("per_page=0", "per_page"),
            ("per_page=101", "per_page"),
            ("page=0", "page"),
            ("page=x", "page"),
        ],
    )
    def test_bad_pagination_is_400(
        self, client: FlaskClient, user: Account, query: str, field: str
    ) -> None:
        assert_error(client.get(f"/api/me/items?{query}", headers=user.headers), 400, field)

    def test_deactivated_users_token_is_rejected(
        self, client: FlaskClient, user: Account, admin: Account
    ) -> None:
        r = client.post(f"/api/admin/users/{user.id}/toggle", headers=admin.headers)
        assert r.status_code == 200
        assert_error(client.get("/api/me/items", headers=user.headers), 401)
