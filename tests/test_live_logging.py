"""Structured logs as deployed: gunicorn workers write one JSON line per request."""

import json
import time
import urllib.request

import pytest

from tests.live import running_server

pytestmark = pytest.mark.slow


def test_gunicorn_workers_log_one_json_line_per_request(tmp_path):
    with running_server(tmp_path, LOG_LEVEL="info") as server:
        request = urllib.request.Request(
            f"{server.url}/api/items?per_page=1", headers={"X-Request-ID": "live-log-check"}
        )
        with urllib.request.urlopen(request) as response:
            assert response.headers["X-Request-ID"] == "live-log-check"
        deadline = time.monotonic() + 5
        lines: list[dict] = []
        while time.monotonic() < deadline and not lines:
            lines = [
                json.loads(line)
                for line in server.log().splitlines()
                if line.startswith("{") and "live-log-check" in line
            ]
            time.sleep(0.1)
    assert len(lines) == 1, server.log()[-2000:]
    line = lines[0]
    assert line["event"] == "request"
    assert line["method"] == "GET" and line["path"] == "/api/items"
    assert line["status"] == 200 and line["duration_ms"] >= 0
    assert line["remote_addr"] == "127.0.0.1"
    assert line["level"] == "info" and line["logger"] == "api"
    # That line is the access log: gunicorn writes no second, plain-text one per request.
    assert "GET /api/items?per_page=1 HTTP" not in server.log()
