"""A soft-deleted item: hidden from everyone else exactly like a missing id (404 on every method),
read-only for its owner (409) until an administrator restores it; administrators may still edit
it. And a malformed `If-Match` is a 400, not a (false) 412."""

import pytest
from flask.testing import FlaskClient

from tests.helpers import Account, MakeItem, assert_error

WRITES = [
    ("put", {"name": "mine now"}),
    ("patch", {"name": "mine now"}),
    ("delete", None),
]


def deleted_item(client: FlaskClient, owner: Account, make_item: MakeItem) -> dict:
    item = make_item(owner, "to delete", description="kept")
    assert client.delete(f"/api/items/{item['id']}", headers=owner.headers).status_code == 204
    return item


@pytest.mark.parametrize(("method", "body"), [("get", None), *WRITES])
def test_someone_elses_deleted_item_is_404_like_a_missing_id(
    client, user, other_user, make_item, method, body
):
    item = deleted_item(client, user, make_item)
    send = getattr(client, method)
    hidden = send(f"/api/items/{item['id']}", json=body, headers=other_user.headers)
    missing = send("/api/items/999999", json=body, headers=other_user.headers)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.get_json()["error"] == missing.get_json()["error"]


@pytest.mark.parametrize(("method", "body"), WRITES)
def test_someone_elses_active_item_is_still_403(client, user, other_user, make_item, method, body):
    item = make_item(user)
    response = getattr(client, method)(
        f"/api/items/{item['id']}", json=body, headers=other_user.headers
    )
    assert_error(response, 403)


@pytest.mark.parametrize(("method", "body"), WRITES)
def test_a_deleted_item_is_read_only_for_its_owner(client, user, make_item, method, body):
    item = deleted_item(client, user, make_item)
    response = getattr(client, method)(f"/api/items/{item['id']}", json=body, headers=user.headers)
    error = assert_error(response, 409)
    assert "deleted" in error["error"] and "administrator" in error["error"]
    unchanged = client.get(f"/api/items/{item['id']}", headers=user.headers).get_json()
    assert unchanged["name"] == "to delete" and unchanged["is_active"] is False
    assert (
        unchanged["updated_at"]
        == client.get(f"/api/items/{item['id']}", headers=user.headers).get_json()["updated_at"]
    )


def test_admins_may_edit_a_deleted_item_and_restoring_it_gives_it_back(
    client, user, admin, make_item
):
    item = deleted_item(client, user, make_item)
    url = f"/api/items/{item['id']}"
    moderated = client.patch(url, json={"description": "redacted"}, headers=admin.headers)
    assert moderated.status_code == 200
    assert moderated.get_json()["is_active"] is False  # editing does not restore
    assert client.delete(url, headers=admin.headers).status_code == 204  # already deleted: no-op
    restored = client.post(f"/api/admin/items/{item['id']}/toggle", headers=admin.headers)
    assert restored.get_json()["is_active"] is True
    edited = client.patch(url, json={"name": "back"}, headers=user.headers)
    assert edited.status_code == 200 and edited.get_json()["name"] == "back"
    assert client.delete(url, headers=user.headers).status_code == 204


def test_spec_declares_the_409_and_says_why(client):
    spec = client.get("/api/openapi.json").get_json()
    for method in ("put", "patch", "delete"):
        operation = spec["paths"]["/api/items/{item_id}"][method]
        assert "409" in operation["responses"], method
        assert "read-only for its owner" in operation["description"], method


# --- If-Match must be well-formed (issue 20, item 5) --------------------------------------------

MALFORMED_IF_MATCH = [
    "abc123",  # an ETag without its quotes
    '"unterminated',
    '"a" "b"',  # no comma
    "W/abc",
    '"a",,garbage',
    '"with space inside"',
    "\x7f",
]


@pytest.mark.parametrize("header", MALFORMED_IF_MATCH)
@pytest.mark.parametrize(("method", "body"), WRITES)
def test_malformed_if_match_is_400_not_412(client, user, make_item, header, method, body):
    item = make_item(user)
    etag = client.get(f"/api/items/{item['id']}").headers["ETag"]
    response = getattr(client, method)(
        f"/api/items/{item['id']}", json=body, headers={**user.headers, "If-Match": header}
    )
    error = assert_error(response, 400, "If-Match")
    assert "malformed" in error["error"].lower()
    assert client.get(f"/api/items/{item['id']}").headers["ETag"] == etag  # nothing changed


@pytest.mark.parametrize("header", MALFORMED_IF_MATCH[:2])
def test_malformed_if_match_on_the_admin_toggle_is_400(client, user, admin, make_item, header):
    item = make_item(user)
    response = client.post(
        f"/api/admin/items/{item['id']}/toggle", headers={**admin.headers, "If-Match": header}
    )
    assert_error(response, 400, "If-Match")


def test_well_formed_if_match_lists_still_work(client, user, make_item):
    item = make_item(user)
    url = f"/api/items/{item['id']}"
    for template, status in [
        ('"stale"', 412),
        ('"stale", {etag}', 200),
        (" {etag} ", 200),
        ("*", 200),
    ]:
        header = template.format(etag=client.get(url).headers["ETag"])
        response = client.patch(
            url, json={"description": header}, headers={**user.headers, "If-Match": header}
        )
        assert response.status_code == status, header
