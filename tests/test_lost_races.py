"""What a client gets when another request wins a race for the same rows: each bulk delete
reports only the rows it deleted, a change racing a delete is done or a 404 (not a 500), two
edits from one ETag give one 200 and one 412, concurrent deletes, toggles and password changes
act as if one after the other, a password change cannot undo a deactivation, and a personal
access token minted while its owner is deactivated dies with the others. Run on a shared
SQLite file, and on PostgreSQL by `make test-postgres`."""

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from api.core.config import WebhookSettings
from api.webhooks import secrets
from models import WebhookEvent, WebhookSubscription, db
from tests.helpers import Account, bearer, login, race, register, uploaded

ROUNDS = 10


@pytest.fixture
def shared_app(app_factory, shared_database_url) -> Flask:
    return app_factory(SQLALCHEMY_DATABASE_URI=shared_database_url, RATELIMIT_ENABLED=False)


def admin_of(app: Flask) -> Account:
    client = app.test_client()
    return login(client, app.config["ADMIN_USERNAME"], app.config["ADMIN_PASSWORD"])


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_concurrent_bulk_deletes_report_each_row_once(shared_app, round_):
    admin, owner = admin_of(shared_app), register(shared_app.test_client())
    client = shared_app.test_client()
    ids = [
        client.post("/api/items", json={"name": f"n{i}"}, headers=owner.headers).get_json()["id"]
        for i in range(5)
    ]

    def bulk_delete() -> dict[str, Any]:
        response = shared_app.test_client().post(
            "/api/admin/items/bulk-delete", json={"ids": ids}, headers=admin.headers
        )
        assert response.status_code in (200, 503), response.get_json()
        return response.get_json() if response.status_code == 200 else {"deleted": 0}

    reports = race(*[bulk_delete] * 4)
    assert sum(report["deleted"] for report in reports) == 5, reports
    for report in reports:
        if "not_found" in report:
            assert report["deleted"] + len(report["not_found"]) == 5


CHANGES = [
    ("patch", "/api/items/{id}", {"name": "changed"}),
    ("put", "/api/items/{id}", {"name": "changed"}),
    ("delete", "/api/items/{id}", None),
    ("post", "/api/admin/items/{id}/toggle", None),
]


@pytest.mark.parametrize(("method", "path", "body"), CHANGES)
def test_a_change_racing_a_hard_delete_is_done_or_a_404(shared_app, method, path, body):
    """The change reads the item under its write lock (api/services/locking.py): the delete
    comes before it (404) or after it (done), never in between (a 500, once)."""
    admin = admin_of(shared_app)
    client = shared_app.test_client()
    for _ in range(ROUNDS):
        item = client.post("/api/items", json={"name": "doomed"}, headers=admin.headers)
        item_id = item.get_json()["id"]

        def change(item_id: int = item_id) -> int:
            url = path.format(id=item_id)
            response = shared_app.test_client().open(
                url, method=method.upper(), json=body, headers=admin.headers
            )
            return response.status_code

        def hard_delete(item_id: int = item_id) -> int:
            response = shared_app.test_client().post(
                "/api/admin/items/bulk-delete", json={"ids": [item_id]}, headers=admin.headers
            )
            return response.status_code

        changed, deleted = race(change, hard_delete)
        assert deleted == 200 and changed in (200, 204, 404), (changed, deleted)


def _etagged_item(app: Flask, owner: Account) -> tuple[int, str]:
    response = app.test_client().post("/api/items", json={"name": "v0"}, headers=owner.headers)
    return response.get_json()["id"], response.headers["ETag"]


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_two_edits_from_one_etag_give_one_200_and_one_412(shared_app, round_):
    """`If-Match` is a compare-and-set: of two writers who read the same version, one wins and
    the other is told (it used to be two 200s and one of the writes silently lost)."""
    owner = register(shared_app.test_client())
    item_id, etag = _etagged_item(shared_app, owner)
    headers = {**owner.headers, "If-Match": etag}

    def patch(name: str) -> Callable[[], tuple[int, str | None]]:
        def call() -> tuple[int, str | None]:
            response = shared_app.test_client().patch(
                f"/api/items/{item_id}", json={"name": name}, headers=headers
            )
            return response.status_code, (response.get_json() or {}).get("name")

        return call

    results = race(patch("writer0"), patch("writer1"))
    assert sorted(status for status, _ in results) == [200, 412], results
    winner = next(name for status, name in results if status == 200)
    stored = shared_app.test_client().get(f"/api/items/{item_id}", headers=owner.headers)
    assert stored.get_json()["name"] == winner


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_a_replace_and_a_delete_from_one_etag_do_not_both_succeed(shared_app, round_):
    owner = register(shared_app.test_client())
    item_id, etag = _etagged_item(shared_app, owner)
    headers = {**owner.headers, "If-Match": etag}

    def replace() -> int:
        url = f"/api/items/{item_id}"
        return shared_app.test_client().put(url, json={"name": "v1"}, headers=headers).status_code

    def remove() -> int:
        url = f"/api/items/{item_id}"
        return shared_app.test_client().delete(url, headers=headers).status_code

    # One succeeds; the other is refused: its ETag is stale (412), or, after the delete, the
    # owner's item is read-only (409), as one after the other.
    statuses = race(replace, remove)
    assert sorted(statuses) in ([200, 412], [204, 412], [204, 409]), statuses


