"""Webhooks, as a partner uses them: subscribe, receive signed events, read the delivery log.

Deliveries go to a real HTTP receiver on loopback and are verified with the Standard Webhooks
reference library (`standardwebhooks`). The worker runs in-process here (`Worker.run`); the
tests that start it as a process (kill -9, two workers, bursts) are in test_webhooks_live.py.
"""

import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from standardwebhooks import WebhookVerificationError

from api import create_app
from api.core.config import load_config
from api.webhooks import EVENT_TYPES
from api.webhooks.worker import Worker, schedule_span
from models import Item, Upload, WebhookEvent, db
from tests.helpers import (
    Account,
    assert_error,
    build_test_config,
    login,
    narrowed_login,
    race,
    register,
    uploaded,
)
from tests.webhook_receiver import Receiver, running_receiver

FAST = {
    "WEBHOOKS_ALLOW_PRIVATE": True,  # the receiver is on loopback
    "WEBHOOKS_BACKOFF_BASE": 0.05,
    "WEBHOOKS_BACKOFF_MAX": 0.2,
    "WEBHOOKS_TIMEOUT": 2.0,
    "WEBHOOKS_LEASE_SECONDS": 5.0,
    "WEBHOOKS_POLL_INTERVAL": 0.02,
}


@pytest.fixture
def app(app_factory: Callable[..., Flask]) -> Flask:
    return app_factory(**FAST)


@pytest.fixture
def receiver() -> Any:
    with running_receiver() as running:
        yield running


def deliver(app: Flask, until: Callable[[], bool] | None = None, timeout: float = 15) -> None:
    """Run the worker until nothing is due (and, with `until`, until that holds)."""
    deadline = time.monotonic() + timeout
    while True:
        Worker(app).run(until_idle=True)
        if until is None or until():
            return
        assert time.monotonic() < deadline, "deliveries did not complete in time"
        time.sleep(0.02)


