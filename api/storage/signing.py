"""HMAC-signed download links for the local backend: `?expires=<unix time>&signature=<hex>`.

The link names one stored object and an expiry; it works without an `Authorization` header
until then. The key is derived from `SECRET_KEY` for this one purpose, so a link signature can
never be confused with (or help forge) anything else the secret signs.
"""

import hashlib
import hmac
import math
import time

PURPOSE = b"upload-download-link:v1"


class LinkRefused(Exception):
    """The link's signature is wrong or it has expired (a 403)."""


def _key(secret: str) -> bytes:
    return hmac.new(secret.encode(), PURPOSE, hashlib.sha256).digest()


def signature(secret: str, key: str, expires: int) -> str:
    return hmac.new(_key(secret), f"{key}\n{expires}".encode(), hashlib.sha256).hexdigest()


def sign(secret: str, key: str, *, expires_in: int, now: float | None = None) -> tuple[int, str]:
    # Rounded up to the second: a link works for at least `expires_in` seconds (rounded down,
    # a 1-second link signed late in a second was already expired when handed out).
    expires = math.ceil((now or time.time()) + expires_in)
    return expires, signature(secret, key, expires)


def verify(secret: str, key: str, *, expires: str, given: str, now: float | None = None) -> None:
    """Raise `LinkRefused` unless `given` signs (`key`, `expires`), unexpired."""
    if not expires.isascii() or not expires.isdigit() or len(expires) > 12:
        raise LinkRefused("The link is malformed")
    expected = signature(secret, key, int(expires))
    if not hmac.compare_digest(expected, given.encode("ascii", "replace").decode()):
        raise LinkRefused("The link's signature is invalid")
    if int(expires) <= (now or time.time()):
        raise LinkRefused("The link has expired; ask for a fresh one")
