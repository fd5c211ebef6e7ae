"""Request ids, the access log and Prometheus metrics.

Every request gets an id (the client's `X-Request-ID` when it is sane, else a new one), echoed
in the response, in every log line and in error bodies. Each request ends with one JSON log line
(formatted by api/core/logs.py).
"""

import hmac
import os
import re
import time
from functools import cache
from typing import Any

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

from api.core.logs import configure_logging, logger

REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:@-]{1,128}$")

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


def init_app(app: Flask) -> None:
    configure_logging(app.config["LOG_LEVEL"])
    app.before_request(_start_request)
    app.after_request(_finish_request)
    # With METRICS_BIND the master serves metrics on their own address (gunicorn.conf.py) instead.
    if app.config.get("METRICS_ENABLED", True) and not app.config.get("METRICS_BIND"):
        app.add_url_rule("/metrics", "metrics", _metrics)


def _start_request() -> None:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    # 32 random hex digits: what `uuid4().hex` gave, without building a UUID object.
    g.request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else os.urandom(16).hex()
    g.started = time.perf_counter()


def _finish_request(response: Response) -> Response:
    state = g._get_current_object()  # resolve each proxy once
    current = request._get_current_object()  # type: ignore[attr-defined]
    response.headers[REQUEST_ID_HEADER] = state.get("request_id", "")
    elapsed = time.perf_counter() - state.get("started", time.perf_counter())
    status = response.status_code
    rule = current.url_rule
    if rule is None or rule.rule != "/metrics":
        # Label values come from a bounded set: the route's rule, never the raw path, and a
        # method the route serves (any other, e.g. a made-up one sent to any URL, is "OTHER").
        endpoint = rule.rule if rule is not None else "<unmatched>"
        method = current.method if rule is not None or current.method in _METHODS else "OTHER"
        count, latency = _series(method, endpoint, status)
        count.inc()
        latency.observe(elapsed)
    user = state.get("current_user")
    logger.info(
        "request",
        extra={
            "fields": {
                "event": "request",
                "method": current.method,
                "path": current.path,
                "status": status,
                "duration_ms": round(elapsed * 1000, 2),
                "remote_addr": current.remote_addr,
                "user_id": user.id if user is not None else None,
            }
        },
    )
    return response


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


@cache
def _series(method: str, endpoint: str, status: int) -> tuple[Any, Any]:
    """The request counter and latency histogram of one route, method and status, looked up
    once (`labels()` validates and locks on every call). Bounded like the labels themselves."""
    return REQUESTS.labels(method, endpoint, str(status)), LATENCY.labels(method, endpoint)


def metrics_registry(multiprocess_dir: str | None) -> CollectorRegistry:
    """The registry to expose: every worker's values when gunicorn runs in multiprocess mode."""
    from prometheus_client import REGISTRY

    if not multiprocess_dir:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def _metrics() -> Response:
    """Prometheus text (OpenMetrics when the scraper asks for it), behind METRICS_TOKEN if set."""
    token = current_app.config.get("METRICS_TOKEN")
    if token and not _bearer_matches(request.headers.get("Authorization", ""), token):
        from api.http.errors import ApiError  # api.http.errors imports this module

        raise ApiError(
            401,
            "Metrics need the configured bearer token",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    registry = metrics_registry(current_app.config["PROMETHEUS_MULTIPROC_DIR"])
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
