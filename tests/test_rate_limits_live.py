"""Rate limits on the real server: gunicorn with several workers and threads.

* Without Redis every worker counts in one shared store, so the documented numbers hold and
  `Remaining` only goes down (issue 20.4: each worker used to count on its own).
* Concurrent wrong logins are counted atomically: 48 at once against a limit of 20 let exactly
  20 through, round after round, on the embedded store and on Redis.
* Redis going away (a private `redis-server`, stopped under the running server) costs no 500:
  limits fall back to counting on the host, the outage is logged once, a metric says so, and
  counting returns to Redis when it is back.
* A registration flood is shed (503 + `Retry-After`) before it can starve logins.
"""

import json
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from functools import partial
from typing import Any

import pytest

from tests.factories import random_user
from tests.helpers import race
from tests.live import (
    ADMIN_PASSWORD,
    LiveServer,
    Reply,
    call,
    login_token,
    new_account,
    running_server,
)
from tests.services import PrivateRedis, private_redis

pytestmark = pytest.mark.slow

RACERS, RACE_LIMIT, ROUNDS = 48, 20, 5


def policy(reply: Reply, name: str) -> dict[str, int]:
    """The named policy's parameters in the `RateLimit` header."""
    for item in reply.headers["RateLimit"].split(", "):
        label, *params = item.split(";")
        if json.loads(label) == name:
            return {k: int(v) for k, v in (p.split("=") for p in params)}
    raise KeyError(name)


def wrong_login(server: LiveServer, username: str, **kwargs: Any) -> Reply:
    return call(
        server,
        "POST",
        "/api/auth/login",
        {"username": username, "password": "wrong-pw-1"},
        **kwargs,
    )


def race_wrong_logins(server: LiveServer, username: str) -> Counter[int]:
    """RACERS wrong logins released at the same instant."""
    replies = race(*[partial(wrong_login, server, username)] * RACERS)
    return Counter(reply.status for reply in replies)


RACE_ENV = {"LOGIN_RATE_LIMIT": f"{RACE_LIMIT} per hour", "LOGIN_IP_RATE_LIMIT": "100000 per hour"}


# --- the embedded default: one count for every worker -----------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Three workers, default limits, no Redis."""
    with running_server(tmp_path_factory.mktemp("limits"), workers=3, threads=4) as live:
        yield live


def test_failed_login_limit_is_the_documented_one_across_workers(server: LiveServer) -> None:
    account = new_account(server)
    remaining = []
    for _ in range(10):  # LOGIN_RATE_LIMIT: 10 per minute, per account and address
        reply = wrong_login(server, account["username"])
        assert reply.status == 401, reply.body
        remaining.append(int(reply.headers["X-RateLimit-Remaining"]))
    assert remaining == list(range(9, -1, -1))
    limited = wrong_login(server, account["username"])
    assert limited.status == 429, limited.body
    assert 0 < int(limited.headers["Retry-After"]) <= 60


def test_remaining_only_goes_down_across_workers(server: LiveServer) -> None:
    account = new_account(server)
    seen = [call(server, "GET", "/api/auth/me", token=account["token"]) for _ in range(60)]
    assert {reply.status for reply in seen} == {200}
    users = [policy(reply, "user")["r"] for reply in seen]
    assert users == list(range(users[0], users[0] - 60, -1)), users  # one count, every worker
    assert all(policy(reply, "user")["t"] <= 60 for reply in seen)


def test_concurrent_wrong_logins_are_counted_exactly(tmp_path_factory: Any) -> None:
    data_dir = tmp_path_factory.mktemp("race")
    with running_server(data_dir, workers=3, threads=8, **RACE_ENV) as live:
        for _ in range(ROUNDS):
            account = new_account(live)
            outcome = race_wrong_logins(live, account["username"])
            assert outcome == {401: RACE_LIMIT, 429: RACERS - RACE_LIMIT}, outcome


def test_concurrent_wrong_logins_are_counted_exactly_in_redis(tmp_path_factory: Any) -> None:
    data_dir = tmp_path_factory.mktemp("race-redis")
    with private_redis(data_dir) as redis_server:
        env = {**RACE_ENV, "REDIS_URL": redis_server.url}
        with running_server(data_dir, workers=3, threads=8, **env) as live:
            for _ in range(ROUNDS):
                account = new_account(live)
                outcome = race_wrong_logins(live, account["username"])
                assert outcome == {401: RACE_LIMIT, 429: RACERS - RACE_LIMIT}, outcome
            assert redis_server.client().keys("rl:login_account:*")


