"""Run the real server (gunicorn, as `make run` does) on a free loopback port for a test."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

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
    if server.process.poll() is None:
        os.killpg(server.process.pid, sig)
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait()


@contextmanager
def running_server(data_dir: Path, **kwargs: object) -> Iterator[LiveServer]:
    server = start_server(data_dir, **kwargs)  # type: ignore[arg-type]
    try:
        yield server
    finally:
        stop_server(server)
