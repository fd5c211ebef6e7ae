"""The admin audit log: every admin change recorded once with actor, target, details and request
id; refused changes are not; filters, pagination and access (`/api/admin/audit`).
"""

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.helpers import (
    Account,
    MakeItem,
    MakeUser,
    assert_error,
    links,
)


class TestAuditLog:
    def audit(self, client: FlaskClient, admin: Account, query: str = "") -> Any:
        response = client.get(f"/api/admin/audit{query}", headers=admin.headers)
        assert response.status_code == 200, response.get_json()
        return response

    def test_toggle_is_recorded(
        self, client: FlaskClient, admin: Account, user: Account, make_item: MakeItem
    ) -> None:
        item = make_item(user)
        toggled = client.post(
            f"/api/admin/items/{item['id']}/toggle",
            headers={**admin.headers, "X-Request-ID": "audit-toggle"},
        )
        assert toggled.status_code == 200
        body = self.audit(client, admin).get_json()
        assert body["total"] == 1
        [entry] = body["items"]
        assert entry["actor_id"] == admin.id
        assert entry["action"] == "item.toggle"
        assert entry["target_type"] == "item"
        assert entry["target_id"] == str(item["id"])
        assert entry["details"] == {"is_active": False}
        assert entry["request_id"] == "audit-toggle" == toggled.headers["X-Request-ID"]
        assert entry["created_at"].endswith("+00:00")

    def test_bulk_delete_is_recorded_once(
        self, client: FlaskClient, admin: Account, user: Account, make_item: MakeItem
    ) -> None:
        ids = sorted(make_item(user)["id"] for _ in range(2))
        response = client.post(
            "/api/admin/items/bulk-delete", json={"ids": [*ids, 999999]}, headers=admin.headers
        )
        assert response.status_code == 200
        assert response.get_json() == {"deleted": 2, "not_found": [999999]}
        body = self.audit(client, admin).get_json()
        assert body["total"] == 1
        [entry] = body["items"]
        assert entry["action"] == "item.bulk_delete"
        assert entry["actor_id"] == admin.id
        assert entry["target_id"] == ",".join(map(str, ids))
        assert entry["details"] == {"ids": ids}
        assert entry["request_id"] == response.headers["X-Request-ID"]
        # Deleting nothing is not an action.
        nothing = client.post(
            "/api/admin/items/bulk-delete", json={"ids": [999999]}, headers=admin.headers
        )
        assert nothing.status_code == 200
        assert self.audit(client, admin).get_json()["total"] == 1

    def test_user_changes_are_recorded(
        self, client: FlaskClient, admin: Account, user: Account
    ) -> None:
        patched = client.patch(
            f"/api/admin/users/{user.id}",
            json={"is_admin": True},
            headers={**admin.headers, "X-Request-ID": "audit-user"},
        )
        assert patched.status_code == 200
        toggled = client.post(f"/api/admin/users/{user.id}/toggle", headers=admin.headers)
        assert toggled.status_code == 200
        noop = client.patch(
            f"/api/admin/users/{user.id}", json={"is_admin": True}, headers=admin.headers
        )
        assert noop.status_code == 200
        body = self.audit(client, admin).get_json()
        assert body["total"] == 2
        newest, oldest = body["items"]
        assert oldest["action"] == newest["action"] == "user.update"
        assert oldest["target_type"] == "user" and oldest["target_id"] == str(user.id)
        assert oldest["details"] == {"is_admin": True}
        assert oldest["request_id"] == "audit-user"
        assert newest["details"] == {"is_active": False, "revoked_personal_access_tokens": 0}
        assert newest["request_id"] == toggled.headers["X-Request-ID"]

    def test_revoked_personal_access_tokens_are_recorded(
        self, client: FlaskClient, admin: Account, user: Account, other_user: Account
    ) -> None:
        """A password change and a deactivation say how many tokens they revoked."""
        for account in (user, other_user):
            body = {"name": "ci", "scopes": ["items:read"], "expires_in_days": 1}
            assert (
                client.post("/api/me/tokens", json=body, headers=account.headers).status_code == 201
            )
        change = {"current_password": user.password, "new_password": "a fresh passphrase 42"}
        assert (
            client.post("/api/auth/change-password", json=change, headers=user.headers).status_code
            == 200
        )
        toggled = client.post(f"/api/admin/users/{other_user.id}/toggle", headers=admin.headers)
        assert toggled.status_code == 200
        [changed] = self.audit(client, admin, "?action=password.change").get_json()["items"]
        assert changed["actor_id"] == user.id and changed["target_id"] == str(user.id)
        assert changed["details"] == {"revoked_personal_access_tokens": 1}
        [deactivated] = self.audit(client, admin, "?action=user.update").get_json()["items"]
        assert deactivated["details"] == {"is_active": False, "revoked_personal_access_tokens": 1}
        assert "a fresh passphrase" not in self.audit(client, admin).get_data(as_text=True)

    def test_an_admins_edit_of_someone_elses_item_is_recorded(
        self, client: FlaskClient, admin: Account, user: Account, make_item: MakeItem
    ) -> None:
        theirs = make_item(user)
        url = f"/api/items/{theirs['id']}"
        assert client.patch(url, json={"name": "own edit"}, headers=user.headers).status_code == 200
        mine = client.post("/api/items", json={"name": "admin's"}, headers=admin.headers)
        mine_url = f"/api/items/{mine.get_json()['id']}"
        assert client.patch(mine_url, json={"name": "x"}, headers=admin.headers).status_code == 200
        assert self.audit(client, admin).get_json()["total"] == 0  # owners' own edits
        assert (
            client.patch(
                url, json={"name": "moderated", "description": ""}, headers=admin.headers
            ).status_code
            == 200
        )
        assert (
            client.patch(url, json={"name": "moderated"}, headers=admin.headers).status_code == 200
        )
        assert client.delete(url, headers=admin.headers).status_code == 204
        deleted, updated = self.audit(client, admin).get_json()["items"]  # the no-op is not
        assert updated["action"] == "item.update" and updated["actor_id"] == admin.id
        assert updated["target_id"] == str(theirs["id"])
        assert updated["details"] == {"name": "moderated"} | (
            {"description": ""} if theirs.get("description") else {}
        )
        assert deleted["action"] == "item.delete" and deleted["target_id"] == str(theirs["id"])

    def test_refused_change_is_not_recorded(self, client: FlaskClient, admin: Account) -> None:
        response = client.patch(
            f"/api/admin/users/{admin.id}", json={"is_admin": False}, headers=admin.headers
        )
        assert_error(response, 409)
        assert self.audit(client, admin).get_json()["total"] == 0

    def test_filters(
        self,
        client: FlaskClient,
        admin: Account,
        user: Account,
        make_user: MakeUser,
        make_item: MakeItem,
    ) -> None:
        second = make_user()
        promoted = client.patch(
            f"/api/admin/users/{second.id}", json={"is_admin": True}, headers=admin.headers
        )
        assert promoted.status_code == 200
        item = make_item(user)
        assert (
            client.post(f"/api/admin/items/{item['id']}/toggle", headers=second.headers).status_code
            == 200
        )
        assert (
            client.post(f"/api/admin/items/{item['id']}/toggle", headers=admin.headers).status_code
            == 200
        )

        everything = self.audit(client, admin).get_json()
        assert everything["total"] == 3
        toggles = self.audit(client, admin, "?action=item.toggle").get_json()
        assert toggles["total"] == 2
        assert {e["action"] for e in toggles["items"]} == {"item.toggle"}
        by_second = self.audit(client, admin, f"?actor_id={second.id}").get_json()
        assert by_second["total"] == 1
        assert by_second["items"][0]["actor_id"] == second.id
        assert by_second["items"][0]["details"] == {"is_active": False}
        both = self.audit(client, admin, f"?actor_id={admin.id}&action=user.update").get_json()
        assert both["total"] == 1
        assert both["items"][0]["target_id"] == str(second.id)
        none = self.audit(client, admin, "?action=item.bulk_delete").get_json()
        assert none["total"] == 0 and none["items"] == []

    @pytest.mark.parametrize(
        "query,field",
        [("?action=nope", "action"), ("?actor_id=0", "actor_id"), ("?per_page=101", "per_page")],
    )
    def test_invalid_filters_are_400(
        self, client: FlaskClient, admin: Account, query: str, field: str
    ) -> None:
        body = assert_error(client.get(f"/api/admin/audit{query}", headers=admin.headers), 400)
        assert field in body["errors"]

    def test_pagination_headers(
        self, client: FlaskClient, admin: Account, user: Account, make_item: MakeItem
    ) -> None:
        item = make_item(user)
        for _ in range(3):
            url = f"/api/admin/items/{item['id']}/toggle"
            assert client.post(url, headers=admin.headers).status_code == 200
        response = self.audit(client, admin, "?action=item.toggle&per_page=1&page=2")
        body = response.get_json()
        assert body["total"] == 3 and len(body["items"]) == 1 and body["page"] == 2
        assert response.headers["X-Total-Count"] == "3"
        base = "/api/admin/audit?action=item.toggle&per_page=1&page="
        assert links(response) == {
            "first": base + "1",
            "prev": base + "1",
            "next": base + "3",
            "last": base + "3",
        }
        # Newest first.
        pages = [
            self.audit(client, admin, f"?per_page=1&page={n}").get_json()["items"][0]["id"]
            for n in (1, 2, 3)
        ]
        assert pages == sorted(pages, reverse=True)

    def test_non_admin_is_refused(self, client: FlaskClient, user: Account) -> None:
        assert_error(client.get("/api/admin/audit", headers=user.headers), 403)
        assert_error(client.get("/api/admin/audit"), 401)