# --- Redis going away and coming back ---------------------------------------------------------


def every_route(server: LiveServer, admin: str) -> dict[str, int]:
    """One request to every operation; returns "METHOD path" -> status."""
    user = new_account(server)
    token = user["token"]
    statuses: dict[str, int] = {}

    def hit(method: str, path: str, **kwargs: Any) -> Reply:
        reply = call(server, method, path, **kwargs)
        statuses[f"{method} {re.sub(r'/[0-9]+', '/<id>', path)}"] = reply.status
        return reply

    hit("GET", "/api/health")
    hit(
        "POST", "/api/auth/login", body={"username": user["username"], "password": user["password"]}
    )
    hit("GET", "/api/auth/me", token=token)
    item = hit("POST", "/api/items", body={"name": "outage"}, token=token).body
    hit("GET", "/api/items")
    hit("GET", f"/api/items/{item['id']}")
    hit("PUT", f"/api/items/{item['id']}", body={"name": "put"}, token=token)
    hit("PATCH", f"/api/items/{item['id']}", body={"name": "patched"}, token=token)
    hit("GET", "/api/me/items", token=token)
    boundary = "limits-boundary"
    multipart = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n'
        f"Content-Type: text/plain\r\n\r\nhello\r\n--{boundary}--\r\n"
    ).encode()
    content_type = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    uploaded = hit("POST", "/api/upload", data=multipart, headers=content_type, token=token).body
    hit("GET", uploaded["url"], token=token)
    hit("GET", "/api/admin/items", token=admin)
    hit("POST", f"/api/admin/items/{item['id']}/toggle", token=admin)
    hit("GET", "/api/admin/stats", token=admin)
    hit("GET", "/api/admin/users", token=admin)
    hit("GET", "/api/admin/audit", token=admin)
    other = new_account(server)
    me = call(server, "GET", "/api/auth/me", token=other["token"]).body
    hit("PATCH", f"/api/admin/users/{me['id']}", body={"is_active": True}, token=admin)
    hit("POST", f"/api/admin/users/{me['id']}/toggle", token=admin)
    hit("DELETE", f"/api/items/{item['id']}", token=token)
    hit("POST", "/api/admin/items/bulk-delete", body={"ids": [item["id"]]}, token=admin)
    refreshed = hit("POST", "/api/auth/refresh", body={"refresh_token": user["refresh"]}).body
    change = {"current_password": user["password"], "new_password": "outage-new-password-1"}
    hit("POST", "/api/auth/change-password", body=change, token=refreshed["token"])
    hit("POST", "/api/auth/logout", token=other["token"])
    hit("GET", "/api/openapi.json")
    return statuses


def wrong_login_count(redis_server: PrivateRedis) -> int:
    keys = redis_server.client().keys("rl:login_account:*")
    return sum(int(redis_server.client().get(key) or 0) for key in keys)


def test_a_dropped_redis_connection_is_replaced_not_counted_in_the_fallback(
    tmp_path_factory: Any,
) -> None:
    """Redis closes the connection a worker's thread used (a restart, an idle timeout, a
    `CLIENT KILL`): that thread's next count goes to Redis on a new connection, not to the
    host's file (where the other instances would not see it)."""
    data_dir = tmp_path_factory.mktemp("dropped")
    with private_redis(data_dir) as redis_server:
        env = {"REDIS_URL": redis_server.url, "LOGIN_RATE_LIMIT": "5 per hour"}
        with running_server(data_dir, workers=1, threads=1, **env) as live:
            assert wrong_login(live, "dropped").status == 401
            assert wrong_login_count(redis_server) == 1
            assert redis_server.client().client_kill_filter(_type="normal", skipme=True) >= 1
            assert wrong_login(live, "dropped").status == 401
            assert wrong_login_count(redis_server) == 2


def metric(server: LiveServer, name: str) -> set[float]:
    """The values of a metric over a few scrapes (each may land on another worker)."""
    values = set()
    for _ in range(12):
        text = call(server, "GET", "/metrics").text
        values |= {float(v) for v in re.findall(rf"^{name} (\S+)$", text, re.MULTILINE)}
    return values


