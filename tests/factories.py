"""Test data: random names and accounts, and sample files."""

import secrets
import struct
import zlib
from typing import Any

# PNG's signature before arbitrary bytes: what the upload type check accepts as a PNG.
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def random_name(prefix: str = "user") -> str:
    return f"{prefix}_{secrets.token_hex(4)}"


def random_email() -> str:
    return f"{random_name('mail')}@example.com"


def random_password() -> str:
    return f"pw-{secrets.token_urlsafe(12)}"


def random_user(**overrides: Any) -> dict[str, Any]:
    """A registration body: a random username, email and password, then `overrides`."""
    return {
        "username": random_name(),
        "email": random_email(),
        "password": random_password(),
        **overrides,
    }


def tiny_png() -> bytes:
    """A valid 1x1 RGBA PNG (one an image decoder reads, unlike `PNG_BYTES`)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00\xff")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )
