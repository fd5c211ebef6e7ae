"""Run the real server (gunicorn, as `make run` does) on a free loopback port for a test, and
talk to it: one request per connection (`call`), accounts, its workers' pids and memory.

A keep-alive client for load tests is in tests/loadclient.py.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any

import pytest

from tests.factories import random_user

ROOT = Path(__file__).resolve().parent.parent
ADMIN_PASSWORD = "live-admin-password"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def server_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": extra.pop("DATABASE_URL", f"sqlite:///{data_dir / 'app.db'}"),
        "UPLOAD_FOLDER": str(data_dir / "uploads"),
        "SECRET_KEY": "live-test-secret-key-0123456789abcdef",
        "BCRYPT_ROUNDS": "4",
        "ADMIN_PASSWORD": ADMIN_PASSWORD,
        "LOG_LEVEL": "warning",
    }
    env.update(extra)
    return env


def wait_until_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/api/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not become healthy in {timeout} s")


def start_server(
    data_dir: Path, *, port: int | None = None, workers: int = 2, threads: int = 4, **env: str
) -> LiveServer:
    data_dir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    log_path = data_dir / f"gunicorn-{port}.log"
    command = [
        sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py",
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--threads", str(threads),
        "app:app",
    ]  # fmt: skip
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=server_env(data_dir, **env), stdout=log, stderr=log,
            start_new_session=True,
        )  # fmt: skip
    server = LiveServer(f"http://127.0.0.1:{port}", data_dir, process, log_path)
    try:
        wait_until_healthy(server.url, process)
    except Exception:
        stop_server(server)
        raise RuntimeError(f"server did not start:\n{server.log()[-3000:]}") from None
    return server


def stop_server(server: LiveServer, sig: int = signal.SIGTERM) -> None:
    """Stop the master and its workers (their process group)."""
    if server.process.poll() is None:
        os.killpg(server.process.pid, sig)
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait()


def terminate(process: subprocess.Popen[bytes], timeout: float = 15) -> None:
    """SIGTERM a helper process (a worker, a pooler), SIGKILL it if it outlives `timeout`."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def running_server(data_dir: Path, **kwargs: object) -> Iterator[LiveServer]:
    server = start_server(data_dir, **kwargs)  # type: ignore[arg-type]
    try:
        yield server
    finally:
        stop_server(server)


@contextmanager
def running_pair(
    tmp_path_factory: pytest.TempPathFactory, name: str, **env: str
) -> Iterator[tuple[LiveServer, LiveServer]]:
    """Two instances with the same environment (a shared database, store or Redis), started one
    after the other: the first migrates an empty database, the second finds it at head."""
    first = start_server(tmp_path_factory.mktemp(f"{name}-a"), **env)
    try:
        second = start_server(tmp_path_factory.mktemp(f"{name}-b"), **env)
    except Exception:
        stop_server(first)
        raise
    try:
        yield first, second
    finally:
        stop_server(second)
        stop_server(first)


# --- requests ----------------------------------------------------------------------------------


@dataclass
class Reply:
    """A live server's answer: `body` is the JSON it sent (None if it sent none), `text` the body
    as text; `seconds` how long it took."""

    status: int
    headers: Message
    raw: bytes
    seconds: float

    def expect(self, status: int) -> Any:
        """The JSON body, once the status is the one expected."""
        assert self.status == status, (self.status, self.raw[:500])
        return self.body

    @property
    def text(self) -> str:
        return self.raw.decode()

    @property
    def body(self) -> Any:
        is_json = self.headers.get("Content-Type", "").startswith("application/json")
        return json.loads(self.raw) if self.raw and is_json else None


def call(
    base: "LiveServer | str",
    method: str,
    path: str,
    body: Any = None,
    *,
    token: str | None = None,
    headers: Mapping[str, str] | None = None,
    data: bytes | None = None,
    timeout: float = 60,
) -> Reply:
    """One request on a new connection (so gunicorn's workers share a test's requests): `body`
    sent as JSON, or `data` as it is; `base` is a server or a URL that `path` extends."""
    url = (base.url if isinstance(base, LiveServer) else base) + path
    sent = dict(headers or {})
    if body is not None:
        data = json.dumps(body, ensure_ascii=False).encode()
        sent["Content-Type"] = "application/json"
    if token:
        sent["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, method=method, headers=sent)
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, got, raw = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, got, raw = error.code, error.headers, error.read()
    return Reply(status, got, raw, time.monotonic() - started)


def new_account(base: "LiveServer | str", **fields: Any) -> dict[str, Any]:
    """Register a random user (`fields` override) on a live server: the fields sent, and its
    `id`, `token` and `refresh` token."""
    account = random_user(**fields)
    reply = call(base, "POST", "/api/auth/register", account)
    assert reply.status == 201, (reply.status, reply.raw[:500])
    body = reply.body
    return {
        **account,
        "id": body["user"]["id"],
        "token": body["token"],
        "refresh": body["refresh_token"],
    }


def login_token(base: "LiveServer | str", username: str, password: str) -> str:
    reply = call(base, "POST", "/api/auth/login", {"username": username, "password": password})
    assert reply.status == 200, (reply.status, reply.raw[:500])
    return reply.body["token"]


# --- processes -------------------------------------------------------------------------------


def worker_pids(server: LiveServer) -> set[int]:
    """The gunicorn master's child processes: its workers."""
    master = server.process.pid
    children: set[int] = set()
    for task in Path(f"/proc/{master}/task").iterdir():
        children.update(int(pid) for pid in (task / "children").read_text().split())
    return children


def rss(pid: int) -> int:
    """A process's resident memory, bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0
