"""Uploads on live gunicorn: two instances sharing only PostgreSQL and the object store, the
memory bound of a 160 MB upload and download, and the quota under concurrent uploads.
"""

import http.client
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.live import LiveServer, call, new_account, rss, running_pair, running_server, worker_pids
from tests.objectstore import S3Server

pytestmark = pytest.mark.slow

MB = 1024 * 1024
BIG = 160 * MB  # 10x MAX_UPLOAD_MB's default
RSS_BOUND = 64 * MB  # what one worker may grow by while moving BIG bytes either way
LINE = b"0123456789,abcdefghijklmnopqrstuvwxyz,ABCDEFGHIJKLMNOPQRSTUVWXYZ,0123456789abcdef\n"


def fetch(url: str, base: str, token: str | None = None) -> tuple[int, bytes]:
    """A seed-style fetch of an upload's `url`: relative links are the instance's own."""
    full = url if url.startswith("http") else base + url
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(full, headers=headers)) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def post_file(
    server: LiveServer, token: str, filename: str, chunks: Iterator[bytes] | bytes, size: int
) -> tuple[int, Any]:
    """A multipart upload streamed from `chunks` (never built whole in the test either)."""
    boundary = "----live-upload-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    parts = [chunks] if isinstance(chunks, bytes) else chunks

    def body() -> Iterator[bytes]:
        yield head
        yield from parts
        yield tail

    parsed = urlsplit(server.url)
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=120)
    connection.request(
        "POST",
        "/api/upload",
        body=body(),
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(len(head) + size + len(tail)),
        },
    )
    response = connection.getresponse()
    raw = response.read()
    connection.close()
    return response.status, json.loads(raw) if raw else None


# --------------------------------------------------------------------------- two instances


@pytest.fixture(scope="module")
def shared_store(s3_server: S3Server) -> tuple[S3Server, str]:
    return s3_server, s3_server.new_bucket()


@pytest.fixture(scope="module")
def instances(
    tmp_path_factory: pytest.TempPathFactory,
    module_postgres_url: str,
    shared_store: tuple[S3Server, str],
) -> Iterator[tuple[LiveServer, LiveServer]]:
    server, bucket = shared_store
    env = {"DATABASE_URL": module_postgres_url, **server.env(bucket)}
    with running_pair(tmp_path_factory, "upload", **env) as pair:
        yield pair


def test_upload_on_a_fetch_and_delete_on_b(
    instances: tuple[LiveServer, LiveServer], shared_store: tuple[S3Server, str]
) -> None:
    a, b = instances
    store, bucket = shared_store
    token = new_account(a)["token"]
    content = b"shared through the object store\n" * 1000
    status, created = post_file(a, token, "shared.txt", content, len(content))
    assert status == 201, created
    key = created["download_path"].rsplit("/", 1)[-1]
    assert key in store.keys(bucket)

    # the signed link works from anywhere with no header; B serves the token download too
    assert fetch(created["url"], b.url) == (200, content)
    assert fetch(created["download_path"], b.url, token) == (200, content)
    fresh = call(b, "GET", f"/api/upload/{created['id']}", token=token).expect(200)
    assert fetch(fresh["url"], b.url) == (200, content)
    listed = call(b, "GET", "/api/me/uploads", token=token).expect(200)
    assert [u["id"] for u in listed["items"]] == [created["id"]]

    assert call(b, "DELETE", f"/api/upload/{created['id']}", token=token).status == 204
    assert call(a, "GET", f"/api/upload/{created['id']}", token=token).status == 404
    assert fetch(created["download_path"], a.url, token)[0] == 404
    assert call(a, "GET", "/api/me/uploads", token=token).body["total"] == 0
    assert key not in store.keys(bucket)
    assert fetch(fresh["url"], a.url)[0] in (403, 404)  # the object itself is gone

    for instance in (a, b):  # neither instance ever wrote to its own disk
        folder = instance.data_dir / "uploads"
        assert not folder.exists() or list(folder.iterdir()) == []


# --------------------------------------------------------------------------- memory bound


class PeakRss:
    """Samples every worker's RSS while a request runs; reports the largest growth."""

    def __init__(self, pids: set[int]) -> None:
        self.pids = pids
        self.baseline = {pid: rss(pid) for pid in pids}
        self.peak = dict(self.baseline)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            for pid in self.pids:
                self.peak[pid] = max(self.peak[pid], rss(pid))

    def __enter__(self) -> "PeakRss":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def growth(self) -> int:
        return max(self.peak[pid] - self.baseline[pid] for pid in self.pids)


def big_file() -> Iterator[bytes]:
    chunk = LINE * (MB // len(LINE))
    sent = 0
    while sent < BIG:
        piece = chunk[: BIG - sent]
        sent += len(piece)
        yield piece


@pytest.mark.parametrize("backend", ["local", "s3"])
def test_160_mb_upload_and_download_stay_within_the_memory_bound(
    tmp_path: Path, s3_server: S3Server, backend: str
) -> None:
    env = {"MAX_UPLOAD_MB": "200"}
    if backend == "s3":
        # moto is slower than a real store with 8 MiB parts on a busy machine: no retries
        env |= s3_server.env(s3_server.new_bucket()) | {"S3_READ_TIMEOUT": "60"}
    with running_server(tmp_path / backend, workers=1, threads=2, **env) as server:
        token = new_account(server)["token"]
        # warm the worker (imports, first connections) before the baseline
        assert post_file(server, token, "warm.csv", LINE, len(LINE))[0] == 201
        with PeakRss(worker_pids(server)) as upload_rss:
            started = time.monotonic()
            status, created = post_file(server, token, "big.csv", big_file(), BIG)
            upload_seconds = time.monotonic() - started
        assert status == 201, created
        assert created["size"] == BIG
        with PeakRss(worker_pids(server)) as download_rss:
            with urllib.request.urlopen(
                urllib.request.Request(server.url + created["download_path"],
                                       headers={"Authorization": f"Bearer {token}"})
            ) as response:  # fmt: skip
                received = 0
                while chunk := response.read(MB):
                    received += len(chunk)
        assert received == BIG
    print(  # noqa: T201 (the figure for the report)
        f"\n{backend}: 160 MB upload in {upload_seconds:.1f} s, worker RSS growth "
        f"upload {upload_rss.growth / MB:.1f} MB, download {download_rss.growth / MB:.1f} MB"
    )
    assert upload_rss.growth < RSS_BOUND
    assert download_rss.growth < RSS_BOUND


# --------------------------------------------------------------------------- quota race


def test_concurrent_uploads_never_exceed_the_quota_on_postgresql(
    tmp_path: Path, module_postgres_url: str
) -> None:
    quota, attempts, rounds = 3, 12, 5
    env = {"DATABASE_URL": module_postgres_url, "UPLOAD_QUOTA_FILES": str(quota)}
    with running_server(tmp_path / "quota", workers=2, threads=8, **env) as server:
        for _ in range(rounds):
            token = new_account(server)["token"]
            with ThreadPoolExecutor(attempts) as pool:
                statuses = list(
                    pool.map(
                        lambda n, token=token: post_file(
                            server, token, f"{n}.txt", b"x" * 100, 100
                        )[0],
                        range(attempts),
                    )
                )
            assert sorted(statuses) == [201] * quota + [409] * (attempts - quota), statuses
            assert call(server, "GET", "/api/me/uploads", token=token).body["total"] == quota
        # every refused upload removed what it had stored
        assert len(list((server.data_dir / "uploads").iterdir())) == quota * rounds
