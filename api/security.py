"""Password hashing and JWT handling. No Flask here: pure functions, easy to test."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import bcrypt
import jwt

ALGORITHM = "HS256"
MAX_PASSWORD_BYTES = 72  # bcrypt ignores (5.x: rejects) anything longer


def hash_password(password: str, *, rounds: int) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds)).decode()


def verify_password(password: str, password_hash: str) -> bool:
    encoded = password.encode()
    if len(encoded) > MAX_PASSWORD_BYTES:
        return False
    try:
        return bcrypt.checkpw(encoded, password_hash.encode())
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


def create_access_token(
    *, user_id: int, version: int, secret: str, expires_in: int, now: datetime | None = None
) -> IssuedToken:
    issued_at = now or datetime.now(UTC)
    jti = str(uuid.uuid4())
    claims = {
        "sub": str(user_id),
        "iat": issued_at,
        "exp": issued_at + timedelta(seconds=expires_in),
        "jti": jti,
        "ver": version,
        "type": "access",
    }
    return IssuedToken(jwt.encode(claims, secret, algorithm=ALGORITHM), jti, expires_in)


def decode_access_token(token: str, *, secret: str) -> dict[str, Any]:
    """Return the claims of a valid access token or raise `jwt.InvalidTokenError`."""
    claims = jwt.decode(
        token,
        secret,
        algorithms=[ALGORITHM],
        options={"require": ["exp", "iat", "sub", "jti"]},
    )
    if claims.get("type") != "access" or not str(claims["sub"]).isdigit():
        raise jwt.InvalidTokenError("not an access token")
    if not isinstance(claims.get("ver"), int):
        raise jwt.InvalidTokenError("token has no version")
    return claims
