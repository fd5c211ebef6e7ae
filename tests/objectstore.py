"""A real S3-compatible server for the tests: moto's standalone server on a free loopback port,
started and stopped by the suite. The app talks to it over HTTP with boto3, as to AWS or MinIO.
"""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from tests.live import free_port

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "test-access-key",
    "AWS_SECRET_ACCESS_KEY": "test-secret-key",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@dataclass
class S3Server:
    url: str
    server: Any

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    def new_bucket(self) -> str:
        name = f"uploads-{uuid.uuid4().hex[:16]}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str) -> set[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return {entry["Key"] for page in pages for entry in page.get("Contents", [])}

    def config(self, bucket: str, **overrides: Any) -> dict[str, Any]:
        """App settings for this server and bucket (short timeouts: outages must be quick)."""
        return {
            "STORAGE_BACKEND": "s3",
            "S3_ENDPOINT_URL": self.url,
            "S3_BUCKET": bucket,
            "S3_REGION": "us-east-1",
            "S3_CONNECT_TIMEOUT": 1.0,
            "S3_READ_TIMEOUT": 3.0,
            "S3_MAX_ATTEMPTS": 2,
            **overrides,
        }

    def env(self, bucket: str) -> dict[str, str]:
        """The same settings as environment variables, for a gunicorn subprocess."""
        return {key: str(value) for key, value in self.config(bucket).items()} | CREDENTIALS


@contextmanager
def s3_server(port: int | None = None) -> Iterator[S3Server]:
    """moto's server in a thread of this process; boto3 credentials set in the environment."""
    from moto.server import ThreadedMotoServer

    saved = {key: os.environ.get(key) for key in CREDENTIALS}
    os.environ.update(CREDENTIALS)
    port = port or free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield S3Server(f"http://127.0.0.1:{port}", server)
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
