"""`/metrics` on live gunicorn with two workers: one sum over all workers (Prometheus
multiprocess mode, its directory made and removed by the server), production's guard, the
separate METRICS_BIND listener, and gunicorn's per-user control socket switched off."""

import os
import re
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.live import (
    call,
    free_port,
    running_server,
    start_server,
    stop_server,
    wait_until_healthy,
)

pytestmark = pytest.mark.slow

TOKEN = "live-metrics-token-0123456789abcdef0123456789"
PRODUCTION = {"APP_ENV": "production", "LOG_LEVEL": "info"}


def health_count(text: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "http_requests_total" and sample.labels == {
                "method": "GET",
                "endpoint": "/api/health",
                "status": "200",
            }:
                return sample.value
    return 0.0


def metrics_dirs(tmp: Path) -> list[Path]:
    return sorted(tmp.glob("api-metrics-*"))


def writer_pids(directory: Path) -> set[int]:
    """Worker pids that wrote metric values (files are named `<kind>_<pid>.db`)."""
    return {
        int(m.group(1)) for p in directory.iterdir() if (m := re.search(r"_(\d+)\.db$", p.name))
    }


def test_counts_add_up_across_workers_and_survive_a_worker_restart(tmp_path: Path) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**PRODUCTION, "METRICS_TOKEN": TOKEN, "TMPDIR": str(tmp)}
    with running_server(tmp_path / "data", workers=2, threads=2, **env) as server:
        (directory,) = metrics_dirs(tmp)  # made by the server itself
        baseline = health_count(call(server, "GET", "/metrics", token=TOKEN).text)
        # A new connection each, four at a time: both workers accept (one after the other,
        # whichever worker is awake first may take them all on a busy machine).
        with ThreadPoolExecutor(4) as pool:
            replies = list(pool.map(lambda _: call(server, "GET", "/api/health"), range(60)))
        assert [reply.status for reply in replies] == [200] * 60
        # the master writes a gauge too (it builds the app to migrate): workers are the others
        workers = writer_pids(directory) - {server.process.pid}
        assert len(workers) >= 2, "both workers must have served"

        reads = [health_count(call(server, "GET", "/metrics", token=TOKEN).text) for _ in range(6)]
        assert reads == [baseline + 60] * 6, reads  # the same sum, whichever worker answers

        # a worker that dies keeps its counts in the sum; gunicorn replaces it
        victim = min(workers)
        os.kill(victim, signal.SIGKILL)
        # Replaced: the master has reaped it and runs two workers again, the new one serving.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and (
            _alive(victim)
            or victim in _children(server.process.pid)
            or len(_children(server.process.pid)) < 2
        ):
            time.sleep(0.1)
        assert victim not in _children(server.process.pid), "gunicorn did not replace the worker"
        wait_until_healthy(server.url, server.process)
        after = health_count(call(server, "GET", "/metrics", token=TOKEN).text)
        assert after >= baseline + 60
    assert metrics_dirs(tmp) == [], "the server removes its metrics directory on exit"
    assert "Traceback" not in server.log()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "Z" not in _state(pid)


def _children(pid: int) -> set[int]:
    return {int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}


def _state(pid: int) -> str:
    # A process reaped between the check and the read: the open fails (ENOENT) or, once open, the
    # read does (ESRCH, ProcessLookupError). Either way it is gone.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][:1]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return "Z"


def test_production_metrics_need_the_token(tmp_path: Path) -> None:
    with running_server(tmp_path, workers=2, **PRODUCTION, METRICS_TOKEN=TOKEN) as server:
        refused = call(server, "GET", "/metrics")
        assert refused.status == 401 and '"error"' in refused.text
        assert refused.headers["WWW-Authenticate"].startswith("Bearer")
        assert call(server, "GET", "/metrics", token="not-the-token").status == 401
        metrics = call(server, "GET", "/metrics", token=TOKEN)
        assert metrics.status == 200
        assert metrics.headers["Content-Type"] == "text/plain; version=1.0.0; charset=utf-8"
        assert {f.name for f in text_string_to_metric_families(metrics.text)} >= {"http_requests"}


def test_production_refuses_to_start_with_open_metrics(tmp_path: Path) -> None:
    try:
        server = start_server(tmp_path, workers=1, **PRODUCTION)
    except RuntimeError as refused:  # start_server's error carries the server's log
        assert "METRICS_TOKEN" in str(refused) and "METRICS_BIND" in str(refused)
    else:
        stop_server(server)
        pytest.fail("production started with metrics open to anyone")


def test_metrics_bind_serves_all_workers_on_a_separate_address(tmp_path: Path) -> None:
    port = free_port()
    bind = f"127.0.0.1:{port}"
    with running_server(tmp_path, workers=2, **PRODUCTION, METRICS_BIND=bind) as server:
        for _ in range(20):
            call(server, "GET", "/api/health")
        assert call(server, "GET", "/metrics").status == 404  # not on the API's port
        metrics = call(f"http://{bind}", "GET", "/metrics")
        assert metrics.status == 200
        assert metrics.headers["Content-Type"].startswith("text/plain")
        assert metrics.headers["Content-Type"].count("charset") == 1
        assert health_count(metrics.text) >= 20


def test_two_instances_of_one_user_start_without_a_control_socket(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    first = start_server(tmp_path / "a", workers=1, HOME=str(home), LOG_LEVEL="info")
    try:
        second = start_server(tmp_path / "b", workers=1, HOME=str(home), LOG_LEVEL="info")
        try:
            for server in (first, second):
                assert call(server, "GET", "/api/health").status == 200
        finally:
            stop_server(second)
    finally:
        stop_server(first)
    assert not (home / ".gunicorn").exists(), "gunicorn created its shared control socket"
    for server in (first, second):
        assert "control" not in server.log().lower(), server.log()[-2000:]


def test_a_given_metrics_directory_is_emptied_at_start_and_kept(tmp_path: Path) -> None:
    directory = tmp_path / "prometheus"
    directory.mkdir()
    stale = directory / "counter_999999.db"
    stale.write_bytes(b"left by a previous run")  # would corrupt the sums if read
    env = {"PROMETHEUS_MULTIPROC_DIR": str(directory)}
    with running_server(tmp_path / "data", workers=2, **env) as server:
        assert not stale.exists()
        for _ in range(10):
            call(server, "GET", "/api/health")
        metrics = call(server, "GET", "/metrics")
        assert metrics.status == 200 and health_count(metrics.text) >= 10
        assert writer_pids(directory)
    assert directory.is_dir(), "an operator's directory is never removed"