def _subscribed(
    app_factory: Callable[..., Flask], database_url: str, events: list[str]
) -> tuple[Flask, Account, int]:
    """An app on the shared database, a new user and its subscription to `events`."""
    app = app_factory(
        SQLALCHEMY_DATABASE_URI=database_url, RATELIMIT_ENABLED=False, WEBHOOKS_ALLOW_PRIVATE=True
    )
    owner = register(app.test_client())
    hook = {"url": "http://127.0.0.1:9/hook", "events": events}
    created = app.test_client().post("/api/webhooks", json=hook, headers=owner.headers)
    assert created.status_code == 201, created.get_json()
    return app, owner, created.get_json()["id"]


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_concurrent_deletes_of_one_item_delete_it_once(app_factory, shared_database_url, round_):
    """As one after the other: one 204, then the owner's deleted item is read-only (409); and
    one `item.deleted` event for its subscribers, not one per request."""
    shared_app, owner, _ = _subscribed(app_factory, shared_database_url, ["item.deleted"])
    item_id, _ = _etagged_item(shared_app, owner)

    def remove() -> int:
        url = f"/api/items/{item_id}"
        return shared_app.test_client().delete(url, headers=owner.headers).status_code

    assert sorted(race(remove, remove, remove)) == [204, 409, 409]
    with shared_app.app_context():
        events = db.session.scalars(
            select(WebhookEvent.payload).where(WebhookEvent.type == "item.deleted")
        ).all()
    assert [event["data"]["id"] for event in events].count(item_id) == 1


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_concurrent_toggles_each_flip_the_item(shared_app, round_):
    admin = admin_of(shared_app)
    item_id, _ = _etagged_item(shared_app, admin)

    def toggle() -> bool:
        url = f"/api/admin/items/{item_id}/toggle"
        response = shared_app.test_client().post(url, headers=admin.headers)
        assert response.status_code == 200, response.get_json()
        return bool(response.get_json()["is_active"])

    # From active, three flips one after the other answer inactive, active, inactive.
    assert sorted(race(toggle, toggle, toggle)) == [False, False, True]
    stored = shared_app.test_client().get(f"/api/items/{item_id}", headers=admin.headers)
    assert stored.get_json()["is_active"] is False


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_a_password_change_racing_a_deactivation_does_not_revive_tokens(shared_app, round_):
    """The change wrote back the token version it had read, undoing the deactivation's bump:
    its new token worked again once the account was reactivated."""
    admin = admin_of(shared_app)
    account = register(shared_app.test_client())
    body = {"current_password": account.password, "new_password": "a-new-password-42"}

    def change() -> str | None:
        response = shared_app.test_client().post(
            "/api/auth/change-password", json=body, headers=account.headers
        )
        assert response.status_code in (200, 401), response.get_json()
        return response.get_json()["token"] if response.status_code == 200 else None

    def deactivate() -> int:
        url = f"/api/admin/users/{account.id}"
        return (
            shared_app.test_client()
            .patch(url, json={"is_active": False}, headers=admin.headers)
            .status_code
        )

    token, status = race(change, deactivate)
    assert status == 200
    client = shared_app.test_client()
    url = f"/api/admin/users/{account.id}"
    assert client.patch(url, json={"is_active": True}, headers=admin.headers).status_code == 200
    for dead in filter(None, [token, account.token]):
        assert client.get("/api/auth/me", headers=bearer(dead)).status_code == 401


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_two_password_changes_from_one_password_give_one_200(shared_app, round_):
    """As one after the other: the second finds its current password no longer current."""
    account = register(shared_app.test_client())

    def change(new: str) -> Callable[[], int]:
        def call() -> int:
            body = {"current_password": account.password, "new_password": new}
            response = shared_app.test_client().post(
                "/api/auth/change-password", json=body, headers=account.headers
            )
            return response.status_code

        return call

    first, second = "first-new-password-42", "second-new-password-42"
    statuses = race(change(first), change(second))
    # The loser is refused as it would be after the winner: its current password is no longer
    # current (400), or, authenticated only once the winner committed, its token is (401).
    assert sorted(statuses) in ([200, 400], [200, 401]), statuses
    winner = first if statuses[0] == 200 else second
    client = shared_app.test_client()
    assert login(client, account.username, winner).token


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_a_token_minted_during_a_deactivation_dies_with_the_others(shared_app, round_):
    admin = admin_of(shared_app)
    account = register(shared_app.test_client())
    body = {"name": "p", "scopes": ["items:read"], "expires_in_days": 1}

    def mint() -> str | None:
        response = shared_app.test_client().post(
            "/api/me/tokens", json=body, headers=account.headers
        )
        assert response.status_code in (201, 401, 503), response.get_json()
        return response.get_json()["token"] if response.status_code == 201 else None

    def deactivate() -> int:
        url = f"/api/admin/users/{account.id}"
        response = shared_app.test_client().patch(
            url, json={"is_active": False}, headers=admin.headers
        )
        return response.status_code

    *minted, status = race(*[mint] * 5, deactivate)
    assert status == 200
    reactivate = {"is_active": True}
    client = shared_app.test_client()
    assert (
        client.patch(
            f"/api/admin/users/{account.id}", json=reactivate, headers=admin.headers
        ).status_code
        == 200
    )
    for token in filter(None, minted):
        assert client.get("/api/me/items", headers=bearer(token)).status_code == 401


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_concurrent_deletes_of_one_upload_delete_and_audit_it_once(shared_app, round_):
    owner = register(shared_app.test_client())
    upload_id = uploaded(shared_app.test_client(), owner)["id"]

    def delete_it() -> int:
        response = shared_app.test_client().delete(
            f"/api/upload/{upload_id}", headers=owner.headers
        )
        assert response.status_code in (204, 404, 503), response.get_json()
        return response.status_code

    statuses = race(*[delete_it] * 4)
    assert statuses.count(204) == 1, statuses
    admin = admin_of(shared_app)
    audit = shared_app.test_client().get(
        "/api/admin/audit?action=upload.delete&per_page=100", headers=admin.headers
    )
    entries = [e for e in audit.get_json()["items"] if e["target_id"] == str(upload_id)]
    assert len(entries) == 1, entries


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_concurrent_creates_with_one_idempotency_key_create_once(shared_app, round_):
    owner = register(shared_app.test_client())
    headers = {**owner.headers, "Idempotency-Key": f"race-{round_}"}

    def create() -> tuple[int, Any]:
        response = shared_app.test_client().post(
            "/api/items", json={"name": "once"}, headers=headers
        )
        assert response.status_code in (201, 409, 503), response.get_json()
        return response.status_code, response.get_json()

    answers = race(*[create] * 4)
    created = {body["id"] for status, body in answers if status == 201}
    assert len(created) == 1, answers  # every 201 is the same item: the first, or its replay
    mine = shared_app.test_client().get("/api/me/items", headers=owner.headers).get_json()
    assert [item["id"] for item in mine["items"]] == list(created), (mine, answers)
    replay = shared_app.test_client().post("/api/items", json={"name": "once"}, headers=headers)
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.get_json()["id"] in created


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_concurrent_secret_rotations_each_hand_out_a_secret_that_signs(
    app_factory, shared_database_url, round_
):
    """Serialised as one after the other: the later rotation's secret is current and the
    earlier one's stays in its grace period. Unserialised, both read the same old secret and
    one caller was handed a secret that never signed anything."""
    shared_app, owner, hook_id = _subscribed(app_factory, shared_database_url, ["item.created"])

    def rotate() -> str:
        url = f"/api/webhooks/{hook_id}/rotate-secret"
        response = shared_app.test_client().post(url, headers=owner.headers)
        assert response.status_code == 200, response.get_json()
        return str(response.get_json()["secret"])

    handed_out = set(race(rotate, rotate))
    key = WebhookSettings.of(shared_app.config).secret
    with shared_app.app_context():
        subscription = db.session.get(WebhookSubscription, hook_id)
        signing = {secrets.decrypt(subscription.secret_encrypted, server_key=key)}
        signing.add(secrets.decrypt(subscription.previous_secret_encrypted, server_key=key))
    assert handed_out == signing


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_an_admin_token_minted_during_a_demotion_dies_with_the_others(shared_app, round_):
    """The role was judged when the request authenticated: one in 12 rounds of the probe kept
    an `admin:write` token that the demotion did not see, and a later promotion revived it."""
    admin = admin_of(shared_app)
    account = register(shared_app.test_client())
    url = f"/api/admin/users/{account.id}"
    client = shared_app.test_client()
    assert client.patch(url, json={"is_admin": True}, headers=admin.headers).status_code == 200
    body = {"name": "p", "scopes": ["admin:read", "admin:write"], "expires_in_days": 1}

    def mint() -> str | None:
        response = shared_app.test_client().post(
            "/api/me/tokens", json=body, headers=account.headers
        )
        assert response.status_code in (201, 400, 403, 503), response.get_json()
        return response.get_json()["token"] if response.status_code == 201 else None

    def demote() -> int:
        demotion = {"is_admin": False}
        return shared_app.test_client().patch(url, json=demotion, headers=admin.headers).status_code

    *minted, status = race(*[mint] * 5, demote)
    assert status == 200
    assert client.patch(url, json={"is_admin": True}, headers=admin.headers).status_code == 200
    for token in filter(None, minted):
        assert client.get("/api/admin/stats", headers=bearer(token)).status_code == 401
