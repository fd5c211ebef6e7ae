"""A real PgBouncer (Debian's package) in transaction pooling mode, in front of the test
PostgreSQL, on a free loopback port: what large deployments put between the app and the server.

`pgbouncer()` starts one for a test and stops it afterwards; it runs as the `postgres` user when
the suite runs as root (PgBouncer refuses to run as root), as the current user otherwise.
"""

import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.live import free_port, terminate
from tests.services import ensure_postgres, unavailable

PG_HOST, PG_PORT = "127.0.0.1", 5432

INI = """\
[databases]
* = host={pg_host} port={pg_port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {dir}/userlist.txt
pool_mode = transaction
max_client_conn = 1000
default_pool_size = {pool_size}
ignore_startup_parameters = extra_float_digits,options
logfile = {dir}/pgbouncer.log
pidfile = {dir}/pgbouncer.pid
"""


def _binary() -> str:
    for candidate in (shutil.which("pgbouncer"), "/usr/sbin/pgbouncer"):
        if candidate and Path(candidate).exists():
            return candidate
    unavailable("pgbouncer is not installed (Debian package `pgbouncer`; `make test` installs it)")
    raise AssertionError("unreachable")


def _run_as() -> list[str]:
    if os.geteuid() != 0:
        return []
    return ["runuser", "-u", "postgres", "--"]


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"pgbouncer exited with {process.returncode}:\n{_tail(log)}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"pgbouncer did not listen on {port}:\n{_tail(log)}")


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"


@contextmanager
def pgbouncer(pool_size: int = 20) -> Iterator[int]:
    """Start PgBouncer (transaction mode) in front of 127.0.0.1:5432; yields its port."""
    binary = _binary()
    ensure_postgres()
    directory = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
    port = free_port()
    (directory / "userlist.txt").write_text('"postgres" ""\n')
    ini = directory / "pgbouncer.ini"
    ini.write_text(
        INI.format(pg_host=PG_HOST, pg_port=PG_PORT, port=port, dir=directory, pool_size=pool_size)
    )
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        for path in (directory, *directory.iterdir()):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    log = directory / "pgbouncer.log"
    process = subprocess.Popen(
        [*_run_as(), binary, str(ini)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    try:
        _wait_for_port(port, process, log)
        yield port
    finally:
        terminate(process, timeout=10)
        shutil.rmtree(directory, ignore_errors=True)


def through(url: str, port: int) -> str:
    """The same database URL, but connecting through the pooler on `port`."""
    return re.sub(r"@[^/]+/", f"@127.0.0.1:{port}/", url, count=1)
