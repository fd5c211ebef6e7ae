"""What a client gets when another request wins a race for the same rows: each bulk delete
reports only the rows it deleted, a change to an item deleted meanwhile is a 404 (not a 500),
and a personal access token minted while its owner is deactivated dies with the others. Run on
a shared SQLite file, and on PostgreSQL by `make test-postgres`."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete, event
from sqlalchemy.orm import Session

from models import Item, db
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


@contextmanager
def deleted_before_the_write(app: Flask, item_id: int) -> Iterator[None]:
    """Hard-delete the item on another connection just before the request writes it: the
    request read it, then lost it (what a concurrent bulk delete does)."""

    done: list[bool] = []

    def delete_it(session: Session, *_: Any) -> None:
        if not done:  # once: the request's own flush, not the deleting connection's
            done.append(True)
            with db.engine.begin() as other:
                other.execute(delete(Item).where(Item.id == item_id))

    event.listen(Session, "before_flush", delete_it)
    try:
        yield
    finally:
        event.remove(Session, "before_flush", delete_it)
    assert done, "the request never wrote the item"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("patch", "/api/items/{id}", {"name": "changed"}),
        ("put", "/api/items/{id}", {"name": "changed"}),
        ("delete", "/api/items/{id}", None),
        ("post", "/api/admin/items/{id}/toggle", None),
    ],
)
def test_a_change_to_an_item_deleted_meanwhile_is_a_404(shared_app, method, path, body):
    admin = admin_of(shared_app)
    client = shared_app.test_client()
    item = client.post("/api/items", json={"name": "doomed"}, headers=admin.headers).get_json()
    with shared_app.app_context(), deleted_before_the_write(shared_app, item["id"]):
        response = client.open(
            path.format(id=item["id"]), method=method.upper(), json=body, headers=admin.headers
        )
    assert response.status_code == 404, response.get_json()
    assert "deleted" in response.get_json()["error"]


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
