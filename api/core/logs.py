"""Structured logs: one JSON object per line, with the request id of the request being served.

Services call `log_event` for what happened (login, admin action, ...); the access-log line of
each request is written by api/http/observability.py.
"""

import logging
from datetime import UTC, datetime
from typing import Any

import orjson
from flask import g

logger = logging.getLogger("api")


def current_request_id() -> str | None:
    request_id: str | None = g.get("request_id")
    return request_id


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