def subscribe(
    client: FlaskClient, account: Account, url: str, events: list[str] | None = None, **extra: Any
) -> dict[str, Any]:
    body = {"url": url, "events": events or list(EVENT_TYPES), **extra}
    response = client.post("/api/webhooks", json=body, headers=account.headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def deliveries(client: FlaskClient, account: Account, hook_id: int) -> list[dict[str, Any]]:
    response = client.get(f"/api/webhooks/{hook_id}/deliveries", headers=account.headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def event_validator(client: FlaskClient) -> Callable[[dict[str, Any]], None]:
    """Validates a delivered body against its schema in the 3.1 webhooks document."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    document = client.get("/api/webhooks.json").get_json()
    resource = Resource.from_contents(document, default_specification=DRAFT202012)
    registry = Registry().with_resource("urn:webhooks", resource)

    def validate(body: dict[str, Any]) -> None:
        operation = document["webhooks"][body["type"]]["post"]
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        schema = {"$ref": "urn:webhooks" + ref}
        Draft202012Validator(schema, registry=registry).validate(body)

    return validate


# --- events -------------------------------------------------------------------------------


def test_every_event_type_is_delivered_signed_with_the_api_representation(
    app: Flask, client: FlaskClient, admin: Account, user: Account, receiver: Receiver
) -> None:
    hook = subscribe(client, admin, receiver.url + "/hooks")
    assert hook["secret"].startswith("whsec_")

    created = client.post("/api/items", json={"name": "Lamp"}, headers=user.headers).get_json()
    item_id = created["id"]
    updated = client.patch(
        f"/api/items/{item_id}", json={"name": "Desk lamp"}, headers=user.headers
    ).get_json()
    assert client.delete(f"/api/items/{item_id}", headers=user.headers).status_code == 204
    restored = client.post(f"/api/admin/items/{item_id}/toggle", headers=admin.headers)
    stored = uploaded(client, user, b"hello, partner", "note.txt")
    with app.app_context():  # the uploads service is being rewritten; delete through the ORM
        db.session.delete(db.session.get(Upload, stored["id"]))
        db.session.commit()
    toggled = client.post(f"/api/admin/users/{user.id}/toggle", headers=admin.headers)
    assert toggled.status_code == 200

    deliver(app, until=lambda: len(receiver.requests) >= 7)
    received = {r.json["type"]: r for r in receiver.requests}
    assert sorted(received) == sorted(EVENT_TYPES)
    for request in receiver.requests:
        body = request.verify(hook["secret"])  # the reference library checks the signature
        assert body["id"] == request.headers["webhook-id"]
        assert body["id"].startswith("msg_") and body["timestamp"]
        assert request.path == "/hooks"
        assert request.headers["content-type"] == "application/json"
    validate_event = event_validator(client)
    for request in receiver.requests:
        validate_event(request.json)  # against the schema the spec publishes for it
    data = {name: r.json["data"] for name, r in received.items()}
    assert data["item.created"] == created
    assert data["item.updated"] == updated
    assert data["item.deleted"]["is_active"] is False and data["item.deleted"]["id"] == item_id
    assert data["item.restored"] == restored.get_json()
    assert data["upload.created"] == stored
    assert data["upload.deleted"]["id"] == stored["id"]
    assert data["user.deactivated"]["id"] == user.id
    assert data["user.deactivated"]["is_active"] is False
    assert "password_hash" not in data["user.deactivated"]


def test_a_tampered_body_fails_verification(
    app: Flask, client: FlaskClient, user: Account, receiver: Receiver
) -> None:
    hook = subscribe(client, user, receiver.url, ["item.created"])
    client.post("/api/items", json={"name": "Pen"}, headers=user.headers)
    deliver(app, until=lambda: len(receiver.requests) == 1)
    request = receiver.requests[0]
    request.verify(hook["secret"])
    request.body = request.body.replace(b"Pen", b"Pin")
    with pytest.raises(WebhookVerificationError):
        request.verify(hook["secret"])


def test_a_user_hears_only_about_their_own_items_and_admins_about_all(
    app: Flask,
    client: FlaskClient,
    admin: Account,
    user: Account,
    other_user: Account,
    make_item: Callable[..., dict[str, Any]],
) -> None:
    with running_receiver() as mine, running_receiver() as everyone:
        subscribe(client, user, mine.url, ["item.created"])
        subscribe(client, admin, everyone.url, ["item.created"])
        own = make_item(user)
        make_item(other_user)
        deliver(app, until=lambda: len(everyone.requests) == 2)
        time.sleep(0.1)
        assert [r.json["data"]["id"] for r in mine.requests] == [own["id"]]


def test_a_new_subscription_was_created_and_updated_at_one_instant(
    client: FlaskClient, user: Account, receiver: Receiver
) -> None:
    hook = subscribe(client, user, receiver.url, ["item.created"])
    assert hook["created_at"] == hook["updated_at"]  # as for items (they were 2 us apart)


def test_only_admins_may_subscribe_to_user_events(
    client: FlaskClient, user: Account, receiver: Receiver
) -> None:
    response = client.post(
        "/api/webhooks",
        json={"url": receiver.url, "events": ["user.deactivated"]},
        headers=user.headers,
    )
    assert response.status_code == 403
    assert "user.deactivated" in response.get_json()["error"]


def test_a_subscription_only_gets_the_events_it_chose(
    app: Flask, client: FlaskClient, user: Account, receiver: Receiver
) -> None:
    subscribe(client, user, receiver.url, ["item.deleted"])
    item = client.post("/api/items", json={"name": "Cup"}, headers=user.headers).get_json()
    client.patch(f"/api/items/{item['id']}", json={"name": "Mug"}, headers=user.headers)
    client.delete(f"/api/items/{item['id']}", headers=user.headers)
    deliver(app, until=lambda: len(receiver.requests) >= 1)
    assert receiver.types() == ["item.deleted"]


def test_the_event_is_written_in_the_transaction_of_the_change(
    app: Flask, client: FlaskClient, user: Account, receiver: Receiver
) -> None:
    subscribe(client, user, receiver.url, ["item.created"])
    with app.app_context():
        db.session.add(Item(name="never committed", user_id=user.id))
        db.session.flush()  # the outbox row is written here...
        assert db.session.scalar(select(func.count()).select_from(WebhookEvent)) == 1
        db.session.rollback()  # ...and rolled back with the item
        assert db.session.scalar(select(func.count()).select_from(WebhookEvent)) == 0
    client.post("/api/items", json={"name": "committed"}, headers=user.headers)
    deliver(app, until=lambda: len(receiver.requests) == 1)
    assert receiver.requests[0].json["data"]["name"] == "committed"


def test_no_subscriber_means_no_outbox_rows(app: Flask, client: FlaskClient, user: Account) -> None:
    client.post("/api/items", json={"name": "quiet"}, headers=user.headers)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(WebhookEvent)) == 0


# --- delivery -----------------------------------------------------------------------------


def test_a_receiver_that_fails_twice_gets_three_attempts_with_one_webhook_id(
    app: Flask, client: FlaskClient, user: Account
) -> None:
    with running_receiver(responses=[500, 503]) as receiver:
        hook = subscribe(client, user, receiver.url, ["item.created"])
        client.post("/api/items", json={"name": "retry me"}, headers=user.headers)
        deliver(app, until=lambda: len(receiver.ok()) == 1)
    assert [r.status for r in receiver.requests] == [500, 503, 200]
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1
    for request in receiver.requests:
        request.verify(hook["secret"])
    [log] = deliveries(client, user, hook["id"])
    assert log["status"] == "delivered" and log["attempts"] == 3
    assert log["response_status"] == 200 and log["latency_ms"] >= 0
    assert log["event_type"] == "item.created" and log["last_error"] is None
    got = client.get(f"/api/webhooks/{hook['id']}", headers=user.headers).get_json()
    assert got["failure_count"] == 0  # a success ends the run of failures


def test_attempts_stop_at_the_limit_and_the_log_says_why(
    app_factory: Callable[..., Flask], user_factory_client: Any = None
) -> None:
    app = app_factory(**FAST, WEBHOOKS_MAX_ATTEMPTS=3)
    client = app.test_client()
    user = register(client)
    with running_receiver(default_status=500) as receiver:
        hook = subscribe(client, user, receiver.url, ["item.created"])
        client.post("/api/items", json={"name": "doomed"}, headers=user.headers)
        deliver(app, until=lambda: deliveries(client, user, hook["id"])[0]["status"] == "failed")
        assert len(receiver.requests) == 3
        [log] = deliveries(client, user, hook["id"])
        assert log["attempts"] == 3 and log["response_status"] == 500
        assert log["last_error"] == "HTTP 500: non-2xx response"

        # Redeliver once the receiver is fixed: a new delivery of the same event.
        receiver.default_status = 204
        response = client.post(
            f"/api/webhooks/{hook['id']}/deliveries/{log['id']}/redeliver", headers=user.headers
        )
        assert response.status_code == 202, response.get_json()
        again = response.get_json()
        assert again["event_id"] == log["event_id"] and again["status"] == "pending"
        deliver(app, until=lambda: len(receiver.ok()) == 1)
        assert receiver.ok()[0].headers["webhook-id"] == log["event_id"]
        statuses = [d["status"] for d in deliveries(client, user, hook["id"])]
        assert statuses == ["delivered", "failed"]


def _settled(client: FlaskClient, admin: Account, hook_id: int) -> Callable[[], bool]:
    return lambda: all(d["status"] != "pending" for d in deliveries(client, admin, hook_id))


def test_retries_stop_once_the_subscriber_is_deactivated(
    app: Flask, client: FlaskClient, admin: Account, user: Account
) -> None:
    with running_receiver(responses=[500]) as receiver:
        hook = subscribe(client, user, receiver.url, ["item.created"])
        client.post("/api/items", json={"name": "queued before"}, headers=user.headers)
        deliver(app, until=lambda: len(receiver.requests) == 1)  # failed: a retry is due
        change = {"is_active": False}
        response = client.patch(f"/api/admin/users/{user.id}", json=change, headers=admin.headers)
        assert response.status_code == 200, response.get_json()
        time.sleep(0.3)  # past the backoff
        deliver(app, until=_settled(client, admin, hook["id"]))
    assert len(receiver.requests) == 1
    [log] = deliveries(client, admin, hook["id"])
    assert log["status"] == "failed" and log["attempts"] == 1
    assert "owner can no longer read this event" in log["last_error"]


def test_a_demoted_admin_hears_no_more_of_others_events_queued_before(
    app: Flask, client: FlaskClient, admin: Account, user: Account, other_user: Account
) -> None:
    promote = {"is_admin": True}
    response = client.patch(f"/api/admin/users/{user.id}", json=promote, headers=admin.headers)
    assert response.status_code == 200, response.get_json()
    promoted = login(client, user.username, user.password)  # a token with the admin scopes
    with running_receiver(default_status=500) as receiver:
        hook = subscribe(client, promoted, receiver.url, ["item.created", "upload.created"])
        client.post("/api/items", json={"name": "theirs"}, headers=other_user.headers)
        uploaded(client, other_user, b"a signed download link inside", "theirs.txt")
        own = client.post("/api/items", json={"name": "mine"}, headers=promoted.headers)
        # Each failed at least once (a slow pass may already have retried some).
        deliver(app, until=lambda: len(receiver.requests) >= 3)
        demote = {"is_admin": False}
        response = client.patch(f"/api/admin/users/{user.id}", json=demote, headers=admin.headers)
        assert response.status_code == 200, response.get_json()
        receiver.default_status = 200
        attempted_before = len(receiver.requests)
        time.sleep(0.3)  # past the backoff
        deliver(app, until=_settled(client, admin, hook["id"]))
    assert [r.json["data"] for r in receiver.ok()] == [own.get_json()]  # its own it may read
    assert len(receiver.requests) == attempted_before + 1  # since the demotion: its own, once
    logs = deliveries(client, admin, hook["id"])
    dropped = sorted(d["event_type"] for d in logs if d["status"] == "failed")
    assert dropped == ["item.created", "upload.created"]
    for log in logs:
        if log["status"] == "failed":
            assert "owner can no longer read this event" in log["last_error"]


def test_redeliver_refuses_a_pending_delivery_and_unknown_ids(
    app: Flask, client: FlaskClient, user: Account, other_user: Account, receiver: Receiver
) -> None:
    hook = subscribe(client, user, receiver.url, ["item.created"])
    client.post("/api/items", json={"name": "queued"}, headers=user.headers)
    [log] = deliveries(client, user, hook["id"])
    url = f"/api/webhooks/{hook['id']}/deliveries/{log['id']}/redeliver"
    assert client.post(url, headers=user.headers).status_code == 409
    assert client.post(url, headers=other_user.headers).status_code == 404
    missing = f"/api/webhooks/{hook['id']}/deliveries/999999/redeliver"
    assert client.post(missing, headers=user.headers).status_code == 404


def test_a_redelivery_waits_for_the_previous_one(
    app: Flask, client: FlaskClient, user: Account, receiver: Receiver
) -> None:
    hook = subscribe(client, user, receiver.url, ["item.created"])
    client.post("/api/items", json={"name": "x"}, headers=user.headers)
    deliver(app, until=lambda: len(receiver.requests) == 1)
    [log] = deliveries(client, user, hook["id"])
    url = f"/api/webhooks/{hook['id']}/deliveries/{log['id']}/redeliver"
    assert client.post(url, headers=user.headers).status_code == 202
    again = client.post(url, headers=user.headers)
    assert again.status_code == 409 and "already pending" in again.get_json()["error"]
    deliver(app, until=lambda: len(receiver.requests) == 2)
    assert client.post(url, headers=user.headers).status_code == 202


def test_a_run_of_failures_disables_the_subscription_and_its_owner_sees_why(
    app_factory: Callable[..., Flask],
) -> None:
    app = app_factory(**FAST, WEBHOOKS_DISABLE_AFTER=3, WEBHOOKS_MAX_ATTEMPTS=2)
    client = app.test_client()
    user = register(client)
    with running_receiver(default_status=500) as receiver:
        hook = subscribe(client, user, receiver.url, ["item.created"])
        for n in range(3):
            client.post("/api/items", json={"name": f"n{n}"}, headers=user.headers)
        url = f"/api/webhooks/{hook['id']}"

        def disabled() -> bool:
            return client.get(url, headers=user.headers).get_json()["enabled"] is False

        deliver(app, until=disabled)
        got = client.get(url, headers=user.headers).get_json()
        assert got["failure_count"] >= 3  # attempts already in flight may add to it
        assert got["disabled_reason"].startswith("Disabled after 3 consecutive failed")
        assert "HTTP 500" in got["disabled_reason"]
        attempts_when_disabled = len(receiver.requests)
        deliver(app)
        assert len(receiver.requests) == attempts_when_disabled  # nothing more is sent

        # Fixed and re-enabled: the pending deliveries go out, the reason is cleared.
        receiver.default_status = 200
        response = client.patch(url, json={"enabled": True}, headers=user.headers)
        assert response.get_json()["disabled_reason"] is None
        assert response.get_json()["failure_count"] == 0
        deliver(app, until=lambda: len(receiver.ok()) >= 1)


def test_a_receiver_that_is_down_is_retried_until_it_is_back(
    app: Flask, client: FlaskClient, user: Account
) -> None:
    from tests.live import free_port

    port = free_port()
    hook = subscribe(client, user, f"http://127.0.0.1:{port}/", ["item.created"])
    client.post("/api/items", json={"name": "patient"}, headers=user.headers)
    deliver(app, until=lambda: deliveries(client, user, hook["id"])[0]["attempts"] >= 2)
    log = deliveries(client, user, hook["id"])[0]
    assert log["status"] == "pending" and log["response_status"] is None
    assert "ConnectionRefused" in log["last_error"]
    with running_receiver(port=port) as receiver:
        deliver(app, until=lambda: len(receiver.requests) == 1)
    assert deliveries(client, user, hook["id"])[0]["status"] == "delivered"


def test_concurrent_creations_never_exceed_the_per_user_limit(
    app_factory: Callable[..., Flask], shared_database_url: str
) -> None:
    """The limit check and the insert are one atomic step (the owner's row is locked)."""
    app = app_factory(**FAST, WEBHOOKS_MAX_PER_USER=3, SQLALCHEMY_DATABASE_URI=shared_database_url)
    client = app.test_client()
    body = {"url": "http://127.0.0.1:9/", "events": ["item.created"]}
    for _ in range(5):
        user = register(client)

        def create(headers: dict[str, str] = user.headers) -> int:
            return app.test_client().post("/api/webhooks", json=body, headers=headers).status_code

        statuses = race(*[create] * 8)
        assert sorted(statuses) == [201] * 3 + [409] * 5
        assert client.get("/api/webhooks", headers=user.headers).get_json()["total"] == 3


def test_the_response_read_is_capped(app: Flask, client: FlaskClient, user: Account) -> None:
    """A receiver answering an endless body: the worker reads WEBHOOKS_MAX_RESPONSE_BYTES and
    hangs up, instead of reading until its timeout (or its memory) runs out."""
    with running_receiver(stream_forever=True) as receiver:
        hook = subscribe(client, user, receiver.url, ["item.created"])
        client.post("/api/items", json={"name": "chatty"}, headers=user.headers)
        deliver(app, until=lambda: deliveries(client, user, hook["id"])[0]["attempts"] >= 1)
    [log] = deliveries(client, user, hook["id"])
    assert log["status"] == "delivered" and log["response_status"] == 200
    assert log["latency_ms"] < 1000 * FAST["WEBHOOKS_TIMEOUT"]


def test_redirects_are_not_followed(app: Flask, client: FlaskClient, user: Account) -> None:
    with running_receiver(responses=[302]) as receiver:
        hook = subscribe(client, user, receiver.url, ["item.created"])
        client.post("/api/items", json={"name": "moved"}, headers=user.headers)
        deliver(app, until=lambda: len(receiver.requests) >= 2)
    assert [r.path for r in receiver.requests] == ["/", "/"]  # never /redirected
    log = deliveries(client, user, hook["id"])[0]
    assert log["attempts"] == 2 and log["status"] == "delivered"


def test_a_hanging_receiver_times_out_without_holding_the_api(
    app_factory: Callable[..., Flask],
) -> None:
    import threading

    app = app_factory(**{**FAST, "WEBHOOKS_TIMEOUT": 0.5, "WEBHOOKS_MAX_ATTEMPTS": 1})
    client = app.test_client()
    user = register(client)
    with running_receiver(hold=threading.Event()) as receiver:
        hook = subscribe(client, user, receiver.url, ["item.created"])
        started = time.monotonic()
        response = client.post("/api/items", json={"name": "slow"}, headers=user.headers)
        assert response.status_code == 201
        assert time.monotonic() - started < 0.5  # the API never calls the receiver
        deliver(app)
    [log] = deliveries(client, user, hook["id"])
    assert log["status"] == "failed" and log["last_error"].startswith("timed out")
    assert log["response_status"] is None and 400 <= log["latency_ms"] < 2000


@pytest.mark.parametrize("part", ["head", "body"])
def test_a_receiver_dripping_its_answer_is_cut_at_the_deadline(
    app_factory: Callable[..., Flask], part: str
) -> None:
    """Each byte within any read timeout, the answer never complete (30 s of it): the attempt
    ends at WEBHOOKS_TIMEOUT as a timeout. Before, it lasted as long as the receiver dripped,
    past its lease, and was claimed again until it held every delivery thread."""
    timeouts = {"WEBHOOKS_TIMEOUT": 1.0, "WEBHOOKS_LEASE_SECONDS": 3.0}
    app = app_factory(**{**FAST, **timeouts, "WEBHOOKS_MAX_ATTEMPTS": 1})
    client = app.test_client()
    user = register(client)
    with running_receiver(drip=part) as receiver:
        hook = subscribe(client, user, receiver.url, ["item.created"])
        client.post("/api/items", json={"name": "drip"}, headers=user.headers)
        started = time.monotonic()
        deliver(app)
        elapsed = time.monotonic() - started
    [log] = deliveries(client, user, hook["id"])
    assert log["status"] == "failed" and log["last_error"].startswith("timed out"), log
    # Cut about the 1 s deadline, not after the 30 s the receiver would drip; the margin is for
    # a loaded CI machine (1.98 s seen once while two suites shared the two cores).
    assert elapsed < 4 and log["latency_ms"] < 2500, (elapsed, log)


def test_ping_queues_a_signed_test_event(
    app: Flask, client: FlaskClient, user: Account, receiver: Receiver
) -> None:
    hook = subscribe(client, user, receiver.url, ["item.created"])
    response = client.post(f"/api/webhooks/{hook['id']}/ping", headers=user.headers)
    assert response.status_code == 202
    assert response.get_json()["event_type"] == "ping"
    deliver(app, until=lambda: len(receiver.requests) == 1)
    body = receiver.requests[0].verify(hook["secret"])
    assert body["type"] == "ping" and body["data"]["subscription_id"] == hook["id"]


@pytest.mark.parametrize("grace", [86400, 0])
def test_after_a_rotation_both_secrets_sign_during_the_grace_period(
    app_factory: Callable[..., Flask], grace: int
) -> None:
    app = app_factory(**FAST, WEBHOOKS_ROTATION_GRACE=grace)
    client = app.test_client()
    user = register(client)
    with running_receiver() as receiver:
        hook = subscribe(client, user, receiver.url, ["item.created"])
        response = client.post(f"/api/webhooks/{hook['id']}/rotate-secret", headers=user.headers)
        assert response.status_code == 200
        new_secret = response.get_json()["secret"]
        assert new_secret != hook["secret"] and new_secret.startswith("whsec_")
        detail = client.get(f"/api/webhooks/{hook['id']}", headers=user.headers).get_json()
        assert "secret" not in detail
        client.post("/api/items", json={"name": "x"}, headers=user.headers)
        deliver(app, until=lambda: len(receiver.requests) == 1)
    request = receiver.requests[0]
    request.verify(new_secret)
    assert len(request.headers["webhook-signature"].split(" ")) == (2 if grace else 1)
    if grace:
        request.verify(hook["secret"])  # a receiver still on the old secret accepts it too
    else:
        with pytest.raises(WebhookVerificationError):
            request.verify(hook["secret"])


def test_the_secret_is_stored_encrypted(app: Flask, client: FlaskClient, user: Account) -> None:
    hook = subscribe(client, user, "http://127.0.0.1:9/", ["item.created"])
    with app.app_context():
        stored = db.session.execute(db.text("SELECT secret_encrypted FROM webhook_subscriptions"))
        [encrypted] = stored.scalars().all()
    assert hook["secret"] not in encrypted and hook["secret"][6:] not in encrypted


# --- SSRF guard ---------------------------------------------------------------------------


REFUSED_ALWAYS = [
    "http://169.254.169.254/latest/meta-data/",
    "http://[fe80::1]/",
    "http://[::ffff:169.254.169.254]/",
    "http://0.0.0.0/",
    "http://224.0.0.1/",
    "ftp://127.0.0.1/",
    "file:///etc/passwd",
    "http://user:pw@127.0.0.1/",
    "http:///nohost",
    "http://no-such-host.invalid/",
    "https://partner.example.com/hooks",
    "http://metadata.google.internal/",
    "not a url",
    "http://127.0.0.1:0/",  # port 0 is no port (it used to mean 80)
]
REFUSED_UNLESS_PRIVATE = [
    "http://127.0.0.1/",
    "http://localhost:8080/hook",
    "http://[::1]/",
    "http://10.0.0.5/",
    "http://192.168.1.1/",
    "http://172.16.0.1/",
    "http://100.64.0.1/",
    "http://[fc00::1]/",
    "http://[fec0::1]/",  # IPv6 site-local: deprecated, still routed inside networks
    "http://[::ffff:127.0.0.1]/",
    "http://2130706433/",  # 127.0.0.1 as one number
    "http://0x7f.1/",
]


@pytest.mark.parametrize("url", REFUSED_ALWAYS + REFUSED_UNLESS_PRIVATE)
def test_ssrf_guard_refuses_internal_targets(app_factory: Callable[..., Flask], url: str) -> None:
    client = app_factory(WEBHOOKS_ALLOW_PRIVATE=False).test_client()
    user = register(client)
    response = client.post(
        "/api/webhooks", json={"url": url, "events": ["item.created"]}, headers=user.headers
    )
    assert response.status_code == 400, response.get_json()
    assert "url" in response.get_json()["errors"]


@pytest.mark.parametrize("host", ["localhost", "api.localhost"])
def test_a_refused_name_does_not_say_what_it_resolves_to(
    app_factory: Callable[..., Flask], host: str
) -> None:
    """The answer named the address (`127.0.0.1 is a loopback ...`): a way to map internal
    host names, one subscription attempt each."""
    client = app_factory(WEBHOOKS_ALLOW_PRIVATE=False).test_client()
    user = register(client)
    body = {"url": f"http://{host}:8080/hook", "events": ["item.created"]}
    response = client.post("/api/webhooks", json=body, headers=user.headers)
    reason = assert_error(response, 400, "url")["errors"]["url"]
    assert "not public" in reason and "127.0.0.1" not in reason and "::1" not in reason, reason


@pytest.mark.parametrize("url", REFUSED_ALWAYS)
def test_link_local_and_metadata_stay_refused_when_private_targets_are_allowed(
    client: FlaskClient, user: Account, url: str
) -> None:
    response = client.post(
        "/api/webhooks", json={"url": url, "events": ["item.created"]}, headers=user.headers
    )
    assert response.status_code == 400


def test_the_target_is_checked_again_at_delivery_time(
    app: Flask, client: FlaskClient, user: Account, receiver: Receiver
) -> None:
    """A name that resolved to an allowed address when subscribing may not later (rebinding):
    here the rule tightens between subscription and delivery, and nothing is sent."""
    hook = subscribe(client, user, receiver.url, ["item.created"])
    client.post("/api/items", json={"name": "x"}, headers=user.headers)
    app.config["WEBHOOKS_ALLOW_PRIVATE"] = False
    deliver(app, until=lambda: deliveries(client, user, hook["id"])[0]["attempts"] >= 1)
    assert receiver.requests == []
    log = deliveries(client, user, hook["id"])[0]
    assert log["last_error"].startswith("refused: ") and "loopback" in log["last_error"]


def test_production_refuses_to_allow_private_targets(tmp_path: Any) -> None:
    config = build_test_config(
        tmp_path,
        APP_ENV="production",
        WEBHOOKS_ALLOW_PRIVATE=True,
        METRICS_ENABLED=False,  # production's other refusals are not what this test is about
        ADMIN_PASSWORD="Correct-Horse-Battery-Staple-2026",
    )
    with pytest.raises(RuntimeError, match="WEBHOOKS_ALLOW_PRIVATE"):
        create_app(config)


def test_the_default_retry_schedule_spans_more_than_a_day(monkeypatch: Any) -> None:
    for name in ("WEBHOOKS_BACKOFF_BASE", "WEBHOOKS_BACKOFF_MAX", "WEBHOOKS_MAX_ATTEMPTS"):
        monkeypatch.delenv(name, raising=False)
    assert schedule_span(load_config()) > 24 * 3600


# --- the subscription API -----------------------------------------------------------------


def test_subscriptions_are_private_to_their_owner_and_visible_to_admins(
    client: FlaskClient, admin: Account, user: Account, other_user: Account, receiver: Receiver
) -> None:
    hook = subscribe(client, user, receiver.url, ["item.created"], description="CRM")
    url = f"/api/webhooks/{hook['id']}"
    for method in ("get", "delete"):
        assert getattr(client, method)(url, headers=other_user.headers).status_code == 404
    assert client.patch(url, json={"enabled": False}, headers=other_user.headers).status_code == 404
    for path in ("/ping", "/rotate-secret"):
        assert client.post(url + path, headers=other_user.headers).status_code == 404
    assert client.get(url + "/deliveries", headers=other_user.headers).status_code == 404
    assert client.get("/api/webhooks", headers=other_user.headers).get_json()["total"] == 0
    listed = client.get("/api/webhooks", headers=admin.headers).get_json()
    assert [h["id"] for h in listed["items"]] == [hook["id"]]
    assert client.get(url, headers=admin.headers).get_json()["description"] == "CRM"
    assert client.get(url).status_code == 401
    assert client.delete(url, headers=user.headers).status_code == 204
    assert client.get(url, headers=user.headers).status_code == 404


def test_update_changes_url_events_and_enabled(
    client: FlaskClient, user: Account, receiver: Receiver
) -> None:
    hook = subscribe(client, user, receiver.url, ["item.created"])
    response = client.patch(
        f"/api/webhooks/{hook['id']}",
        json={"url": receiver.url + "/v2", "events": ["item.updated"], "enabled": False},
        headers=user.headers,
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["url"].endswith("/v2") and body["events"] == ["item.updated"]
    assert body["enabled"] is False and body["disabled_reason"] == f"Disabled by user {user.id}"
    refused = client.patch(
        f"/api/webhooks/{hook['id']}", json={"url": "http://169.254.169.254/"}, headers=user.headers
    )
    assert refused.status_code == 400
    ping = client.post(f"/api/webhooks/{hook['id']}/ping", headers=user.headers)
    assert ping.status_code == 409


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"events": ["item.created"]}, "url"),
        ({"url": "http://127.0.0.1/"}, "events"),
        ({"url": "http://127.0.0.1/", "events": []}, "events"),
        ({"url": "http://127.0.0.1/", "events": ["item.exploded"]}, "events"),
        ({"url": 5, "events": ["item.created"]}, "url"),
        ({"url": "http://127.0.0.1/", "events": ["item.created"], "description": "x" * 501},
         "description"),
    ],
)  # fmt: skip
def test_invalid_subscriptions_get_field_errors(
    client: FlaskClient, user: Account, body: dict[str, Any], field: str
) -> None:
    response = client.post("/api/webhooks", json=body, headers=user.headers)
    assert response.status_code == 400
    assert any(key.split(".")[0] == field for key in response.get_json()["errors"])


