"""Gunicorn settings for `make run` and the Docker image (override any with GUNICORN_CMD_ARGS)."""

import json
import os
import shutil
import socket
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from gunicorn import util

if TYPE_CHECKING:
    from gunicorn.arbiter import Arbiter
    from gunicorn.workers.base import Worker

_OWNER = "API_METRICS_DIR_OWNER"


def _prepare_metrics_dir() -> None:
    """Prometheus multiprocess mode: every worker writes its values into one directory, which
    must be set before prometheus_client is imported and start empty. Ours unless given one."""
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if given and os.environ.get(_OWNER) == str(os.getpid()):
        return  # a reload (SIGHUP) of this same master: live workers still write there
    if given:  # the operator's (or inherited): emptied, never removed
        os.environ.pop("API_METRICS_DIR_CREATED", None)
        Path(given).mkdir(parents=True, exist_ok=True)
        for stale in Path(given).glob("*.db"):
            stale.unlink()
    else:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="api-metrics-")
        os.environ["API_METRICS_DIR_CREATED"] = "1"
    os.environ[_OWNER] = str(os.getpid())


_prepare_metrics_dir()

# Only now: importing `api` loads prometheus_client, which picks its (multiprocess) mode at import.
from api.core.config import server_settings  # noqa: E402

_SERVER = server_settings()
bind = f"0.0.0.0:{_SERVER['PORT']}"
# Threads keep a ~0.2 s bcrypt login from blocking the other requests of its worker; gthread
# with deadlines on reading a request, so clients that stall cannot hold the threads
# (api/http/worker.py).
worker_class = "api.http.worker.DeadlineThreadWorker"
workers = _SERVER["WORKERS"]
threads = _SERVER["THREADS"]
keepalive = 5
# Each worker gets its own SO_REUSEPORT socket, so the kernel spreads connections over the
# workers; with one shared socket a single gthread worker can take every keep-alive client.
reuse_port = True
timeout = 30
# Below `docker stop`'s 10 s, so in-flight requests finish before the container is killed.
graceful_timeout = 8
# gunicorn 27's control socket lives at $HOME/.gunicorn/gunicorn.ctl, shared by every instance of
# one user (and unwritable in the image); nothing here uses `gunicornc`.
control_socket_disable = True
# No access log of gunicorn's own: the app writes one JSON line per request on stderr (method,
# path, status, duration, client address, user, request id; api/http/observability.py), and a
# second, plain-text line per request cost 0.13-0.19 ms of CPU per request (bench/RESULTS.md,
# issue 16). `GUNICORN_CMD_ARGS="--access-logfile -"` brings it back.
accesslog = None
errorlog = "-"
loglevel = _SERVER["LOG_LEVEL"]
# Bounded request lines and headers; what exceeds them gets the JSON error below.
limit_request_line = 8190
limit_request_field_size = 8190


def _check_writable(*paths: str) -> None:
    """A data folder the server cannot write (say, a root-owned bind mount) stops it with a clear
    message instead of a PermissionError traceback."""
    for path in map(Path, paths):
        existing = next(p for p in (path, *path.parents) if p.exists())
        if not os.access(existing, os.W_OK | os.X_OK):
            stat = existing.stat()
            sys.exit(
                f"ERROR: {existing} is not writable by uid {os.getuid()} (it is owned by uid "
                f"{stat.st_uid}, gid {stat.st_gid}, mode {stat.st_mode & 0o777:o}). Make it "
                f"writable for that uid, e.g. `chown -R {os.getuid()}:{os.getgid()} <folder>` "
                "on the host folder you mounted there."
            )


def _refuse_a_taken_address(server: "Arbiter") -> None:
    """With `reuse_port` the kernel would let this server bind beside another one already
    listening on the same address and silently split the connections between the two. Probe
    each TCP address first with a plain bind, which an existing listener refuses. (Sockets
    handed over by a re-exec or by systemd are this server's own: nothing to probe.)"""
    if os.environ.get("GUNICORN_FD") or os.environ.get("LISTEN_FDS"):
        return
    for address in server.cfg.address:
        if not isinstance(address, tuple):
            continue  # a unix socket path: gunicorn itself refuses one in use
        host, port = address[0], address[1]
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is fine
            try:
                probe.bind((host, port))
            except OSError as error:
                sys.exit(
                    f"ERROR: cannot listen on {host}:{port}: {error.strerror} (another server?)"
                )


def on_starting(server: "Arbiter") -> None:
    """Migrate and create the default admin once, in the master, before workers fork."""
    from api import create_app

    _refuse_a_taken_address(server)
    from api.cli import prepare_database
    from api.core.config import load_config

    config = load_config()
    _check_writable(config["DATA_DIR"], config["UPLOAD_FOLDER"])
    prepare_database(create_app(), workers=server.cfg.workers, threads=server.cfg.threads)


def when_ready(server: "Arbiter") -> None:
    """With METRICS_BIND, the master serves every worker's metrics on that separate address."""
    from api.core.config import load_config

    config = load_config()
    if config["METRICS_ENABLED"] and config["METRICS_BIND"]:
        from prometheus_client import start_http_server

        from api.http.observability import metrics_registry

        host, _, port = config["METRICS_BIND"].rpartition(":")
        start_http_server(
            int(port),
            addr=host.strip("[]") or "127.0.0.1",
            registry=metrics_registry(config["PROMETHEUS_MULTIPROC_DIR"]),
        )


def child_exit(server: "Arbiter", worker: "Worker") -> None:
    """A dead worker's counters stay in the sum; its live-only gauges are dropped."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server: "Arbiter") -> None:
    if os.environ.get("API_METRICS_DIR_CREATED") and os.environ.get(_OWNER) == str(os.getpid()):
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)


def _write_json_error(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
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


# Gunicorn has no hook for its own error pages; this server process runs only this app.
util.write_error = _write_json_error
