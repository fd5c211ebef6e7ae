"""A 201 says where the new resource lives: `Location` (RFC 9110 §15.3.2), a path the client can
read it back from, also on an idempotent replay, and declared in the OpenAPI document."""

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from tests.helpers import Account, register, upload


def test_created_item_location_reads_it_back(client: FlaskClient, user: Account) -> None:
    created = client.post("/api/items", json={"name": "lamp"}, headers=user.headers)
    assert created.status_code == 201
    assert created.headers["Location"] == f"/api/items/{created.get_json()['id']}"
    again = client.get(created.headers["Location"], headers=user.headers)
    assert again.status_code == 200
    assert again.get_json() == created.get_json()


def test_replayed_create_carries_the_same_location(client: FlaskClient, user: Account) -> None:
    headers = {**user.headers, "Idempotency-Key": "location-replay-1"}
    first = client.post("/api/items", json={"name": "chair"}, headers=headers)
    replay = client.post("/api/items", json={"name": "chair"}, headers=headers)
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.headers["Location"] == first.headers["Location"]
    assert first.headers["Location"] == f"/api/items/{first.get_json()['id']}"


def test_uploaded_file_location_is_its_metadata(client: FlaskClient, user: Account) -> None:
    created = upload(client, user, b"hello", "notes.txt")
    assert created.status_code == 201
    upload_id = created.get_json()["id"]
    assert created.headers["Location"] == f"/api/upload/{upload_id}"
    metadata = client.get(created.headers["Location"], headers=user.headers)
    assert (metadata.status_code, metadata.get_json()["id"]) == (200, upload_id)


def test_token_and_webhook_locations(app_factory: Callable[..., Flask]) -> None:
    client = app_factory(WEBHOOKS_ALLOW_PRIVATE=True).test_client()
    account = register(client)
    body = {"name": "ci", "scopes": ["items:read"], "expires_in_days": 30}
    token = client.post("/api/me/tokens", json=body, headers=account.headers)
    assert token.headers["Location"] == f"/api/me/tokens/{token.get_json()['id']}"
    hook = {"url": "http://127.0.0.1:9/hook", "events": ["item.created"]}
    created = client.post("/api/webhooks", json=hook, headers=account.headers)
    assert created.headers["Location"] == f"/api/webhooks/{created.get_json()['id']}"
    read = client.get(created.headers["Location"], headers=account.headers)
    assert (read.status_code, read.get_json()["id"]) == (200, created.get_json()["id"])


def test_errors_carry_no_location(client: FlaskClient, user: Account) -> None:
    refused = client.post("/api/items", json={"name": ""}, headers=user.headers)
    assert refused.status_code in (400, 422)
    assert "Location" not in refused.headers


def test_location_is_declared_where_it_is_sent(client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").get_json()
    created = {
        operation["operationId"]: operation["responses"]["201"]
        for path in spec["paths"].values()
        for operation in path.values()
        if isinstance(operation, dict) and "201" in operation.get("responses", {})
    }
    with_location = {
        name for name, response in created.items() if "Location" in response.get("headers", {})
    }
    assert with_location == {
        "createItem",
        "uploadFile",
        "completeDirectUpload",
        "createPersonalAccessToken",
        "createWebhook",
    }, sorted(created)
