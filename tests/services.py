"""The local services some tests need (PostgreSQL, Redis): start them when down (as root, with
the machine's documented commands), skip locally when unreachable, fail in CI."""

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

PG_ADMIN_DSN = os.environ.get(
    "TEST_POSTGRES_ADMIN_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=test"
)
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
# How the machine's services are started (see the environment notes); used only when down.
START_POSTGRES = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
START_REDIS = (
    'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no'
    " --dir /var/lib/redis --logfile /var/log/redis/ci.log"
)


def unavailable(message: str) -> None:
    """Locally a missing service skips; in CI the multi-instance guarantees must be shown."""
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _try_start(command: str, executable: str) -> None:
    if os.geteuid() == 0 and shutil.which(executable):
        subprocess.run(command, shell=True, check=False, capture_output=True, timeout=60)


def _postgres_admin() -> Any:
    import psycopg

    return psycopg.connect(PG_ADMIN_DSN, autocommit=True, connect_timeout=3)


def _ensure(probe: Callable[[], object], down: type[Exception], start: str, what: str) -> None:
    """Probe a service; if it is down, start it (as root, with `start`: its executable first)
    and wait up to 20 s for the probe to pass."""
    try:
        probe()
        return
    except down:
        _try_start(start, start.split()[0])
    deadline = time.monotonic() + 20
    while True:
        try:
            probe()
            return
        except down as exc:
            if time.monotonic() > deadline:
                unavailable(f"{what} is not reachable: {exc}")
            time.sleep(0.5)


def ensure_postgres() -> None:
    import psycopg

    def probe() -> None:
        _postgres_admin().close()

    _ensure(probe, psycopg.OperationalError, START_POSTGRES, f"PostgreSQL ({PG_ADMIN_DSN})")


def ensure_redis() -> None:
    import redis

    with redis.Redis(host=REDIS_HOST, port=REDIS_PORT, socket_timeout=3) as client:
        _ensure(client.ping, redis.RedisError, START_REDIS, f"Redis on {REDIS_HOST}:{REDIS_PORT}")


@contextmanager
def throwaway_database(prefix: str) -> Iterator[str]:
    """A fresh PostgreSQL database (SQLAlchemy URL), dropped afterwards."""
    ensure_postgres()
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with _postgres_admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_URL.format(name=name)
    finally:
        with _postgres_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class PrivateRedis:
    """A `redis-server` of the test's own, on a free loopback port, that it can stop and start
    again on the same port (an outage and a recovery), with no persistence."""

    def __init__(self, data_dir: Any) -> None:
        from tests.live import free_port

        self.port = free_port()
        self.data_dir = data_dir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> Any:
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=3)

    def start(self) -> None:
        if not shutil.which("redis-server"):
            unavailable("redis-server is not installed")
        command = [
            "redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--dir", str(self.data_dir),
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                self.client().ping()
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


@contextmanager
def private_redis(data_dir: Any) -> Iterator[PrivateRedis]:
    server = PrivateRedis(data_dir)
    server.start()
    try:
        yield server
    finally:
        server.stop()
