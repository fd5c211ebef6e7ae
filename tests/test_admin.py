"""The admin namespace through HTTP: `/api/admin/...` as anonymous, normal user and admin."""

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.helpers import (
    ADMIN,
    ITEM_FIELDS,
    PAGE_FIELDS,
    USER_FIELDS,
    Account,
    MakeItem,
    MakeUser,
    assert_error,
    login,
    names,
)

# Every admin operation, with a body that would be valid for an admin.
ADMIN_ROUTES = [
    ("get", "/api/admin/items", None),
    ("post", "/api/admin/items/{item}/toggle", None),
    ("post", "/api/admin/items/bulk-delete", {"ids": ["{item}"]}),
    ("get", "/api/admin/stats", None),
    ("get", "/api/admin/users", None),
    ("post", "/api/admin/users/{user}/toggle", None),
    ("patch", "/api/admin/users/{user}", {"is_admin": True}),
    ("get", "/api/admin/audit", None),
]
ROUTE_IDS = [f"{method.upper()} {path}" for method, path, _ in ADMIN_ROUTES]


def ids(body: dict[str, Any]) -> list[int]:
    return [entry["id"] for entry in body["items"]]


def fill(value: Any, item_id: int, user_id: int) -> Any:
    if isinstance(value, str):
        return value.format(item=item_id, user=user_id)
    if isinstance(value, list):
        return [item_id if v == "{item}" else v for v in value]
    if isinstance(value, dict):
        return {k: fill(v, item_id, user_id) for k, v in value.items()}
    return value


def call(client: FlaskClient, method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
    kwargs: dict[str, Any] = {"headers": headers}
    if body is not None:
        kwargs["json"] = body
    return getattr(client, method)(path, **kwargs)


def me(client: FlaskClient, account: Account) -> Any:
    return client.get("/api/auth/me", headers=account.headers)


def login_response(client: FlaskClient, account: Account) -> Any:
    return client.post(
        "/api/auth/login", json={"username": account.username, "password": account.password}
    )


# ------------------------------------------------------------------------ access control


class TestAccess:
    @pytest.mark.parametrize(("method", "path", "body"), ADMIN_ROUTES, ids=ROUTE_IDS)
    def test_anonymous_is_401(
        self,
        client: FlaskClient,
        user: Account,
        make_item: MakeItem,
        method: str,
        path: str,
        body: Any,
    ) -> None:
        item = make_item(user, "target")
        response = call(
            client, method, fill(path, item["id"], user.id), fill(body, item["id"], user.id), {}
        )
        assert_error(response, 401)
        assert response.headers.get("WWW-Authenticate", "").startswith("Bearer")
        # nothing changed
        assert client.get(f"/api/items/{item['id']}").get_json() == item
        assert me(client, user).get_json()["is_admin"] is False

    @pytest.mark.parametrize(("method", "path", "body"), ADMIN_ROUTES, ids=ROUTE_IDS)
    def test_invalid_token_is_401(
        self,
        client: FlaskClient,
        user: Account,
        make_item: MakeItem,
        method: str,
        path: str,
        body: Any,
    ) -> None:
        item = make_item(user, "target")
        headers = {"Authorization": "Bearer " + user.token[:-4] + "abcd"}
        response = call(
            client,
            method,
            fill(path, item["id"], user.id),
            fill(body, item["id"], user.id),
            headers,
        )
        assert_error(response, 401)
        assert client.get(f"/api/items/{item['id']}").get_json() == item

    @pytest.mark.parametrize(("method", "path", "body"), ADMIN_ROUTES, ids=ROUTE_IDS)
    def test_normal_user_is_403(
        self,
        client: FlaskClient,
        user: Account,
        other_user: Account,
        make_item: MakeItem,
        method: str,
        path: str,
        body: Any,
    ) -> None:
        # the user targets its own item and account: ownership grants nothing here
        item = make_item(user, "target")
        response = call(
            client,
            method,
            fill(path, item["id"], user.id),
            fill(body, item["id"], user.id),
            user.headers,
        )
        assert_error(response, 403)
        assert client.get(f"/api/items/{item['id']}").get_json() == item
        assert me(client, user).get_json()["is_admin"] is False
        assert me(client, user).status_code == 200

    @pytest.mark.parametrize(
        ("path", "body"),
        [
            ("/api/admin/items/bulk-delete", {}),
            ("/api/admin/items/bulk-delete", {"ids": "nope"}),
            ("/api/admin/users/{user}", {"is_admin": "yes"}),
        ],
    )
    def test_auth_is_checked_before_the_body(
        self, client: FlaskClient, user: Account, path: str, body: dict[str, Any]
    ) -> None:
        path = path.format(user=user.id)
        method = "post" if path.endswith("bulk-delete") else "patch"
        assert_error(call(client, method, path, body, {}), 401)
        body_error = assert_error(call(client, method, path, body, user.headers), 403)
        assert "errors" not in body_error

    @pytest.mark.parametrize(("method", "path", "body"), ADMIN_ROUTES, ids=ROUTE_IDS)
    def test_admin_is_allowed(
        self,
        client: FlaskClient,
        user: Account,
        admin: Account,
        make_item: MakeItem,
        method: str,
        path: str,
        body: Any,
    ) -> None:
        item = make_item(user, "target")
        response = call(
            client,
            method,
            fill(path, item["id"], user.id),
            fill(body, item["id"], user.id),
            admin.headers,
        )
        assert response.status_code == 200, response.get_json()
        assert response.is_json


# ------------------------------------------------------------------- GET /api/admin/items


class TestAdminItems:
    def test_includes_inactive(
        self,
        client: FlaskClient,
        admin: Account,
        user: Account,
        other_user: Account,
        make_item: MakeItem,
    ) -> None:
        a = make_item(user, "a")
        b = make_item(other_user, "b")
        c = make_item(admin, "c")
        client.delete(f"/api/items/{b['id']}", headers=other_user.headers)

        response = client.get("/api/admin/items", headers=admin.headers)
        assert response.status_code == 200
        body = response.get_json()
        assert set(body) == PAGE_FIELDS
        assert body["total"] == 3
        assert body["page"] == 1
        assert body["per_page"] == 20
        assert ids(body) == [c["id"], b["id"], a["id"]]
        assert all(set(entry) == ITEM_FIELDS for entry in body["items"])
        by_id = {entry["id"]: entry for entry in body["items"]}
        assert by_id[b["id"]]["is_active"] is False
        assert by_id[a["id"]]["is_active"] is True

    @pytest.mark.parametrize(
        ("value", "expected"),
        [("true", ["on1", "on2"]), ("false", ["off"]), ("1", ["on1", "on2"]), ("0", ["off"])],
    )
    def test_is_active_filter(
        self,
        client: FlaskClient,
        admin: Account,
        user: Account,
        make_item: MakeItem,
        value: str,
        expected: list[str],
    ) -> None:
        make_item(user, "on1")
        off = make_item(user, "off")
        make_item(user, "on2")
        client.delete(f"/api/items/{off['id']}", headers=user.headers)
        response = client.get(
            f"/api/admin/items?is_active={value}&sort=name", headers=admin.headers
        )
        assert response.status_code == 200
        body = response.get_json()
        assert names(body) == expected
        assert body["total"] == len(expected)

    @pytest.mark.parametrize("value", ["maybe", "2", "yes please", "null", "", " "])
    def test_bad_is_active_is_400(self, client: FlaskClient, admin: Account, value: str) -> None:
        response = client.get(
            "/api/admin/items", query_string={"is_active": value}, headers=admin.headers
        )
        assert_error(response, 400, "is_active")

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
        admin: Account,
        user: Account,
        make_item: MakeItem,
        sort: str,
        expected: list[str],
    ) -> None:
        for name in ("banana", "apple", "cherry"):
            make_item(user, name)
        # an inactive item takes part in the ordering too
        inactive = client.get("/api/items?q=apple").get_json()["items"][0]
        client.delete(f"/api/items/{inactive['id']}", headers=user.headers)
        body = client.get(f"/api/admin/items?sort={sort}", headers=admin.headers).get_json()
        assert names(body) == expected

    def test_q_and_owner_filters(
        self,
        client: FlaskClient,
        admin: Account,
        user: Account,
        other_user: Account,
        make_item: MakeItem,
    ) -> None:
        make_item(user, "Green Pen")
        dead = make_item(user, "pen_50%")
        make_item(other_user, "PENCIL")
        make_item(other_user, "paper")
        client.delete(f"/api/items/{dead['id']}", headers=user.headers)

        body = client.get("/api/admin/items?q=pen&sort=name", headers=admin.headers).get_json()
        assert names(body) == ["Green Pen", "PENCIL", "pen_50%"]
        body = client.get("/api/admin/items?q=_5", headers=admin.headers).get_json()
        assert names(body) == ["pen_50%"]
        body = client.get("/api/admin/items?q=%25", headers=admin.headers).get_json()
        assert names(body) == ["pen_50%"]
        body = client.get(
            f"/api/admin/items?owner_id={other_user.id}&sort=name", headers=admin.headers
        ).get_json()
        assert names(body) == ["PENCIL", "paper"]
        body = client.get(
            f"/api/admin/items?owner_id={user.id}&is_active=false", headers=admin.headers
        ).get_json()
        assert names(body) == ["pen_50%"]

    def test_pagination(
        self, client: FlaskClient, admin: Account, user: Account, make_item: MakeItem
    ) -> None:
        created = [make_item(user, f"i{n}")["id"] for n in range(5)]
        body = client.get("/api/admin/items?per_page=2&page=2", headers=admin.headers).get_json()
        assert body["total"] == 5
        assert body["page"] == 2
        assert body["per_page"] == 2
        assert ids(body) == [created[2], created[1]]
        body = client.get("/api/admin/items?per_page=2&page=4", headers=admin.headers).get_json()
        assert body["items"] == []
        assert body["total"] == 5
        body = client.get("/api/admin/items?per_page=100", headers=admin.headers).get_json()
        assert body["per_page"] == 100
        assert len(body["items"]) == 5

    @pytest.mark.parametrize(
        ("query", "field"),
        [
            ("per_page=0", "per_page"),
            ("per_page=101", "per_page"),
            ("per_page=-1", "per_page"),
            ("per_page=abc", "per_page"),
            ("page=0", "page"),
            ("page=abc", "page"),
            ("sort=bogus", "sort"),
            ("sort=username", "sort"),
            ("owner_id=abc", "owner_id"),
        ],
    )
    def test_bad_query_is_400(
        self, client: FlaskClient, admin: Account, query: str, field: str
    ) -> None:
        assert_error(client.get(f"/api/admin/items?{query}", headers=admin.headers), 400, field)


# ---------------------------------------------------------- POST /api/admin/items/<id>/toggle


class TestToggleItem:
    def test_flips_back_and_forth(
        self, client: FlaskClient, admin: Account, user: Account, make_item: MakeItem
    ) -> None:
        item = make_item(user, "flip")
        url = f"/api/admin/items/{item['id']}/toggle"

        response = client.post(url, headers=admin.headers)
        assert response.status_code == 200
        body = response.get_json()
        assert set(body) == ITEM_FIELDS
        assert body["id"] == item["id"]
        assert body["is_active"] is False
        assert body["name"] == "flip"
        assert body["user_id"] == user.id
        assert client.get("/api/items").get_json()["total"] == 0
        assert_error(client.get(f"/api/items/{item['id']}"), 404)

        response = client.post(url, headers=admin.headers)
        assert response.status_code == 200
        assert response.get_json()["is_active"] is True
        assert ids(client.get("/api/items").get_json()) == [item["id"]]

    def test_reactivates_a_soft_deleted_item(
        self, client: FlaskClient, admin: Account, user: Account, make_item: MakeItem
    ) -> None:
        item = make_item(user, "back")
        client.delete(f"/api/items/{item['id']}", headers=user.headers)
        response = client.post(f"/api/admin/items/{item['id']}/toggle", headers=admin.headers)
        assert response.status_code == 200
        assert response.get_json()["is_active"] is True
        assert client.get(f"/api/items/{item['id']}").status_code == 200

    def test_absent_is_404(self, client: FlaskClient, admin: Account) -> None:
        assert_error(client.post("/api/admin/items/99999/toggle", headers=admin.headers), 404)


# --------------------------------------------------------- POST /api/admin/items/bulk-delete


class TestBulkDelete:
    def test_hard_deletes_and_reports_not_found(
        self,
        client: FlaskClient,
        admin: Account,
        user: Account,
        other_user: Account,
        make_item: MakeItem,
    ) -> None:
        a = make_item(user, "a")
        b = make_item(other_user, "b")
        keep = make_item(user, "keep")
        client.delete(f"/api/items/{b['id']}", headers=other_user.headers)  # inactive too

        response = client.post(
            "/api/admin/items/bulk-delete",
            json={"ids": [a["id"], 99999, b["id"], 88888]},
            headers=admin.headers,
        )
        assert response.status_code == 200
        assert response.get_json() == {"deleted": 2, "not_found": [99999, 88888]}

        for gone in (a, b):
            assert_error(client.get(f"/api/items/{gone['id']}", headers=admin.headers), 404)
            assert_error(client.get(f"/api/items/{gone['id']}", headers=user.headers), 404)
        body = client.get("/api/admin/items", headers=admin.headers).get_json()
        assert ids(body) == [keep["id"]]
        assert body["total"] == 1
        mine = client.get("/api/me/items", headers=other_user.headers).get_json()
        assert mine["total"] == 0
        stats = client.get("/api/admin/stats", headers=admin.headers).get_json()
        assert (stats["total"], stats["active"], stats["inactive"]) == (1, 1, 0)
        # a deleted item cannot be toggled back
        assert_error(client.post(f"/api/admin/items/{a['id']}/toggle", headers=admin.headers), 404)

    def test_duplicates_counted_once(
        self, client: FlaskClient, admin: Account, user: Account, make_item: MakeItem
    ) -> None:
        a = make_item(user, "a")
        b = make_item(user, "b")
        response = client.post(
            "/api/admin/items/bulk-delete",
            json={"ids": [a["id"], a["id"], b["id"], 77777, 77777, a["id"]]},
            headers=admin.headers,
        )
        assert response.status_code == 200
        assert response.get_json() == {"deleted": 2, "not_found": [77777]}

    def test_second_delete_finds_nothing(
        self, client: FlaskClient, admin: Account, user: Account, make_item: MakeItem
    ) -> None:
        a = make_item(user, "a")
        first = client.post(
            "/api/admin/items/bulk-delete", json={"ids": [a["id"]]}, headers=admin.headers
        )
        assert first.get_json() == {"deleted": 1, "not_found": []}
        second = client.post(
            "/api/admin/items/bulk-delete", json={"ids": [a["id"]]}, headers=admin.headers
        )
        assert second.status_code == 200
        assert second.get_json() == {"deleted": 0, "not_found": [a["id"]]}

    @pytest.mark.parametrize(
        "payload",
        [
            {"ids": []},
            {"ids": ["a"]},
            {"ids": ["1"]},
            {"ids": [1.5]},
            {"ids": [None]},
            {"ids": [True]},
            {"ids": [[1]]},
            {"ids": [0]},
            {"ids": [-1]},
            {"ids": "1,2"},
            {"ids": 1},
            {"ids": None},
            {},
            {"id": [1]},
        ],
        ids=[
            "empty",
            "str",
            "numeric-str",
            "float",
            "null-id",
            "bool",
            "nested",
            "zero",
            "negative",
            "string",
            "int",
            "null",
            "missing",
            "wrong-key",
        ],
    )
    def test_invalid_body_is_400(
        self,
        client: FlaskClient,
        admin: Account,
        user: Account,
        make_item: MakeItem,
        payload: dict[str, Any],
    ) -> None:
        item = make_item(user, "survivor")
        response = client.post("/api/admin/items/bulk-delete", json=payload, headers=admin.headers)
        body = assert_error(response, 400)
        # the reason names the field, or the offending element (`ids.0`)
        assert any(key == "ids" or key.startswith("ids.") for key in body.get("errors", {})), body
        assert client.get(f"/api/items/{item['id']}").get_json() == item

    @pytest.mark.parametrize("raw", ["[1, 2]", "{bad", '"ids"'])
    def test_non_object_body_is_400(self, client: FlaskClient, admin: Account, raw: str) -> None:
        response = client.post(
            "/api/admin/items/bulk-delete",
            data=raw,
            content_type="application/json",
            headers=admin.headers,
        )
        assert_error(response, 400)

    def test_too_many_ids_is_400(self, client: FlaskClient, admin: Account) -> None:
        response = client.post(
            "/api/admin/items/bulk-delete",
            json={"ids": list(range(1, 1002))},
            headers=admin.headers,
        )
        assert_error(response, 400, "ids")


# ------------------------------------------------------------------- GET /api/admin/stats


class TestStats:
    def test_fresh_database(self, client: FlaskClient, admin: Account) -> None:
        response = client.get("/api/admin/stats", headers=admin.headers)
        assert response.status_code == 200
        assert response.get_json() == {
            "total": 0,
            "active": 0,
            "inactive": 0,
            "users": {"total": 1, "active": 1, "admins": 1},
        }

    def test_exact_counts(
        self,
        client: FlaskClient,
        admin: Account,
        make_user: MakeUser,
        make_item: MakeItem,
    ) -> None:
        alice, bob, carol = make_user(), make_user(), make_user()
        items = [make_item(alice, f"a{n}") for n in range(3)]
        items += [make_item(bob, "b0"), make_item(admin, "admin0")]
        # 2 inactive: one soft-deleted, one toggled by the admin
        client.delete(f"/api/items/{items[0]['id']}", headers=alice.headers)
        client.post(f"/api/admin/items/{items[3]['id']}/toggle", headers=admin.headers)
        # 1 hard-deleted
        client.post(
            "/api/admin/items/bulk-delete", json={"ids": [items[4]["id"]]}, headers=admin.headers
        )
        # bob deactivated, carol promoted
        assert (
            client.post(f"/api/admin/users/{bob.id}/toggle", headers=admin.headers).status_code
            == 200
        )
        r = client.patch(
            f"/api/admin/users/{carol.id}", json={"is_admin": True}, headers=admin.headers
        )
        assert r.status_code == 200

        response = client.get("/api/admin/stats", headers=admin.headers)
        assert response.status_code == 200
        assert response.get_json() == {
            "total": 4,
            "active": 2,
            "inactive": 2,
            "users": {"total": 4, "active": 3, "admins": 2},
        }

    def test_promoted_user_sees_stats(
        self, client: FlaskClient, admin: Account, user: Account
    ) -> None:
        assert_error(client.get("/api/admin/stats", headers=user.headers), 403)
        client.patch(f"/api/admin/users/{user.id}", json={"is_admin": True}, headers=admin.headers)
        response = client.get("/api/admin/stats", headers=user.headers)
        assert response.status_code == 200
        assert response.get_json()["users"] == {"total": 2, "active": 2, "admins": 2}


# ------------------------------------------------------------------- GET /api/admin/users


class TestListUsers:
    def test_lists_every_user_without_password_hash(
        self, client: FlaskClient, admin: Account, make_user: MakeUser
    ) -> None:
        created = [make_user() for _ in range(3)]
        client.post(f"/api/admin/users/{created[0].id}/toggle", headers=admin.headers)

        response = client.get("/api/admin/users", headers=admin.headers)
        assert response.status_code == 200
        assert b"password" not in response.data
        assert b"token_version" not in response.data
        body = response.get_json()
        assert set(body) == PAGE_FIELDS
        assert body["total"] == 4
        assert body["page"] == 1
        assert body["per_page"] == 20
        assert all(set(entry) == USER_FIELDS for entry in body["items"])
        by_id = {entry["id"]: entry for entry in body["items"]}
        assert set(by_id) == {admin.id, *(a.id for a in created)}
        assert by_id[admin.id]["username"] == ADMIN["username"]
        assert by_id[admin.id]["is_admin"] is True
        assert by_id[created[0].id]["is_active"] is False
        assert by_id[created[1].id]["is_active"] is True
        assert by_id[created[1].id]["is_admin"] is False
        assert by_id[created[1].id]["email"] == created[1].email
        # newest first by default
        assert ids(body) == [created[2].id, created[1].id, created[0].id, admin.id]

    def test_paginated(self, client: FlaskClient, admin: Account, make_user: MakeUser) -> None:
        for _ in range(4):
            make_user()
        seen: list[int] = []
        for page in (1, 2, 3):
            body = client.get(
                f"/api/admin/users?per_page=2&page={page}", headers=admin.headers
            ).get_json()
            assert body["total"] == 5
            assert body["page"] == page
            assert body["per_page"] == 2
            seen += ids(body)
        assert len(body["items"]) == 1
        assert len(set(seen)) == 5
        body = client.get("/api/admin/users?page=10", headers=admin.headers).get_json()
        assert body["items"] == []
        assert body["total"] == 5

    @pytest.mark.parametrize(
        ("query", "field"),
        [
            ("per_page=0", "per_page"),
            ("per_page=101", "per_page"),
            ("page=0", "page"),
            ("page=x", "page"),
            ("sort=name", "sort"),
        ],
    )
    def test_bad_query_is_400(
        self, client: FlaskClient, admin: Account, query: str, field: str
    ) -> None:
        assert_error(client.get(f"/api/admin/users?{query}", headers=admin.headers), 400, field)

    def test_user_responses_never_contain_password_hash(
        self, client: FlaskClient, admin: Account, user: Account
    ) -> None:
        responses = [
            client.post(f"/api/admin/users/{user.id}/toggle", headers=admin.headers),
            client.post(f"/api/admin/users/{user.id}/toggle", headers=admin.headers),
            client.patch(
                f"/api/admin/users/{user.id}", json={"is_admin": True}, headers=admin.headers
            ),
            client.get("/api/admin/users?per_page=100", headers=admin.headers),
        ]
        for response in responses:
            assert response.status_code == 200
            assert b"password" not in response.data
            assert b"$2b$" not in response.data  # no bcrypt hash in any field


# ------------------------------------------------------ POST /api/admin/users/<id>/toggle


class TestToggleUser:
    def test_deactivate_kills_token_and_login(
        self, client: FlaskClient, admin: Account, user: Account
    ) -> None:
        assert me(client, user).status_code == 200
        response = client.post(f"/api/admin/users/{user.id}/toggle", headers=admin.headers)
        assert response.status_code == 200
        body = response.get_json()
        assert set(body) == USER_FIELDS
        assert body["id"] == user.id
        assert body["is_active"] is False
        assert body["username"] == user.username

        assert_error(me(client, user), 401)
        assert_error(client.post("/api/items", json={"name": "x"}, headers=user.headers), 401)
        assert_error(client.get("/api/items", headers=user.headers), 401)
        assert_error(login_response(client, user), 401)

    def test_reactivate_allows_login_but_old_token_stays_dead(
        self, client: FlaskClient, admin: Account, user: Account
    ) -> None:
        old_headers = user.headers
        client.post(f"/api/admin/users/{user.id}/toggle", headers=admin.headers)
        response = client.post(f"/api/admin/users/{user.id}/toggle", headers=admin.headers)
        assert response.status_code == 200
        assert response.get_json()["is_active"] is True

        assert_error(client.get("/api/auth/me", headers=old_headers), 401)
        fresh = login(client, user.username, user.password)
        assert me(client, fresh).status_code == 200
        assert me(client, fresh).get_json()["id"] == user.id
        assert_error(client.get("/api/auth/me", headers=old_headers), 401)

    def test_admin_cannot_toggle_itself(self, client: FlaskClient, admin: Account) -> None:
        response = client.post(f"/api/admin/users/{admin.id}/toggle", headers=admin.headers)
        assert_error(response, 409)
        assert me(client, admin).status_code == 200
        assert me(client, admin).get_json()["is_active"] is True

    def test_absent_is_404(self, client: FlaskClient, admin: Account) -> None:
        assert_error(client.post("/api/admin/users/99999/toggle", headers=admin.headers), 404)

    def test_admin_can_deactivate_another_admin(
        self, client: FlaskClient, admin: Account, user: Account
    ) -> None:
        client.patch(f"/api/admin/users/{user.id}", json={"is_admin": True}, headers=admin.headers)
        response = client.post(f"/api/admin/users/{admin.id}/toggle", headers=user.headers)
        assert response.status_code == 200
        assert response.get_json()["is_active"] is False
        assert_error(me(client, admin), 401)
        assert_error(login_response(client, admin), 401)


# ------------------------------------------------------------ PATCH /api/admin/users/<id>