def test_subscriptions_per_user_are_limited(app_factory: Callable[..., Flask]) -> None:
    client = app_factory(**FAST, WEBHOOKS_MAX_PER_USER=2).test_client()
    user = register(client)
    body = {"url": "http://127.0.0.1:9/", "events": ["item.created"]}
    for _ in range(2):
        assert client.post("/api/webhooks", json=body, headers=user.headers).status_code == 201
    response = client.post("/api/webhooks", json=body, headers=user.headers)
    assert response.status_code == 409
    assert client.get("/api/webhooks", headers=user.headers).get_json()["total"] == 2


def test_every_webhook_operation_is_audited(
    client: FlaskClient, admin: Account, user: Account, receiver: Receiver
) -> None:
    hook = subscribe(client, user, receiver.url, ["item.created"])
    url = f"/api/webhooks/{hook['id']}"
    client.patch(url, json={"description": "d"}, headers=user.headers)
    client.post(url + "/rotate-secret", headers=user.headers)
    client.post(url + "/ping", headers=user.headers)
    client.delete(url, headers=user.headers)
    entries = client.get("/api/admin/audit?per_page=100", headers=admin.headers).get_json()
    actions = [e["action"] for e in entries["items"] if e["target_type"] == "webhook"]
    assert sorted(actions) == sorted(
        ["webhook.create", "webhook.update", "webhook.rotate_secret", "webhook.ping",
         "webhook.delete"]
    )  # fmt: skip
    assert all(e["actor_id"] == user.id for e in entries["items"] if e["target_type"] == "webhook")


def test_delivery_log_filters_by_status(
    app: Flask, client: FlaskClient, user: Account, receiver: Receiver
) -> None:
    hook = subscribe(client, user, receiver.url, ["item.created"])
    client.post("/api/items", json={"name": "a"}, headers=user.headers)
    deliver(app, until=lambda: len(receiver.requests) == 1)
    client.post("/api/items", json={"name": "b"}, headers=user.headers)
    url = f"/api/webhooks/{hook['id']}/deliveries"
    pending = client.get(url + "?status=pending", headers=user.headers).get_json()
    delivered = client.get(url + "?status=delivered", headers=user.headers).get_json()
    assert pending["total"] == 1 and delivered["total"] == 1
    assert client.get(url + "?status=lost", headers=user.headers).status_code == 400


def test_every_event_is_documented_in_both_openapi_documents(client: FlaskClient) -> None:
    from openapi_spec_validator import validate

    spec = client.get("/api/openapi.json").get_json()
    documented = set(spec["x-webhooks"])
    assert documented == {*EVENT_TYPES, "ping"}
    for name, path_item in spec["x-webhooks"].items():
        operation = path_item["post"]
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        assert ref.removeprefix("#/components/schemas/") in spec["components"]["schemas"], name
        assert {p["name"] for p in operation["parameters"]} == {
            "webhook-id", "webhook-timestamp", "webhook-signature"
        }  # fmt: skip
    webhooks31 = client.get("/api/webhooks.json").get_json()
    validate(webhooks31)
    assert webhooks31["openapi"] == "3.1.0" and set(webhooks31["webhooks"]) == documented
    user = webhooks31["components"]["schemas"]["User"]["properties"]["last_login"]
    assert user["type"] == ["string", "null"]  # 3.0 `nullable` rewritten for 3.1


