"""Two app instances (real gunicorn, two ports) sharing one PostgreSQL database and one Redis.

What a load balancer in front of N instances needs: users, revocations and data live in the
database, and the failed-login limit counts in Redis, so it does not matter which instance
answers a request. Every test runs twice: connected straight to PostgreSQL, and through a real
PgBouncer in transaction pooling mode (`DATABASE_POOLER=pgbouncer`), as large deployments run.
"""

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.live import LiveServer, Reply, call, new_account, running_pair
from tests.pooler import pgbouncer, through
from tests.services import REDIS_HOST, REDIS_PORT, ensure_redis, throwaway_database

pytestmark = pytest.mark.slow

LOGIN_LIMIT = 3
CREATES, THREADS = 200, 16


@pytest.fixture(scope="module", params=["direct", "pgbouncer"])
def database_env(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """A throwaway database for this module (dropped afterwards), reached directly or through
    PgBouncer in transaction mode."""
    with throwaway_database("multi_test") as url:
        if request.param == "direct":
            yield {"DATABASE_URL": url}
            return
        with pgbouncer() as port:
            yield {"DATABASE_URL": through(url, port), "DATABASE_POOLER": "pgbouncer"}


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """An empty Redis database number of its own, flushed before and after."""
    import redis

    ensure_redis()
    for number in range(15, 0, -1):
        client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=number, socket_timeout=3)
        if client.dbsize() == 0:
            break
        client.close()
    else:
        pytest.fail("no empty Redis database number (1-15) for the test")
    client.flushdb()
    try:
        yield f"redis://{REDIS_HOST}:{REDIS_PORT}/{number}"
    finally:
        client.flushdb()
        client.close()


@pytest.fixture(scope="module")
def instances(
    tmp_path_factory: pytest.TempPathFactory, database_env: dict[str, str], redis_url: str
) -> Iterator[tuple[LiveServer, LiveServer]]:
    import redis

    # One Redis database serves both parametrizations, whose user ids repeat: start empty.
    redis.Redis.from_url(redis_url).flushdb()
    env = {
        **database_env,
        "REDIS_URL": redis_url,
        "LOGIN_RATE_LIMIT": f"{LOGIN_LIMIT} per minute",
        "LOGIN_IP_RATE_LIMIT": "10000 per minute",
    }
    with running_pair(tmp_path_factory, "instance", **env) as pair:
        yield pair


def test_user_registered_on_a_logs_in_on_b(instances: tuple[LiveServer, LiveServer]) -> None:
    a, b = instances
    account = new_account(a)
    reply = call(b, "POST", "/api/auth/login", {k: account[k] for k in ("username", "password")})
    assert reply.status == 200, reply.body
    assert reply.body["user"]["id"] == account["id"]
    # A token issued by A is accepted by B and the other way round (one signing key).
    assert call(b, "GET", "/api/auth/me", token=account["token"]).status == 200
    assert call(a, "GET", "/api/auth/me", token=reply.body["token"]).status == 200


def test_token_revoked_on_a_is_refused_on_b(instances: tuple[LiveServer, LiveServer]) -> None:
    a, b = instances
    token = new_account(a)["token"]
    assert call(b, "GET", "/api/auth/me", token=token).status == 200
    assert call(a, "POST", "/api/auth/logout", token=token).status == 200
    reply = call(b, "GET", "/api/auth/me", token=token)
    assert reply.status == 401, reply.body
    assert "error" in reply.body
    assert call(a, "GET", "/api/auth/me", token=token).status == 401


def test_login_rate_limit_counts_across_instances(
    instances: tuple[LiveServer, LiveServer],
) -> None:
    a, b = instances
    account = new_account(a)
    wrong = {"username": account["username"], "password": "not-the-password"}
    statuses = [call(server, "POST", "/api/auth/login", wrong).status for server in (a, a, b)]
    assert statuses == [401] * LOGIN_LIMIT
    limited = call(b, "POST", "/api/auth/login", wrong)
    assert limited.status == 429, limited.body
    assert "error" in limited.body
    assert int(limited.headers["Retry-After"]) > 0
    # The username stays limited on A too: the count lives in Redis, not in one process.
    assert call(a, "POST", "/api/auth/login", wrong).status == 429


def test_concurrent_creates_on_both_instances_are_all_stored(
    instances: tuple[LiveServer, LiveServer],
) -> None:
    a, b = instances
    owners = [new_account(a), new_account(b)]
    run = uuid.uuid4().hex[:8]

    def create(n: int) -> Reply:
        server = (a, b)[n % 2]
        owner = owners[(n // 2) % 2]
        body = {"name": f"bulk-{run}-{n:03d}", "description": f"request {n}"}
        return call(server, "POST", "/api/items", body, token=owner["token"])

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        replies = list(pool.map(create, range(CREATES)))

    assert [r.status for r in replies if r.status != 201] == []
    ids = {r.body["id"] for r in replies}
    assert len(ids) == CREATES
    assert {r.body["name"] for r in replies} == {f"bulk-{run}-{n:03d}" for n in range(CREATES)}
    for server in (a, b):
        totals = [
            call(server, "GET", "/api/me/items?per_page=1", token=o["token"]).body["total"]
            for o in owners
        ]
        assert totals == [CREATES // 2, CREATES // 2]
        search = call(server, "GET", f"/api/items?q=BULK-{run.upper()}&per_page=1")
        assert search.status == 200
        assert search.body["total"] == CREATES
