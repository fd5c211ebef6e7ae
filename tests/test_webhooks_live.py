"""Webhooks with every part running as in production: gunicorn, the worker process(es), a real
receiver on loopback; PostgreSQL for the multi-worker guarantee."""

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from bench.webhooks import burst
from tests.live import call, new_account, running_server
from tests.webhook_receiver import running_receiver
from tests.webhook_worker import start_worker, stop_worker

pytestmark = pytest.mark.slow

ENV = {"WEBHOOKS_ALLOW_PRIVATE": "true", "RATELIMIT_ENABLED": "false"}


def test_kill_9_of_the_worker_mid_delivery_loses_nothing(tmp_path: Path) -> None:
    env = {**ENV, "WEBHOOKS_TIMEOUT": "5", "WEBHOOKS_LEASE_SECONDS": "8",
           "WEBHOOKS_POLL_INTERVAL": "0.1"}  # fmt: skip
    hold = threading.Event()
    with running_server(tmp_path, **env) as server, running_receiver(hold=hold) as receiver:
        token = new_account(server)["token"]
        subscription = {"url": receiver.url, "events": ["item.created"]}
        hook = call(server, "POST", "/api/webhooks", subscription, token=token).expect(201)
        item = call(server, "POST", "/api/items", {"name": "survives"}, token=token).expect(201)

        first = start_worker(tmp_path, "first", **env)
        assert receiver.started.wait(20), "the first worker never started delivering"
        os.kill(first.pid, signal.SIGKILL)  # mid-delivery: the receiver has not answered
        first.wait()
        hold.set()

        second = start_worker(tmp_path, "second", **env)
        try:
            receiver.wait_for(lambda r: len(r.requests) >= 2, timeout=30)
        finally:
            stop_worker(second)
        log = call(server, "GET", f"/api/webhooks/{hook['id']}/deliveries", token=token).body
    ids = {r.headers["webhook-id"] for r in receiver.requests}
    assert len(ids) == 1  # the same event, redelivered: receivers de-duplicate on webhook-id
    body = receiver.requests[-1].verify(hook["secret"])
    assert body["data"]["id"] == item["id"]
    [delivery] = log["items"]
    assert delivery["status"] == "delivered" and delivery["attempts"] == 2


def test_a_hanging_receiver_never_holds_an_api_worker(tmp_path: Path) -> None:
    """One gunicorn worker with one thread: if any request waited on the receiver, the next
    request would wait too."""
    env = {**ENV, "WEBHOOKS_TIMEOUT": "30", "WEBHOOKS_LEASE_SECONDS": "40"}
    hold = threading.Event()
    with (
        running_server(tmp_path, workers=1, threads=1, **env) as server,
        running_receiver(hold=hold) as receiver,
    ):
        worker = start_worker(tmp_path, **env)
        try:
            token = new_account(server)["token"]
            subscription = {"url": receiver.url, "events": ["item.created"]}
            hook = call(server, "POST", "/api/webhooks", subscription, token=token).expect(201)
            call(server, "POST", "/api/items", {"name": "first"}, token=token).expect(201)
            assert receiver.started.wait(20)  # the worker is now stuck on the receiver
            for n in range(10):
                started = time.monotonic()
                assert (
                    call(server, "POST", "/api/items", {"name": f"n{n}"}, token=token).status == 201
                )
                ping = call(server, "POST", f"/api/webhooks/{hook['id']}/ping", {}, token=token)
                assert ping.status == 202
                assert time.monotonic() - started < 2.0
            deliveries = f"/api/webhooks/{hook['id']}/deliveries?per_page=100"
            log = call(server, "GET", deliveries, token=token).body
            assert log["total"] == 21 and {d["status"] for d in log["items"]} == {"pending"}
        finally:
            hold.set()
            stop_worker(worker)


def test_a_burst_of_1000_creates_is_fully_delivered_once(tmp_path: Path) -> None:
    result = burst(tmp_path, items=1000, workers=2)
    assert result["received"] == result["unique"] == 1000, result


def test_two_workers_on_postgresql_deliver_each_event_once(
    tmp_path: Path, postgres_url: str
) -> None:
    result = burst(tmp_path, items=300, workers=2, database_url=postgres_url)
    assert result["received"] == result["unique"] == 300, result