def test_a_ping_body_matches_its_schema(
    app: Flask, client: FlaskClient, user: Account, receiver: Receiver
) -> None:
    hook = subscribe(client, user, receiver.url, ["item.created"])
    client.post(f"/api/webhooks/{hook['id']}/ping", headers=user.headers)
    deliver(app, until=lambda: len(receiver.requests) == 1)
    event_validator(client)(receiver.requests[0].json)


# --- the README's verification code -------------------------------------------------------


def _readme_block(language: str) -> str:
    from api.core.config import ROOT

    text = (ROOT / "README.md").read_text()
    section = text.split("## Webhooks", 1)[1].split("\n## ", 1)[0]
    return section.split(f"```{language}\n", 1)[1].split("```", 1)[0]


def test_the_readme_node_verifier_accepts_a_real_delivery_and_rejects_a_forged_one(
    app: Flask, client: FlaskClient, user: Account, receiver: Receiver, tmp_path: Any
) -> None:
    import json
    import shutil
    import subprocess

    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed")
    hook = subscribe(client, user, receiver.url, ["item.created"])
    client.post("/api/items", json={"name": "for node"}, headers=user.headers)
    deliver(app, until=lambda: len(receiver.requests) == 1)
    request = receiver.requests[0]
    script = tmp_path / "verify.js"
    script.write_text(
        _readme_block("js")
        + "\nconst [secret, headers, body] = JSON.parse(process.argv[2]);\n"
        + "try { console.log(verifyWebhook(secret, headers, body).type); }\n"
        + "catch (e) { console.log('rejected: ' + e.message); }\n"
    )

    def run(secret: str, body: str) -> str:
        args = json.dumps([secret, request.headers, body])
        return subprocess.run(
            [node, str(script), args], capture_output=True, text=True, check=True, timeout=30
        ).stdout.strip()

    assert run(hook["secret"], request.body.decode()) == "item.created"
    assert run(hook["secret"], request.body.decode().replace("node", "nope")).startswith("rejected")