class TestPatchUser:
    def test_grant_and_revoke_admin(
        self, client: FlaskClient, admin: Account, user: Account
    ) -> None:
        url = f"/api/admin/users/{user.id}"
        assert_error(client.get("/api/admin/users", headers=user.headers), 403)

        response = client.patch(url, json={"is_admin": True}, headers=admin.headers)
        assert response.status_code == 200
        body = response.get_json()
        assert set(body) == USER_FIELDS
        assert body["is_admin"] is True
        assert body["is_active"] is True
        assert me(client, user).get_json()["is_admin"] is True
        # the existing token now reaches admin routes
        assert client.get("/api/admin/users", headers=user.headers).status_code == 200
        assert client.get("/api/admin/items", headers=user.headers).status_code == 200

        response = client.patch(url, json={"is_admin": False}, headers=admin.headers)
        assert response.status_code == 200
        assert response.get_json()["is_admin"] is False
        assert_error(client.get("/api/admin/users", headers=user.headers), 403)
        assert me(client, user).status_code == 200  # still a valid, normal user

    def test_deactivate_and_reactivate(
        self, client: FlaskClient, admin: Account, user: Account
    ) -> None:
        url = f"/api/admin/users/{user.id}"
        response = client.patch(url, json={"is_active": False}, headers=admin.headers)
        assert response.status_code == 200
        assert response.get_json()["is_active"] is False
        assert_error(me(client, user), 401)
        assert_error(login_response(client, user), 401)

        response = client.patch(url, json={"is_active": True}, headers=admin.headers)
        assert response.status_code == 200
        assert response.get_json()["is_active"] is True
        assert_error(me(client, user), 401)  # old token stays dead
        fresh = login(client, user.username, user.password)
        assert me(client, fresh).status_code == 200

    def test_both_fields_at_once(self, client: FlaskClient, admin: Account, user: Account) -> None:
        response = client.patch(
            f"/api/admin/users/{user.id}",
            json={"is_admin": True, "is_active": False},
            headers=admin.headers,
        )
        assert response.status_code == 200
        body = response.get_json()
        assert (body["is_admin"], body["is_active"]) == (True, False)

    def test_empty_body_changes_nothing(
        self, client: FlaskClient, admin: Account, user: Account
    ) -> None:
        response = client.patch(f"/api/admin/users/{user.id}", json={}, headers=admin.headers)
        assert response.status_code == 200
        body = response.get_json()
        assert (body["is_admin"], body["is_active"]) == (False, True)
        assert me(client, user).status_code == 200

    @pytest.mark.parametrize(
        "payload",
        [{"is_admin": False}, {"is_active": False}, {"is_admin": False, "is_active": True}],
    )
    def test_admin_cannot_demote_or_deactivate_itself(
        self, client: FlaskClient, admin: Account, payload: dict[str, bool]
    ) -> None:
        response = client.patch(f"/api/admin/users/{admin.id}", json=payload, headers=admin.headers)
        assert_error(response, 409)
        current = me(client, admin)
        assert current.status_code == 200
        assert current.get_json()["is_admin"] is True
        assert current.get_json()["is_active"] is True
        stats = client.get("/api/admin/stats", headers=admin.headers).get_json()
        assert stats["users"] == {"total": 1, "active": 1, "admins": 1}

    def test_admin_may_confirm_its_own_rights(self, client: FlaskClient, admin: Account) -> None:
        response = client.patch(
            f"/api/admin/users/{admin.id}",
            json={"is_admin": True, "is_active": True},
            headers=admin.headers,
        )
        assert response.status_code == 200
        assert response.get_json()["is_admin"] is True
        assert me(client, admin).status_code == 200

    def test_extra_fields_are_ignored(
        self, client: FlaskClient, admin: Account, user: Account
    ) -> None:
        response = client.patch(
            f"/api/admin/users/{user.id}",
            json={
                "password_hash": "$2b$04$" + "x" * 53,
                "password": "new-password-123",
                "username": "hijacked",
                "email": "hijacked@example.com",
                "id": 4242,
                "token_version": 0,
            },
            headers=admin.headers,
        )
        assert response.status_code == 200
        body = response.get_json()
        assert body["id"] == user.id
        assert body["username"] == user.username
        assert body["email"] == user.email
        assert b"password" not in response.data
        # the old credentials and token still work; the injected ones do not
        assert me(client, user).status_code == 200
        assert login_response(client, user).status_code == 200
        hijack = client.post(
            "/api/auth/login", json={"username": "hijacked", "password": "new-password-123"}
        )
        assert_error(hijack, 401)

    @pytest.mark.parametrize(
        "payload",
        [
            {"is_admin": "yes"},
            {"is_admin": "true"},
            {"is_admin": 1},
            {"is_admin": None},
            {"is_active": "false"},
            {"is_active": 0},
            {"is_active": []},
        ],
        ids=[
            "admin-str",
            "admin-true-str",
            "admin-int",
            "admin-null",
            "active-str",
            "active-int",
            "active-list",
        ],
    )
    def test_wrong_types_are_400(
        self, client: FlaskClient, admin: Account, user: Account, payload: dict[str, Any]
    ) -> None:
        response = client.patch(f"/api/admin/users/{user.id}", json=payload, headers=admin.headers)
        assert_error(response, 400, next(iter(payload)))
        current = me(client, user)
        assert current.status_code == 200
        assert current.get_json()["is_admin"] is False

    @pytest.mark.parametrize("raw", ["[]", "true", "{oops"])
    def test_non_object_body_is_400(
        self, client: FlaskClient, admin: Account, user: Account, raw: str
    ) -> None:
        response = client.patch(
            f"/api/admin/users/{user.id}",
            data=raw,
            content_type="application/json",
            headers=admin.headers,
        )
        assert_error(response, 400)

    def test_absent_is_404(self, client: FlaskClient, admin: Account) -> None:
        response = client.patch(
            "/api/admin/users/99999", json={"is_admin": True}, headers=admin.headers
        )
        assert_error(response, 404)
