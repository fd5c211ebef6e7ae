"""Webhooks with every part running as in production: gunicorn, the worker process(es), a real
receiver on loopback; PostgreSQL for the multi-worker guarantee."""

import json
import os
import signal
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from bench.webhooks import burst
from tests.live import running_server
from tests.services import throwaway_database
from tests.webhook_receiver import running_receiver
from tests.webhook_worker import start_worker, stop_worker

pytestmark = pytest.mark.slow

ENV = {"WEBHOOKS_ALLOW_PRIVATE": "true", "RATELIMIT_ENABLED": "false"}


def call(url: str, body: dict[str, Any] | None = None, token: str | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data, headers, method="POST" if data else "GET")
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read() or b"null")


def account(api: str) -> str:
    body = {"username": "partner", "email": "p@example.com", "password": "partner-Pw-91-x"}
    return call(api + "/auth/register", body)[1]["token"]


def test_kill_9_of_the_worker_mid_delivery_loses_nothing(tmp_path: Path) -> None:
    env = {**ENV, "WEBHOOKS_TIMEOUT": "5", "WEBHOOKS_LEASE_SECONDS": "8",
           "WEBHOOKS_POLL_INTERVAL": "0.1"}  # fmt: skip
    hold = threading.Event()
    with running_server(tmp_path, **env) as server, running_receiver(hold=hold) as receiver:
        api = server.url + "/api"
        token = account(api)
        _, hook = call(api + "/webhooks", {"url": receiver.url, "events": ["item.created"]}, token)
        _, item = call(api + "/items", {"name": "survives"}, token)

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
        _, log = call(api + f"/webhooks/{hook['id']}/deliveries", token=token)
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
            api = server.url + "/api"
            token = account(api)
            _, hook = call(
                api + "/webhooks", {"url": receiver.url, "events": ["item.created"]}, token
            )
            call(api + "/items", {"name": "first"}, token)
            assert receiver.started.wait(20)  # the worker is now stuck on the receiver
            for n in range(10):
                started = time.monotonic()
                assert call(api + "/items", {"name": f"n{n}"}, token)[0] == 201
                status, _ = call(api + f"/webhooks/{hook['id']}/ping", {}, token)
                assert status == 202
                assert time.monotonic() - started < 2.0
            _, log = call(api + f"/webhooks/{hook['id']}/deliveries?per_page=100", token=token)
            assert log["total"] == 21 and {d["status"] for d in log["items"]} == {"pending"}
        finally:
            hold.set()
            stop_worker(worker)


def test_a_burst_of_1000_creates_is_fully_delivered_once(tmp_path: Path) -> None:
    result = burst(tmp_path, items=1000, workers=2)
    assert result["received"] == result["unique"] == 1000, result


def test_two_workers_on_postgresql_deliver_each_event_once(tmp_path: Path) -> None:
    with throwaway_database("webhooks") as url:
        result = burst(tmp_path, items=300, workers=2, database_url=url)
    assert result["received"] == result["unique"] == 300, result