def test_an_admin_token_without_admin_scopes_acts_on_its_own_subscriptions_only(
    client: FlaskClient, user: Account, admin: Account, receiver: Receiver
) -> None:
    theirs = subscribe(client, user, receiver.url, ["item.created"])
    form = {
        "grant_type": "password",
        "username": admin.username,
        "password": admin.password,
        "scope": "account",
    }
    narrowed = client.post("/api/auth/token", data=form).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {narrowed}"}
    assert client.get("/api/webhooks", headers=headers).get_json()["total"] == 0
    assert client.get(f"/api/webhooks/{theirs['id']}", headers=headers).status_code == 404
    assert client.delete(f"/api/webhooks/{theirs['id']}", headers=headers).status_code == 404
    admin_only = {"url": receiver.url, "events": ["user.deactivated"]}
    assert client.post("/api/webhooks", json=admin_only, headers=headers).status_code == 403
    # The admin's full login still sees and manages every subscription.
    assert client.get(f"/api/webhooks/{theirs['id']}", headers=admin.headers).status_code == 200
    assert client.get("/api/webhooks", headers=admin.headers).get_json()["total"] == 1


def test_a_subscription_made_without_the_admin_scopes_hears_only_its_owner(
    app: Flask,
    client: FlaskClient,
    admin: Account,
    user: Account,
    make_item: Callable[..., dict[str, Any]],
) -> None:
    headers = narrowed_login(client, admin, "account items:read items:write")
    with running_receiver() as narrowed, running_receiver() as full:
        body = {"url": narrowed.url, "events": ["item.created"]}
        hook = client.post("/api/webhooks", json=body, headers=headers).get_json()
        subscribe(client, admin, full.url, ["item.created"])
        theirs = make_item(user)
        own = client.post("/api/items", json={"name": "mine"}, headers=headers).get_json()
        deliver(app, until=lambda: len(full.requests) == 2)
        deliver(app, until=lambda: len(narrowed.requests) == 1)
        time.sleep(0.1)
        assert [r.json["data"]["id"] for r in narrowed.requests] == [own["id"]]
        assert sorted(r.json["data"]["id"] for r in full.requests) == [theirs["id"], own["id"]]
        # Nor can the narrowed token widen it to the admin-only events afterwards.
        widen = {"events": ["item.created", "user.deactivated"]}
        response = client.patch(f"/api/webhooks/{hook['id']}", json=widen, headers=headers)
        assert response.status_code == 403 and "user.deactivated" in response.get_json()["error"]
        response = client.patch(f"/api/webhooks/{hook['id']}", json=widen, headers=admin.headers)
        assert response.status_code == 403 and "admin scopes" in response.get_json()["error"]


