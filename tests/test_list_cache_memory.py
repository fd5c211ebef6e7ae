"""The list page cache cannot be turned into a memory bomb (issue 10, finding 2).

Against the real server (gunicorn, two workers): 100 items with 40 kB descriptions make every
`per_page=100` page about 4 MB. Hundreds of requests that differ only by junk parameters, by
spellings of the same arguments, or by genuinely distinct arguments (each a full 4 MB page)
must leave every worker's resident memory within 50 MB of where it was.
"""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.live import LiveServer, call, new_account, rss, running_server, worker_pids
from tests.loadclient import report

pytestmark = pytest.mark.slow

ITEMS = 100
DESCRIPTION = "😀" * 10_000  # 10,000 characters (the limit), 40,000 bytes of UTF-8
REQUESTS = 300
MAX_GROWTH_MB = 50
MB = 1024 * 1024


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
        token = new_account(live)["token"]
        for i in range(ITEMS):
            item = {"name": f"large {i}", "description": DESCRIPTION}
            call(live, "POST", "/api/items", item, token=token).expect(201)
        yield live


def test_hostile_list_queries_leave_worker_memory_bounded(server: LiveServer) -> None:
    page = call(server, "GET", "/api/items?per_page=100")
    assert page.status == 200 and len(page.raw) > 4_000_000  # pages really are large
    with ThreadPoolExecutor(8) as pool:  # warm up: every worker has served big pages before
        warm = pool.map(lambda _: call(server, "GET", "/api/items?per_page=100").status, range(16))
        assert set(warm) == {200}
    before = {pid: rss(pid) / MB for pid in worker_pids(server)}
    statuses: Counter[int] = Counter()
    lock = threading.Lock()

    def send(path: str) -> None:
        status = call(server, "GET", path).status
        with lock:
            statuses[status] += 1

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(send, hostile_paths()))
    after = {pid: rss(pid) / MB for pid in worker_pids(server)}
    growth = {pid: round(after[pid] - before[pid], 1) for pid in before}
    report(f"\nRSS before {before} MB, after {after} MB, growth {growth} MB; {dict(statuses)}")
    assert statuses[500] == 0 and server.process.poll() is None
    assert max(growth.values()) < MAX_GROWTH_MB, growth
