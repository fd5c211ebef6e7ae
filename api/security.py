"""Password hashing and JWT handling. No Flask here: pure functions, easy to test."""

import os
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import bcrypt
import jwt

ALGORITHM = "HS256"
MAX_PASSWORD_BYTES = 72  # bcrypt ignores (5.x: rejects) anything longer


HASHING_NICENESS = 10


def _lower_priority() -> None:
    """Linux schedules threads individually: a niced hashing thread yields the CPU to request
    threads, so a burst of logins (~0.2 s of CPU each at 12 rounds) cannot starve the API."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASHING_NICENESS)
    except (AttributeError, OSError):  # not Linux, or not permitted: run at normal priority
        pass


_pool: ThreadPoolExecutor | None = None


def _hashing() -> ThreadPoolExecutor:
    """This process's hashing pool. Made on first use and dropped on fork: a child process
    must not inherit a pool whose threads ran in the parent (gunicorn's master hashes the
    default admin's password before forking its workers)."""
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(2, thread_name_prefix="bcrypt", initializer=_lower_priority)
    return _pool


def _forget_pool() -> None:
    global _pool
    _pool = None


os.register_at_fork(after_in_child=_forget_pool)


def hash_password(password: str, *, rounds: int) -> str:
    salt = bcrypt.gensalt(rounds)
    return _hashing().submit(bcrypt.hashpw, password.encode(), salt).result().decode()


def verify_password(password: str, password_hash: str) -> bool:
    encoded = password.encode()
    if len(encoded) > MAX_PASSWORD_BYTES:
        return False
    try:
        return _hashing().submit(bcrypt.checkpw, encoded, password_hash.encode()).result()
    except ValueError:
        return False


@cache
def dummy_hash(rounds: int) -> str:
    """A real hash to check against when the user does not exist, so both paths cost the same."""
    return hash_password("not-a-real-password", rounds=rounds)


@dataclass(frozen=True)
class IssuedToken:
    token: str
    jti: str
    expires_in: int
    expires_at: datetime


def create_token(
    *,
    kind: str,
    user_id: int,
    version: int,
    family_id: str,
    secret: str,
    expires_in: int,
    now: datetime | None = None,
    scope: str | None = None,
) -> IssuedToken:
    """Sign a token of `kind` ("access" or "refresh") for one login family; `scope`: the
    OAuth2 scopes granted (space-delimited), absent for a token of every scope of the role."""
    issued_at = now or datetime.now(UTC)
    expires_at = issued_at + timedelta(seconds=expires_in)
    jti = str(uuid.uuid4())
    claims = {
        "sub": str(user_id),
        "iat": issued_at,
        "exp": expires_at,
        "jti": jti,
        "ver": version,
        "fid": family_id,
        "type": kind,
    }
    if scope is not None:
        claims["scope"] = scope
    return IssuedToken(jwt.encode(claims, secret, algorithm=ALGORITHM), jti, expires_in, expires_at)


def create_access_token(
    *,
    user_id: int,
    version: int,
    secret: str,
    expires_in: int,
    family_id: str | None = None,
    now: datetime | None = None,
) -> IssuedToken:
    return create_token(
        kind="access",
        user_id=user_id,
        version=version,
        family_id=family_id or str(uuid.uuid4()),
        secret=secret,
        expires_in=expires_in,
        now=now,
    )


def decode_token(token: str, *, secret: str, kind: str = "access") -> dict[str, Any]:
    """Return the claims of a valid token of `kind` or raise `jwt.InvalidTokenError`."""
    claims = jwt.decode(
        token,
        secret,
        algorithms=[ALGORITHM],
        options={"require": ["exp", "iat", "sub", "jti"]},
    )
    if claims.get("type") != kind or not str(claims["sub"]).isdigit():
        raise jwt.InvalidTokenError(f"not an {kind} token")
    if not isinstance(claims.get("ver"), int) or not isinstance(claims.get("fid"), str):
        raise jwt.InvalidTokenError("token lacks its version or family")
    if not isinstance(claims.get("scope", ""), str):
        raise jwt.InvalidTokenError("scope must be a string")
    return claims


def decode_access_token(token: str, *, secret: str) -> dict[str, Any]:
    return decode_token(token, secret=secret, kind="access")