@pytest.mark.parametrize(
    ("scope", "events", "missing"),
    [
        ("account", ["item.created"], "items:read"),
        ("account items:write", ["item.updated", "item.deleted"], "items:read"),
        ("account items:read", ["upload.created"], "uploads:read"),
        ("account uploads:read", ["item.created", "upload.deleted"], "items:read"),
    ],
)
def test_hearing_an_event_takes_the_scope_that_reads_its_resource(
    client: FlaskClient,
    user: Account,
    receiver: Receiver,
    scope: str,
    events: list[str],
    missing: str,
) -> None:
    """A token narrowed to `account` got 403 on `/me/items` and `/me/uploads`, yet could
    subscribe to their events and read them (signed download links included) that way."""
    headers = narrowed_login(client, user, scope)
    body = {"url": receiver.url, "events": events}
    response = client.post("/api/webhooks", json=body, headers=headers)
    error = assert_error(response, 403)["error"]
    assert missing in error and 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]
    own = client.post(
        "/api/webhooks",
        json={"url": receiver.url, "events": ["item.created"]},
        headers=narrowed_login(client, user, "account items:read"),
    )
    assert own.status_code == 201, own.get_json()
    widen = client.patch(f"/api/webhooks/{own.get_json()['id']}", json=body, headers=headers)
    assert_error(widen, 403)


