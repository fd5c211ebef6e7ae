"""Request ids, structured (JSON) logs and Prometheus metrics.

Every request gets an id (the client's `X-Request-ID` when it is sane, else a new one), echoed
in the response, in every log line and in error bodies. Each request ends with one JSON log line.
"""

import hmac
import logging
import os
import re
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
from flask import Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.exposition import choose_encoder

REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:@-]{1,128}$")

logger = logging.getLogger("api")

REQUESTS = Counter("http_requests_total", "HTTP requests", ["method", "endpoint", "status"])
LATENCY = Histogram(
    "http_request_duration_seconds",
    "HTTP request latency",
    ["method", "endpoint"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)

# Rate-limit storage (api/ratelimit): 0 while Redis is unreachable and limits count per host.
RATELIMIT_REDIS_UP = Gauge(
    "ratelimit_redis_up", "1 while rate limits count in Redis", multiprocess_mode="livemin"
)
RATELIMIT_REDIS_OUTAGES = Counter(
    "ratelimit_redis_outages_total", "Redis outages the rate limiter fell back through"
)


def current_request_id() -> str | None:
    return g.get("request_id")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and event fields."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            payload["request_id"] = request_id
        payload.update(getattr(record, "fields", {}))
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(payload, default=str).decode()


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            record.request_id = g.get("request_id")
        except RuntimeError:  # outside a request
            record.request_id = None
        return True


def log_event(event: str, level: int = logging.INFO, **fields: Any) -> None:
    """An application event (login, admin action, ...) as one structured log line."""
    logger.log(level, event, extra={"fields": {"event": event, **fields}})


def configure_logging(level: str) -> None:
    """Add one JSON handler to the root logger (once), leaving the host's handlers alone."""
    root = logging.getLogger()
    if not any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        handler.addFilter(RequestIdFilter())
        root.addHandler(handler)
    root.setLevel(level)


def init_app(app: Flask) -> None:
    configure_logging(app.config["LOG_LEVEL"])
    app.before_request(_start_request)
    app.after_request(_finish_request)
    # With METRICS_BIND the master serves metrics on their own address (gunicorn.conf.py) instead.
    if app.config.get("METRICS_ENABLED", True) and not app.config.get("METRICS_BIND"):
        app.add_url_rule("/metrics", "metrics", _metrics)


def _start_request() -> None:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
    g.started = time.perf_counter()


def _finish_request(response: Response) -> Response:
    response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
    elapsed = time.perf_counter() - g.get("started", time.perf_counter())
    endpoint = request.url_rule.rule if request.url_rule else "<unmatched>"
    if endpoint != "/metrics":
        REQUESTS.labels(request.method, endpoint, str(response.status_code)).inc()
        LATENCY.labels(request.method, endpoint).observe(elapsed)
    user = g.get("current_user")
    logger.info(
        "request",
        extra={
            "fields": {
                "event": "request",
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round(elapsed * 1000, 2),
                "remote_addr": request.remote_addr,
                "user_id": user.id if user is not None else None,
            }
        },
    )
    return response


def metrics_registry() -> CollectorRegistry:
    """The registry to expose: every worker's values when gunicorn runs in multiprocess mode."""
    from prometheus_client import REGISTRY

    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def _metrics() -> Response:
    """Prometheus text (OpenMetrics when the scraper asks for it), behind METRICS_TOKEN if set."""
    token = current_app.config.get("METRICS_TOKEN")
    if token and not _bearer_matches(request.headers.get("Authorization", ""), token):
        from api.errors import ApiError  # api.errors imports this module

        raise ApiError(
            401,
            "Metrics need the configured bearer token",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    registry = metrics_registry()
    accept = request.headers.get("Accept", "")
    if "application/openmetrics-text" in accept:
        encoder, content_type = choose_encoder(accept)
        data = encoder(registry)
    else:
        data, content_type = generate_latest(registry), CONTENT_TYPE_LATEST
    # `content_type`, not `mimetype`: Flask would append a second `charset` to the latter.
    return Response(data, content_type=content_type)


def _bearer_matches(header: str, token: str) -> bool:
    scheme, _, value = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        value.strip().encode(), token.encode()
    )
