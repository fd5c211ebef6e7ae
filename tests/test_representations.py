"""One source of truth per representation: a model's `to_dict()` is exactly what the API sends
for it (the declared response model adds only what is not a column, such as a signed `url`)."""

import io
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from models import AuditEntry, Item, PersonalAccessToken, Upload, User, WebhookSubscription, db
from tests.helpers import Account, register


def stored(app: Flask, model: type[Any], row_id: int) -> dict[str, Any]:
    with app.app_context():
        return db.session.get(model, row_id).to_dict()


def test_item(
    app: Flask, client: FlaskClient, user: Account, make_item: Callable[..., Any]
) -> None:
    item = make_item(user, description="from the API")
    sent = client.get(f"/api/items/{item['id']}").get_json()
    assert sent == stored(app, Item, item["id"])


def test_user(app: Flask, client: FlaskClient, user: Account) -> None:
    sent = client.get("/api/auth/me", headers=user.headers).get_json()
    assert sent == stored(app, User, user.id)


def test_upload_adds_only_its_links(app: Flask, client: FlaskClient, user: Account) -> None:
    response = client.post(
        "/api/upload",
        data={"file": (io.BytesIO(b"plain text"), "notes.txt")},
        content_type="multipart/form-data",
        headers=user.headers,
    )
    assert response.status_code == 201, response.get_json()
    sent = client.get(f"/api/uploads/{response.get_json()['id']}", headers=user.headers).get_json()
    links = {key: sent.pop(key) for key in ("url", "url_expires_at", "download_path")}
    assert all(links.values())
    assert sent == stored(app, Upload, sent["id"])


def test_personal_access_token(app: Flask, client: FlaskClient, user: Account) -> None:
    body = {"name": "ci", "scopes": ["items:read"], "expires_in_days": 30}
    created = client.post("/api/me/tokens", json=body, headers=user.headers)
    assert created.status_code == 201, created.get_json()
    listed = client.get("/api/me/tokens", headers=user.headers).get_json()["items"]
    assert listed == [stored(app, PersonalAccessToken, created.get_json()["id"])]


@pytest.mark.parametrize("overrides", [{"WEBHOOKS_ALLOW_PRIVATE": True}])
def test_webhook_subscription(app_factory: Callable[..., Flask], overrides: dict[str, Any]) -> None:
    app = app_factory(**overrides)
    client = app.test_client()
    account = register(client)
    body = {"url": "http://127.0.0.1:9/hook", "events": ["item.created"]}
    created = client.post("/api/webhooks", json=body, headers=account.headers)
    assert created.status_code == 201, created.get_json()
    sent = client.get(f"/api/webhooks/{created.get_json()['id']}", headers=account.headers)
    assert sent.get_json() == stored(app, WebhookSubscription, created.get_json()["id"])


def test_audit_entry(app: Flask, client: FlaskClient, admin: Account, user: Account) -> None:
    changed = client.patch(f"/api/admin/users/{user.id}", json={"is_active": False},
                           headers=admin.headers)  # fmt: skip
    assert changed.status_code == 200, changed.get_json()
    entries = client.get("/api/admin/audit", headers=admin.headers).get_json()["items"]
    assert entries
    for entry in entries:
        assert entry == stored(app, AuditEntry, entry["id"])
