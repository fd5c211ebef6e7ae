"""`GET /api/health`: whether the service and each dependency it needs can be reached."""

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import redis
from flask import current_app
from flask_restx import Namespace, Resource, fields
from sqlalchemy import Engine

from api.http.errors import UNAVAILABLE_RETRY_AFTER
from api.http.operations import RETRY_AFTER
from api.services import mail
from api.services.password_reset import settings_from
from api.storage import storage
from models import db

ns = Namespace("health", description="Service health", path="/")

DEPENDENCY_STATES = ["ok", "unreachable"]
# A health check must answer quickly even when a dependency hangs.
REDIS_TIMEOUT_SECONDS = 2
STORAGE_WAIT_SECONDS = 2
DATABASE_WAIT_SECONDS = 3
MAIL_WAIT_SECONDS = 2
# SMTP is checked at most this often: each check is a connection (and a TLS handshake) to a
# server that may be a paid relay; probes in between get the last answer.
MAIL_CHECK_INTERVAL = 30

health_model = ns.model(
    "Health",
    {
        "status": fields.String(
            required=True,
            enum=["healthy", "degraded", "unhealthy"],
            example="healthy",
            description="`unhealthy` (503) when the database cannot be reached; `degraded` (200) "
            "when only Redis, the object store or the SMTP server cannot: the API keeps serving "
            "(limits count per instance; file operations answer 503; mail waits)",
        ),
        "service": fields.String(required=True, example="backend"),
        "database": fields.String(required=True, enum=DEPENDENCY_STATES, example="ok"),
        "redis": fields.String(
            enum=DEPENDENCY_STATES,
            example="ok",
            description="Present only when the service is configured with Redis (`REDIS_URL`)",
        ),
        "storage": fields.String(
            enum=DEPENDENCY_STATES,
            example="ok",
            description="Present only with the object-store backend (`STORAGE_BACKEND=s3`)",
        ),
        "mail": fields.String(
            enum=DEPENDENCY_STATES,
            example="ok",
            description="Present only when mail goes over SMTP (`SMTP_URL`); checked at most every "
            f"{MAIL_CHECK_INTERVAL} s. While it is unreachable, reset mail waits in the outbox",
        ),
    },
)


@ns.route("/health")
class Health(Resource):
    @ns.doc(id="getHealth", security=[])
    @ns.response(200, "Healthy", health_model)
    @ns.response(
        503, "A dependency cannot be reached (see its field)", health_model, headers=RETRY_AFTER
    )
    def get(self) -> tuple[dict[str, Any], int] | tuple[dict[str, Any], int, dict[str, str]]:
        """Report whether the service and its dependencies are up.

        `database` (and `redis`, `storage`, `mail`, when configured) is `ok` or `unreachable`.
        Without the database nothing works: 503 with `status: unhealthy` and `Retry-After`, so a
        load balancer takes the instance out. Without Redis everything still works (limits count
        per instance until it is back), without the object store everything but files, and
        without SMTP everything (reset mail waits in the outbox): 200 with `status: degraded`, so
        such an outage never empties the pool.
        """
        body: dict[str, Any] = {"status": "healthy", "service": "backend"}
        body["database"] = _database_state()
        if url := current_app.config.get("REDIS_URL"):
            body["redis"] = REDIS_CHECK.state(url, lambda: _ping_redis(url))
        if current_app.config["STORAGE_BACKEND"] == "s3":
            backend = storage()
            body["storage"] = STORE_CHECK.state(backend, backend.check)
        if smtp_url := current_app.config.get("SMTP_URL"):
            config = current_app.config  # settings read only when a check is due
            body["mail"] = MAIL_CHECK.state(
                smtp_url, lambda: mail.check(settings_from(config).smtp)
            )
        if body["database"] == "unreachable":
            body["status"] = "unhealthy"
            return body, 503, {"Retry-After": str(UNAVAILABLE_RETRY_AFTER)}
        if "unreachable" in (body.get("redis"), body.get("storage"), body.get("mail")):
            body["status"] = "degraded"
        return body, 200


def _state(ping: Any) -> str:
    try:
        ping()
    except Exception:  # any failure to answer means the dependency is unusable right now
        return "unreachable"
    return "ok"


def _database_state() -> str:
    """A SQLite file answers or fails at once: pinged here. A database across a network may
    hang (a frozen host answers nothing until the statement watchdog cuts the call, 25 s by
    default): pinged in the background, and waited for at most DATABASE_WAIT_SECONDS."""
    engine = db.engine
    if engine.dialect.name == "sqlite":
        return _state(lambda: _ping_database(engine))
    return DATABASE_CHECK.state(engine, lambda: _ping_database(engine))


def _ping_database(engine: Engine) -> None:
    with engine.connect() as connection:  # no ORM session needed for a ping
        connection.exec_driver_sql("SELECT 1")


def _ping_redis(url: str) -> None:
    client = redis.Redis.from_url(
        url,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
    )
    try:
        client.ping()
    finally:
        client.close()


class _BoundedCheck:
    """A dependency's state within `wait` seconds, whatever the dependency does: one check at a
    time per process runs in the background (its own timeouts bound it), and a health request
    waits for it until `wait` seconds after it began. Probes arriving while a check runs share
    it, and once it has run that long answer at once: a hung dependency never piles up
    threads, queued checks or waiting probes."""

    def __init__(self, name: str, wait: float, fresh_for: float = 0) -> None:
        self._wait = wait
        self._fresh_for = fresh_for  # a finished check's answer stands this long
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        # What is checked, its check, and when the check began (monotonic seconds).
        self._running: tuple[Any, Future[None], float] | None = None

    def state(self, target: Any, check: Callable[[], None]) -> str:
        with self._lock:
            current = self._running
            if current is None or self._stale(current, target):
                current = self._running = (target, self._pool.submit(check), time.monotonic())
            _, running, began = current
        try:
            running.result(timeout=max(0.0, began + self._wait - time.monotonic()))
        except Exception:  # unreachable, or still trying: not usable right now
            return "unreachable"
        return "ok"

    def _stale(self, current: tuple[Any, Future[None], float], target: Any) -> bool:
        checked, running, began = current
        if checked is not target:
            return True
        return running.done() and time.monotonic() >= began + self._fresh_for


STORE_CHECK = _BoundedCheck("health-storage", STORAGE_WAIT_SECONDS)
DATABASE_CHECK = _BoundedCheck("health-database", DATABASE_WAIT_SECONDS)
REDIS_CHECK = _BoundedCheck("health-redis", REDIS_TIMEOUT_SECONDS)
MAIL_CHECK = _BoundedCheck("health-mail", MAIL_WAIT_SECONDS, fresh_for=MAIL_CHECK_INTERVAL)