def test_redis_outage_falls_back_and_recovers(tmp_path_factory: Any) -> None:
    data_dir = tmp_path_factory.mktemp("outage")
    with private_redis(data_dir) as redis_server:
        env = {"REDIS_URL": redis_server.url, "LOGIN_RATE_LIMIT": "5 per hour"}
        with running_server(data_dir, workers=2, threads=4, **env) as live:
            admin = login_token(live, "admin", ADMIN_PASSWORD)
            assert wrong_login(live, "before-outage").status == 401
            assert wrong_login_count(redis_server) == 1  # counted in Redis

            redis_server.stop()
            for _ in range(3):  # several passes, so every worker meets the outage
                statuses = every_route(live, admin)
                assert all(status < 500 for status in statuses.values()), statuses
            assert statuses["POST /api/auth/login"] == 200
            # Limits still hold, counted on the host by every worker together.
            victim = new_account(live)
            assert [wrong_login(live, victim["username"]).status for _ in range(5)] == [401] * 5
            assert wrong_login(live, victim["username"]).status == 429
            assert 0.0 in metric(live, "ratelimit_redis_up")
            once = '"event":"ratelimit_redis_unavailable"'
            assert live.log().count(once) == 1  # once per outage, not per request or worker

            redis_server.start()  # same port, empty
            time.sleep(1.5)  # each worker retries Redis at most once a second
            for _ in range(4):
                assert wrong_login(live, "after-outage").status == 401
            assert wrong_login_count(redis_server) == 4  # counting in Redis again
            assert 1.0 in metric(live, "ratelimit_redis_up")
            assert live.log().count('"event":"ratelimit_redis_recovered"') == 1
            assert "Traceback" not in live.log()


# --- bounded bcrypt work ----------------------------------------------------------------------


def test_a_registration_flood_is_shed_while_logins_still_work(tmp_path_factory: Any) -> None:
    env = {"BCRYPT_ROUNDS": "11", "BCRYPT_MAX_WAIT": "0.2", "RATELIMIT_ENABLED": "false"}
    with running_server(tmp_path_factory.mktemp("flood"), workers=1, threads=16, **env) as live:
        account = new_account(live)  # also measures one hash: the queue's estimate
        start = threading.Barrier(13)
        replies: list[Reply] = []

        def flood() -> None:
            body = random_user(password="flood-pw-1")
            start.wait()
            replies.append(call(live, "POST", "/api/auth/register", body))

        threads = [threading.Thread(target=flood) for _ in range(12)]
        for thread in threads:
            thread.start()
        start.wait()
        time.sleep(0.05)
        credentials = {"username": account["username"], "password": account["password"]}
        logged_in = call(live, "POST", "/api/auth/login", credentials)
        for thread in threads:
            thread.join(timeout=120)
        assert logged_in.status == 200, logged_in.body
        outcome = Counter(reply.status for reply in replies)
        assert set(outcome) <= {201, 503} and outcome[201] >= 1 and outcome[503] >= 1, outcome
        for reply in replies:
            if reply.status == 503:
                assert int(reply.headers["Retry-After"]) >= 1
                assert "busy" in reply.body["error"]


def test_a_stream_of_logins_delays_a_registration_by_the_bound_not_until_it_ends(
    tmp_path_factory: Any,
) -> None:
    """Logins go first, so while they keep coming a new hash never starts: it is refused
    (503 + Retry-After) once it has waited its bound, instead of waiting for the stream to end
    (a registration waited 14 s under a 15 s stream of logins, and minutes under a longer one)."""
    env = {"BCRYPT_ROUNDS": "11", "BCRYPT_MAX_WAIT": "0.2", "RATELIMIT_ENABLED": "false"}
    with running_server(tmp_path_factory.mktemp("stream"), workers=1, threads=16, **env) as live:
        account = new_account(live)
        credentials = {"username": account["username"], "password": account["password"]}
        streaming, stop_at = True, time.monotonic() + 8

        def log_in_again_and_again() -> None:
            while streaming and time.monotonic() < stop_at:
                call(live, "POST", "/api/auth/login", credentials)

        threads = [threading.Thread(target=log_in_again_and_again) for _ in range(8)]
        for thread in threads:
            thread.start()
        try:
            time.sleep(1)
            reply = call(live, "POST", "/api/auth/register", random_user(password="stream-pw-1"))
            stream_still_running = all(thread.is_alive() for thread in threads)
        finally:
            streaming = False
            for thread in threads:
                thread.join(timeout=60)
        assert reply.status in (201, 503) and reply.seconds < 3, (reply.status, reply.seconds)
        assert stream_still_running
        if reply.status == 503:
            assert int(reply.headers["Retry-After"]) >= 1 and "busy" in reply.body["error"]
