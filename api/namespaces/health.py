"""`GET /api/health`: whether the service and each dependency it needs can be reached."""

from typing import Any

import redis
from flask import current_app
from flask_restx import Namespace, Resource, fields

from api.http.errors import UNAVAILABLE_RETRY_AFTER
from api.http.operations import RETRY_AFTER
from models import db

ns = Namespace("health", description="Service health", path="/")

DEPENDENCY_STATES = ["ok", "unreachable"]
# A health check must answer quickly even when a dependency hangs.
REDIS_TIMEOUT_SECONDS = 2

health_model = ns.model(
    "Health",
    {
        "status": fields.String(
            required=True,
            enum=["healthy", "degraded", "unhealthy"],
            example="healthy",
            description="`unhealthy` (503) when the database cannot be reached; `degraded` (200) "
            "when only Redis cannot: the API keeps serving and counts limits per instance",
        ),
        "service": fields.String(required=True, example="backend"),
        "database": fields.String(required=True, enum=DEPENDENCY_STATES, example="ok"),
        "redis": fields.String(
            enum=DEPENDENCY_STATES,
            example="ok",
            description="Present only when the service is configured with Redis (`REDIS_URL`)",
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

        `database` (and `redis`, when configured) is `ok` or `unreachable`. Without the database
        nothing works: 503 with `status: unhealthy` and `Retry-After`, so a load balancer takes
        the instance out. Without Redis everything still works (limits count per instance until
        it is back): 200 with `status: degraded`, so a Redis outage never empties the pool.
        """
        body: dict[str, Any] = {"status": "healthy", "service": "backend"}
        body["database"] = _state(_ping_database)
        if url := current_app.config.get("REDIS_URL"):
            body["redis"] = _state(lambda: _ping_redis(url))
        if body["database"] == "unreachable":
            body["status"] = "unhealthy"
            return body, 503, {"Retry-After": str(UNAVAILABLE_RETRY_AFTER)}
        if body.get("redis") == "unreachable":
            body["status"] = "degraded"
        return body, 200


def _state(ping: Any) -> str:
    try:
        ping()
    except Exception:  # any failure to answer means the dependency is unusable right now
        return "unreachable"
    return "ok"


def _ping_database() -> None:
    with db.engine.connect() as connection:  # no ORM session needed for a ping
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
