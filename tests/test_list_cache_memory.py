"""The list page cache cannot be turned into a memory bomb (issue 10, finding 2).

Against the real server (gunicorn, two workers): 100 items with 40 kB descriptions make every
`per_page=100` page about 4 MB. Hundreds of requests that differ only by junk parameters, by
spellings of the same arguments, or by genuinely distinct arguments (each a full 4 MB page)
must leave every worker's resident memory within 50 MB of where it was.
"""

import json
import re
import threading
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.factories import random_name
from tests.live import LiveServer, running_server
from tests.loadclient import report

pytestmark = pytest.mark.slow

ITEMS = 100
DESCRIPTION = "😀" * 10_000  # 10,000 characters (the limit), 40,000 bytes of UTF-8
REQUESTS = 300
MAX_GROWTH_MB = 50


def call(server: LiveServer, method: str, path: str, body: Any = None, token: str = "") -> Any:
    request = urllib.request.Request(f"{server.url}{path}", method=method)
    if body is not None:
        request.data = json.dumps(body, ensure_ascii=False).encode()
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def workers_of(server: LiveServer) -> list[int]:
    pid = server.process.pid
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024  # type: ignore[union-attr]


def hostile_paths() -> list[str]:
    """Junk parameters, equivalent spellings and distinct valid arguments, all over 4 MB pages."""
    paths = []
    for i in range(REQUESTS):
        kind = i % 3
        if kind == 0:
            paths.append(f"/api/items?per_page=100&junk{i}={'x' * 50}")
        elif kind == 1:
            spelling = ("100", "0100", "+100", "%20100", "00100")[i % 5]
            paths.append(f"/api/items?per_page={spelling}&cachebust={i}")
        else:  # distinct validated arguments: each one a different cache key and a full page
            paths.append(f"/api/items?per_page=100&updated_since=2000-01-01T00:00:00.{i:06d}Z")
    return paths


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with running_server(
        tmp_path_factory.mktemp("cache-memory"), workers=2, threads=4, RATELIMIT_ENABLED="false"
    ) as live:
        account = {"username": random_name(), "email": "m@example.com", "password": "pw-12345678x"}
        status, body = call(live, "POST", "/api/auth/register", account)
        assert status == 201, body
        token = json.loads(body)["token"]
        for i in range(ITEMS):
            item = {"name": f"large {i}", "description": DESCRIPTION}
            status, body = call(live, "POST", "/api/items", item, token)
            assert status == 201, body
        yield live


def test_hostile_list_queries_leave_worker_memory_bounded(server: LiveServer) -> None:
    status, body = call(server, "GET", "/api/items?per_page=100")
    assert status == 200 and len(body) > 4_000_000  # pages really are large
    with ThreadPoolExecutor(8) as pool:  # warm up: every worker has served big pages before
        warm = pool.map(lambda _: call(server, "GET", "/api/items?per_page=100")[0], range(16))
        assert set(warm) == {200}
    before = {pid: rss_mb(pid) for pid in workers_of(server)}
    statuses: Counter[int] = Counter()
    lock = threading.Lock()

    def send(path: str) -> None:
        status, _ = call(server, "GET", path)
        with lock:
            statuses[status] += 1

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(send, hostile_paths()))
    after = {pid: rss_mb(pid) for pid in workers_of(server)}
    growth = {pid: round(after[pid] - before[pid], 1) for pid in before}
    report(f"\nRSS before {before} MB, after {after} MB, growth {growth} MB; {dict(statuses)}")
    assert statuses[500] == 0 and server.process.poll() is None
    assert max(growth.values()) < MAX_GROWTH_MB, growth
