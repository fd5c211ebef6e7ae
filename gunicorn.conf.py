"""Gunicorn settings for `make run` and the Docker image (override any with GUNICORN_CMD_ARGS)."""

import json
import os
from typing import Any

from gunicorn import util

bind = f"0.0.0.0:{os.environ.get('FLASK_RUN_PORT', '5000')}"
# Threads keep a ~0.2 s bcrypt login from blocking the other requests of its worker.
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
keepalive = 5
# Each worker gets its own SO_REUSEPORT socket, so the kernel spreads connections over the
# workers; with one shared socket a single gthread worker can take every keep-alive client.
reuse_port = True
timeout = 30
graceful_timeout = 20
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Bounded request lines and headers; what exceeds them gets the JSON error below.
limit_request_line = 8190
limit_request_field_size = 8190


def on_starting(server: Any) -> None:
    """Migrate and create the default admin once, in the master, before workers fork."""
    from api import create_app
    from api.cli import prepare_database

    prepare_database(create_app(), workers=server.cfg.workers, threads=server.cfg.threads)


def _write_json_error(sock: object, status_int: int, reason: str, mesg: str) -> None:
    """Gunicorn's own errors (e.g. an over-long URL) in the API's JSON shape, not HTML."""
    body = json.dumps({"error": f"{reason}: {mesg}" if mesg else reason}).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode("latin1")
    util.write_nonblock(sock, head + body)


util.write_error = _write_json_error