def test_redirecting_a_subscription_takes_the_scopes_to_hear_it(
    client: FlaskClient, user: Account, receiver: Receiver
) -> None:
    """A token narrowed to `account` could not subscribe, but could point an existing
    subscription's URL elsewhere or take its secret, and read the same events that way."""
    hook = subscribe(client, user, receiver.url, ["item.created", "upload.created"])
    narrow = narrowed_login(client, user, "account")
    url = f"/api/webhooks/{hook['id']}"
    for method, path, body in [
        ("PATCH", url, {"url": "http://127.0.0.1:9/elsewhere"}),
        ("PATCH", url, {"description": "mine now"}),
        ("POST", f"{url}/rotate-secret", None),
    ]:
        response = client.open(path, method=method, json=body, headers=narrow)
        error = assert_error(response, 403)["error"]
        assert "items:read" in error and "uploads:read" in error, error
    wide = narrowed_login(client, user, "account items:read uploads:read")
    changed = client.patch(url, json={"description": "fine"}, headers=wide)
    assert changed.status_code == 200, changed.get_json()
    # Someone else's subscription (or none) is a 404 before any scope is looked at.
    assert_error(
        client.patch("/api/webhooks/999999", json={"events": ["item.created"]}, headers=narrow), 404
    )


def test_a_user_asking_for_admin_events_is_told_they_are_for_admins(
    client: FlaskClient, user: Account, receiver: Receiver
) -> None:
    """Not a scope challenge naming `admin:read`, which no user's token can ever hold."""
    body = {"url": receiver.url, "events": ["item.created", "user.deactivated"]}
    response = client.post("/api/webhooks", json=body, headers=user.headers)
    assert "administrators" in assert_error(response, 403)["error"].lower()
    assert "insufficient_scope" not in response.headers.get("WWW-Authenticate", "")


def test_an_admin_token_without_admin_read_hears_only_its_owner(
    app: Flask,
    client: FlaskClient,
    admin: Account,
    user: Account,
    make_item: Callable[..., dict[str, Any]],
) -> None:
    """`admin:write` manages others' subscriptions; reading everyone's items (their events
    included) takes `admin:read`."""
    headers = narrowed_login(client, admin, "account items:read admin:write")
    with running_receiver() as narrowed:
        body = {"url": narrowed.url, "events": ["item.created"]}
        assert client.post("/api/webhooks", json=body, headers=headers).status_code == 201
        make_item(user)
        own = client.post("/api/items", json={"name": "mine"}, headers=admin.headers).get_json()
        deliver(app, until=lambda: len(narrowed.requests) == 1)
        time.sleep(0.1)
        assert [r.json["data"]["id"] for r in narrowed.requests] == [own["id"]]


def test_loopback_by_name_and_ipv6_is_allowed_with_private_targets(
    client: FlaskClient, user: Account
) -> None:
    for url in ("http://localhost:8080/hook", "http://[::1]:8080/hook"):
        body = {"url": url, "events": ["item.created"]}
        response = client.post("/api/webhooks", json=body, headers=user.headers)
        assert response.status_code == 201, (url, response.get_json())


def test_a_url_with_other_characters_is_delivered_percent_encoded(
    app: Flask, client: FlaskClient, user: Account, receiver: Receiver
) -> None:
    hook = subscribe(client, user, f"{receiver.url}/ü/☃?q=ß", ["item.created"])
    client.post("/api/items", json={"name": "x"}, headers=user.headers)
    deliver(app, until=lambda: len(receiver.requests) == 1)
    assert receiver.requests[0].path.endswith("/%C3%BC/%E2%98%83?q=%C3%9F")
    assert deliveries(client, user, hook["id"])[0]["status"] == "delivered"
