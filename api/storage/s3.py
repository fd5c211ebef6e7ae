"""Uploads in an S3-compatible object store (AWS S3, MinIO, Cloudflare R2, ...) through boto3.

Timeouts are short and retries few, so an unreachable store costs a request seconds, not
gunicorn's whole timeout; every such failure becomes `StorageUnavailable` (a 503).
Credentials come from boto3's usual chain (`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, ...).
"""

from collections.abc import Iterator, Mapping
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from api.storage.base import (
    CHUNK_BYTES,
    ObjectInfo,
    ObjectMissing,
    Reader,
    Storage,
    StorageUnavailable,
)

if TYPE_CHECKING:  # types only (types-boto3, a development dependency)
    from botocore.response import StreamingBody
    from types_boto3_s3 import S3Client

MB = 1024 * 1024
# Parts of 8 MiB sent two at a time, and at most two read ahead (s3transfer's default is ten,
# 80 MiB per upload): an upload holds about 32 MiB at most, whatever its size.
TRANSFER = TransferConfig(
    multipart_threshold=8 * MB, multipart_chunksize=8 * MB, max_concurrency=2, use_threads=True
)
TRANSFER.max_in_memory_upload_chunks = 2  # not a constructor argument of boto3's subclass
_MISSING_CODES = {"404", "NoSuchKey", "NotFound"}


class S3Storage(Storage):
    name = "s3"

    def __init__(self, client: "S3Client", bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "S3Storage":
        client = boto3.session.Session().client(
            "s3",
            endpoint_url=config.get("S3_ENDPOINT_URL") or None,
            region_name=config.get("S3_REGION") or None,
            config=Config(
                connect_timeout=config["S3_CONNECT_TIMEOUT"],
                read_timeout=config["S3_READ_TIMEOUT"],
                retries={"max_attempts": config["S3_MAX_ATTEMPTS"], "mode": "standard"},
                signature_version="s3v4",
                s3={"addressing_style": config.get("S3_ADDRESSING_STYLE") or "auto"},
            ),
        )
        return cls(client, config["S3_BUCKET"])

    def save(self, key: str, source: Reader, *, content_type: str) -> None:
        with _unavailable_on_failure():
            # A failure (or an exception from `source`) aborts the multipart upload: no object.
            self.client.upload_fileobj(
                source,  # type: ignore[arg-type]  # boto3 only calls read(); its stubs want IO
                self.bucket,
                key,
                ExtraArgs={"ContentType": content_type},
                Config=TRANSFER,
            )

    def open(self, key: str) -> Iterator[bytes]:
        with _unavailable_on_failure():
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        return _chunks(body)

    def delete(self, key: str) -> None:
        with _unavailable_on_failure():
            self.client.delete_object(Bucket=self.bucket, Key=key)

    def exists(self, key: str) -> bool:
        try:
            with _unavailable_on_failure():
                self.client.head_object(Bucket=self.bucket, Key=key)
        except ObjectMissing:
            return False
        return True

    def list(self) -> Iterator[ObjectInfo]:
        with _unavailable_on_failure():
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket)
            for page in pages:
                for entry in page.get("Contents", []):
                    yield ObjectInfo(entry["Key"], entry["LastModified"])

    def discard_partial_writes(self, *, before: datetime, dry_run: bool = False) -> int:
        """Abort multipart uploads a crash left open (they hold storage, never objects)."""
        stale = 0
        with _unavailable_on_failure():
            pages = self.client.get_paginator("list_multipart_uploads").paginate(Bucket=self.bucket)
            for page in pages:
                for entry in page.get("Uploads", []):
                    if entry["Initiated"] >= before:
                        continue  # may be an upload in progress
                    stale += 1
                    if not dry_run:
                        self.client.abort_multipart_upload(
                            Bucket=self.bucket, Key=entry["Key"], UploadId=entry["UploadId"]
                        )
        return stale

    def presigned_url(
        self, key: str, *, expires_in: int, filename: str, content_type: str
    ) -> str | None:
        disposition = "inline" if content_type.startswith("image/") else "attachment"
        return self.client.generate_presigned_url(  # local computation, no request
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": key,
                "ResponseContentType": content_type,
                "ResponseContentDisposition": f'{disposition}; filename="{filename}"',
            },
            ExpiresIn=expires_in,
        )

    def check(self) -> None:
        with _unavailable_on_failure():
            self.client.head_bucket(Bucket=self.bucket)

    def size(self, key: str) -> int:
        """The stored object's size (`ObjectMissing` if absent)."""
        with _unavailable_on_failure():
            return int(self.client.head_object(Bucket=self.bucket, Key=key)["ContentLength"])

    def copy(self, source: str, key: str, *, content_type: str) -> None:
        """A server-side copy of `source` to `key` (multipart past 8 MiB, as `save`)."""
        with _unavailable_on_failure():
            self.client.copy(
                {"Bucket": self.bucket, "Key": source},
                self.bucket,
                key,
                ExtraArgs={"ContentType": content_type, "MetadataDirective": "REPLACE"},
                Config=TRANSFER,
            )

    def presigned_post(
        self, key: str, *, content_type: str, max_bytes: int, expires_in: int
    ) -> dict[str, Any]:
        """A browser-style POST to the store itself: its policy fixes the key and content
        type and refuses a body over `max_bytes` (`{"url": ..., "fields": {...}}`)."""
        return self.client.generate_presigned_post(  # local computation, no request
            self.bucket,
            key,
            Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", 0, max_bytes]],
            ExpiresIn=expires_in,
        )


class _unavailable_on_failure:
    """Map boto errors: a missing key is `ObjectMissing`, anything else `StorageUnavailable`."""

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> Literal[False]:
        if isinstance(exc, ClientError):
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in _MISSING_CODES:
                raise ObjectMissing(code) from exc
            raise StorageUnavailable(f"object store error {code}") from exc
        if isinstance(exc, BotoCoreError):
            raise StorageUnavailable(f"object store unreachable: {exc}") from exc
        return False


def _chunks(body: "StreamingBody") -> Iterator[bytes]:
    try:
        with _unavailable_on_failure():
            yield from body.iter_chunks(CHUNK_BYTES)
    finally:
        body.close()
