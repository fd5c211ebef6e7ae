"""Pagination headers on every list: `X-Total-Count` and a `Link` header (first, prev, next,
last) that keeps the other query parameters and can be followed to the end.
"""

import pytest
from flask.testing import FlaskClient

from tests.helpers import (
    Account,
    MakeItem,
    links,
)
from tests.spec import operation


@pytest.mark.parametrize(
    "path,method",
    [
        ("/api/items", "get"),
        ("/api/me/items", "get"),
        ("/api/admin/items", "get"),
        ("/api/admin/users", "get"),
        ("/api/admin/audit", "get"),
    ],
)
def test_list_operations_declare_pagination_headers(path: str, method: str) -> None:
    headers = operation(path, method)["responses"]["200"]["headers"]
    assert {"Link", "X-Total-Count", "X-Request-ID"} <= set(headers)


class TestPaginationHeaders:
    def test_single_page_has_first_and_last_only(
        self, client: FlaskClient, user: Account, make_item: MakeItem
    ) -> None:
        make_item(user, "only-one")
        response = client.get("/api/items")
        assert response.status_code == 200
        assert response.headers["X-Total-Count"] == "1" == str(response.get_json()["total"])
        assert links(response) == {"first": "/api/items?page=1", "last": "/api/items?page=1"}

    def test_empty_list_links_to_page_one(self, client: FlaskClient) -> None:
        response = client.get("/api/items?per_page=5")
        assert response.status_code == 200
        assert response.get_json()["total"] == 0
        assert response.headers["X-Total-Count"] == "0"
        assert links(response) == {
            "first": "/api/items?per_page=5&page=1",
            "last": "/api/items?per_page=5&page=1",
        }

    def test_middle_page_has_prev_and_next_and_keeps_other_params(
        self, client: FlaskClient, user: Account, make_item: MakeItem
    ) -> None:
        for n in range(5):
            make_item(user, f"widget {n}")
        make_item(user, "unrelated")
        response = client.get("/api/items?q=widget&per_page=2&page=2&sort=name")
        assert response.status_code == 200
        body = response.get_json()
        assert body["total"] == 5 and body["page"] == 2
        assert [item["name"] for item in body["items"]] == ["widget 2", "widget 3"]
        assert response.headers["X-Total-Count"] == "5"
        base = "/api/items?q=widget&per_page=2&sort=name&page="
        assert links(response) == {
            "first": base + "1",
            "prev": base + "1",
            "next": base + "3",
            "last": base + "3",
        }

    def test_first_and_last_pages(
        self, client: FlaskClient, user: Account, make_item: MakeItem
    ) -> None:
        for _ in range(3):
            make_item(user)
        first = client.get("/api/items?per_page=2")
        assert first.status_code == 200
        assert links(first) == {
            "first": "/api/items?per_page=2&page=1",
            "next": "/api/items?per_page=2&page=2",
            "last": "/api/items?per_page=2&page=2",
        }
        last = client.get("/api/items?per_page=2&page=2")
        assert last.status_code == 200
        assert len(last.get_json()["items"]) == 1
        assert links(last) == {
            "first": "/api/items?per_page=2&page=1",
            "prev": "/api/items?per_page=2&page=1",
            "last": "/api/items?per_page=2&page=2",
        }

    def test_beyond_the_end_points_back_to_last_page(
        self, client: FlaskClient, user: Account, make_item: MakeItem
    ) -> None:
        for _ in range(3):
            make_item(user)
        response = client.get("/api/items?per_page=2&page=7")
        assert response.status_code == 200
        body = response.get_json()
        assert body["items"] == [] and body["total"] == 3
        assert response.headers["X-Total-Count"] == "3"
        assert links(response) == {
            "first": "/api/items?per_page=2&page=1",
            "prev": "/api/items?per_page=2&page=2",
            "last": "/api/items?per_page=2&page=2",
        }

    def test_links_are_followable(
        self, client: FlaskClient, user: Account, make_item: MakeItem
    ) -> None:
        created = {make_item(user)["id"] for _ in range(5)}
        seen: list[int] = []
        url: str | None = "/api/items?per_page=2"
        while url:
            response = client.get(url)
            assert response.status_code == 200
            seen += [item["id"] for item in response.get_json()["items"]]
            url = links(response).get("next")
        assert sorted(seen) == sorted(created)

    def test_all_list_endpoints_send_headers(
        self, client: FlaskClient, admin: Account, user: Account, make_item: MakeItem
    ) -> None:
        make_item(user)
        client.post(
            f"/api/admin/items/{make_item(user)['id']}/toggle", headers=admin.headers
        )  # an audit entry
        for path, account in [
            ("/api/me/items", user),
            ("/api/admin/items", admin),
            ("/api/admin/users", admin),
            ("/api/admin/audit", admin),
        ]:
            response = client.get(f"{path}?per_page=1", headers=account.headers)
            assert response.status_code == 200, path
            total = response.get_json()["total"]
            assert total >= 1
            assert response.headers["X-Total-Count"] == str(total), path
            link = links(response)
            assert link["first"] == f"{path}?per_page=1&page=1"
            assert link["last"] == f"{path}?per_page=1&page={total}"
            assert ("next" in link) == (total > 1)
            assert "prev" not in link
