"""Password hashing and JWT handling. No Flask here: pure functions, easy to test."""

import hashlib
import hmac
import math
import os
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from typing import Any, TypeVar

import bcrypt
import jwt
from jwt.algorithms import HMACAlgorithm
from werkzeug.exceptions import ServiceUnavailable

from api.core.bounded import BoundedLRU

ALGORITHM = "HS256"
MAX_PASSWORD_BYTES = 72  # bcrypt ignores (5.x: rejects) anything longer


HASHING_NICENESS = 10
HASHING_THREADS = 2
# Who goes first when hashes queue: a login (a check) before a registration or a password
# change (a new hash), so a registration flood cannot starve logins.
LOGIN, SIGNUP = 0, 1


class HashingBusy(ServiceUnavailable):
    """The hashing queue is too long for new work: a 503 with `Retry-After`."""

    description = "The server is busy hashing passwords; retry shortly"


def _lower_priority() -> None:
    """Linux schedules threads individually: a niced hashing thread yields the CPU to request
    threads, so a burst of logins (~0.2 s of CPU each at 12 rounds) cannot starve the API."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASHING_NICENESS)
    except (AttributeError, OSError):  # not Linux, or not permitted: run at normal priority
        pass


T = TypeVar("T")


class HashingPool:
    """A few niced threads doing every bcrypt call of this process, logins first.

    Bounded work: a new hash (registration, password change) is refused with `HashingBusy`
    when the work queued ahead of it would take longer than `max_wait` seconds (estimated
    from the measured duration of recent hashes), or when it has not started within that
    (plus one hash) after all, and new hashes never occupy every thread: one is kept for
    checks (logins), which are never refused and go before queued hashes. (So a stream of
    logins delays a new hash by at most that bound, then it is refused: it never waits for
    the stream to end.)
    The queues themselves are bounded by the request threads waiting on them. `max_wait=0`
    turns all this off: one queue, first come, first served (the old behaviour, for
    `make bench`).
    """

    def __init__(self, threads: int = HASHING_THREADS, max_wait: float = 0.5) -> None:
        self.threads = threads
        self.max_wait = max_wait
        self._ready = threading.Condition(threading.Lock())
        self._jobs: tuple[deque[tuple[Callable[[], Any], Future[Any]]], ...] = (deque(), deque())
        self._running = [0, 0]  # per priority
        self._seconds = 0.0  # moving average of one hash's duration
        self._logins_started = 0  # so far: whether logins went ahead of a waiting new hash
        for number in range(threads):
            threading.Thread(target=self._work, name=f"bcrypt-{number}", daemon=True).start()

    @property
    def _signup_threads(self) -> int:
        return max(1, self.threads - 1) if self.max_wait else self.threads

    def run(self, func: Callable[[], T], *, priority: int) -> T:
        future: Future[T] = Future()
        job = (func, future)
        with self._ready:
            if not self.max_wait:
                priority = LOGIN  # one FIFO queue
            elif priority == SIGNUP:
                self._admit()
            self._jobs[priority].append(job)
            self._ready.notify()
        if priority == SIGNUP:
            self._start_within(job, self.max_wait + self._seconds)
        return future.result()

    def _admit(self) -> None:
        # Queued logins go first, so they are ahead too.
        ahead = len(self._jobs[SIGNUP]) + self._running[SIGNUP] + len(self._jobs[LOGIN])
        slots = self._signup_threads
        wait = max(0, ahead - slots + 1) * self._seconds / slots
        if wait > self.max_wait:
            raise HashingBusy(retry_after=max(1, math.ceil(wait)))

    def _start_within(self, job: tuple[Callable[[], Any], Future[Any]], seconds: float) -> None:
        """Refuse a queued new hash still waiting after `seconds` while logins went first: a
        stream of them would hold it back for as long as it lasts. (A pool that is merely slow,
        a stalled machine, serves it in turn.)"""
        func, future = job
        logins_before = self._logins_started
        while True:
            try:
                future.result(timeout=seconds)
            except FutureTimeout:
                with self._ready:
                    passed_over = self._logins_started != logins_before
                    # Not started yet (a started job cannot be cancelled): refused.
                    if passed_over and future.cancel():
                        if job in self._jobs[SIGNUP]:  # else taken, and skipped by `_work`
                            self._jobs[SIGNUP].remove(job)
                        raise HashingBusy(retry_after=max(1, math.ceil(seconds))) from None
                continue
            except Exception:  # noqa: BLE001, S110 - the hash's own failure: `run` raises it
                pass
            return

    def _next(self) -> tuple[int, Callable[[], Any], Future[Any]]:
        with self._ready:
            while True:
                if self._jobs[LOGIN]:
                    priority = LOGIN
                elif self._jobs[SIGNUP] and self._running[SIGNUP] < self._signup_threads:
                    priority = SIGNUP
                else:
                    self._ready.wait()
                    continue
                func, future = self._jobs[priority].popleft()
                self._running[priority] += 1
                if priority == LOGIN:
                    self._logins_started += 1
                return priority, func, future

    def _work(self) -> None:
        _lower_priority()
        while True:
            priority, func, future = self._next()
            if not future.set_running_or_notify_cancel():  # given up meanwhile
                with self._ready:
                    self._running[priority] -= 1
                continue
            started = time.perf_counter()
            try:
                future.set_result(func())
            except BaseException as error:  # handed to the waiting request thread
                future.set_exception(error)
            finally:
                elapsed = time.perf_counter() - started
                with self._ready:
                    self._running[priority] -= 1
                    average = self._seconds
                    self._seconds = elapsed if not average else 0.8 * average + 0.2 * elapsed
                    self._ready.notify_all()


_pool: HashingPool | None = None
_max_wait = 0.5


def configure_hashing(*, max_wait: float) -> None:
    """Set the queue bound (`BCRYPT_MAX_WAIT`); takes effect for this process's pool."""
    global _max_wait
    _max_wait = max_wait
    if _pool is not None:
        _pool.max_wait = max_wait


def _hashing() -> HashingPool:
    """This process's hashing pool. Made on first use and dropped on fork: a child process
    must not inherit a pool whose threads ran in the parent (gunicorn's master hashes the
    default admin's password before forking its workers)."""
    global _pool
    if _pool is None:
        _pool = HashingPool(HASHING_THREADS, _max_wait)
    return _pool


def _forget_pool() -> None:
    global _pool
    _pool = None


os.register_at_fork(after_in_child=_forget_pool)


def hash_password(password: str, *, rounds: int, priority: int = SIGNUP) -> str:
    """A new bcrypt hash; may raise `HashingBusy` when the queue is too long (see HashingPool)."""
    salt = bcrypt.gensalt(rounds)
    encoded = password.encode()
    return _hashing().run(lambda: bcrypt.hashpw(encoded, salt), priority=priority).decode()


def verify_password(password: str, password_hash: str) -> bool:
    encoded = password.encode()
    if len(encoded) > MAX_PASSWORD_BYTES:
        return False
    try:
        return _hashing().run(
            lambda: bcrypt.checkpw(encoded, password_hash.encode()), priority=LOGIN
        )
    except ValueError:
        return False


@cache
def dummy_hash(rounds: int) -> str:
    """A real hash to check against when the user does not exist, so both paths cost the same."""
    return hash_password("not-a-real-password", rounds=rounds, priority=LOGIN)


# Default `iss` and `aud` (RFC 8725 §3.10): tokens of another issuer or for another audience
# signed with the same key (a shared secret, a staging copy) are refused.
DEFAULT_ISSUER = "backend-auth"
DEFAULT_AUDIENCE = "backend-api"
# The `sub` claim is a user id: ASCII digits only (str.isdigit and int() also take '١٢'), no
# leading zero, within the INTEGER column (a 20-digit id overflowed the driver: a 500).
SUBJECT_RE = re.compile(r"[1-9][0-9]{0,9}")
MAX_SUBJECT = 2**31 - 1
# Token and family ids are UUIDs; anything else (NUL, 1 kB) must not reach a VARCHAR(36) column.
TOKEN_ID_RE = re.compile(r"[A-Za-z0-9_.-]{1,36}")


@lru_cache(maxsize=16)  # bounded: one secret per app, a few in tests
def _hmac_key(key: str | bytes) -> bytes:
    return HMACAlgorithm(HMACAlgorithm.SHA256).prepare_key(key)


class _HS256(HMACAlgorithm):
    """HS256 with each secret checked once: PyJWT checks the secret again on every encode and
    decode (is it a PEM, SSH or DER key, or a JWK?), ~0.08 ms of a `GET /api/auth/me`. The
    check depends on the key alone, and a key it refuses raises every time (nothing cached)."""

    def prepare_key(self, key: str | bytes) -> bytes:
        return _hmac_key(key)


# PyJWT's public registry (`jwt.encode`/`jwt.decode`): its own HS256, with the check cached.
jwt.unregister_algorithm(ALGORITHM)
jwt.register_algorithm(ALGORITHM, _HS256(_HS256.SHA256))


@dataclass(frozen=True)
class IssuedToken:
    token: str
    jti: str
    expires_in: int
    expires_at: datetime


def derive_jti(secret: str, parent_jti: str, kind: str) -> str:
    """The id of the `kind` token that rotating `parent_jti` issues: an HMAC of the parent under
    the signing key, so a retry of the same rotation can re-sign the very same pair without any
    token being stored (a leaked database holds no usable token)."""
    digest = hmac.new(secret.encode(), f"{kind}:{parent_jti}".encode(), hashlib.sha256).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def create_token(
    *,
    kind: str,
    user_id: int,
    version: int,
    family_id: str,
    secret: str,
    expires_in: int,
    now: datetime | None = None,
    jti: str | None = None,
    issuer: str = DEFAULT_ISSUER,
    audience: str = DEFAULT_AUDIENCE,
    scope: str | None = None,
) -> IssuedToken:
    """Sign a token of `kind` ("access" or "refresh") for one login family; `scope`: the
    OAuth2 scopes granted (space-delimited), absent for a token of every scope of the role.

    With the same `jti` and `now` (whole seconds) the token is byte-for-byte the same."""
    issued_at = (now or datetime.now(UTC)).replace(microsecond=0)
    expires_at = issued_at + timedelta(seconds=expires_in)
    jti = jti or str(uuid.uuid4())
    claims = {
        "iss": issuer,
        "aud": audience,
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
    issuer: str = DEFAULT_ISSUER,
    audience: str = DEFAULT_AUDIENCE,
) -> IssuedToken:
    return create_token(
        kind="access",
        user_id=user_id,
        version=version,
        family_id=family_id or str(uuid.uuid4()),
        secret=secret,
        expires_in=expires_in,
        now=now,
        issuer=issuer,
        audience=audience,
    )


def decode_token(
    token: str,
    *,
    secret: str,
    kind: str = "access",
    issuer: str = DEFAULT_ISSUER,
    audience: str = DEFAULT_AUDIENCE,
) -> dict[str, Any]:
    """Return the claims of a valid token of `kind` or raise `jwt.InvalidTokenError`."""
    claims = jwt.decode(
        token,
        secret,
        algorithms=[ALGORITHM],
        issuer=issuer,
        audience=audience,
        options={"require": ["exp", "iat", "sub", "jti", "iss", "aud"]},
    )
    if claims.get("type") != kind:
        raise jwt.InvalidTokenError(f"not an {kind} token")
    # PyJWT reads a numeric string as a time; the cache of verified tokens compares numbers.
    if not all(type(claims[name]) in (int, float) for name in ("exp", "iat")):
        raise jwt.InvalidTokenError("exp and iat must be numbers")
    subject = claims["sub"]
    if not isinstance(subject, str) or not SUBJECT_RE.fullmatch(subject):
        raise jwt.InvalidTokenError("the subject is not a user id")
    if int(subject) > MAX_SUBJECT:
        raise jwt.InvalidTokenError("the subject is not a user id")
    if not isinstance(claims.get("ver"), int) or not isinstance(claims.get("fid"), str):
        raise jwt.InvalidTokenError("token lacks its version or family")
    if not isinstance(claims["jti"], str) or not all(
        TOKEN_ID_RE.fullmatch(value) for value in (claims["jti"], claims["fid"])
    ):
        raise jwt.InvalidTokenError("malformed token or family id")
    if not isinstance(claims.get("scope", ""), str):
        raise jwt.InvalidTokenError("scope must be a string")
    return claims


class VerifiedTokens:
    """Claims of access tokens that already passed every check of `decode_token`, per worker,
    least recently used first out, at most `max_bytes` of tokens and claims.

    A hit skips PyJWT's base64, HMAC and JSON work (about a fifth of the CPU of `/me`,
    bench/RESULTS.md). `exp` is checked again on every hit, and revocation, deactivation and the
    token version stay checked in the database on every request (api/services/auth.py). Only a
    token that verified is stored, under the secret, issuer and audience it verified with, so
    nobody without the secret can add an entry, and a changed secret finds nothing.
    """

    def __init__(self, max_bytes: int) -> None:
        self._claims: BoundedLRU[tuple[str, ...], dict[str, Any]] = BoundedLRU(max_bytes)
        self._lock = threading.Lock()

    @property
    def used(self) -> int:
        return self._claims.used

    def get(self, key: tuple[str, ...]) -> dict[str, Any] | None:
        with self._lock:
            claims = self._claims.get(key)
        if claims is not None and claims["exp"] <= time.time():  # PyJWT: expired at `exp`
            raise jwt.ExpiredSignatureError("Signature has expired")
        return claims

    def put(self, key: tuple[str, ...], claims: dict[str, Any]) -> None:
        # The key's strings plus the claims (a few short strings and numbers, well under 1 KB).
        with self._lock:
            self._claims.put(key, claims, sum(map(len, key)) + 1024)


# About 2,000 live tokens per worker (an access token is ~400 bytes).
_verified = VerifiedTokens(max_bytes=4 * 1024 * 1024)


def decode_access_token(
    token: str, *, secret: str, issuer: str = DEFAULT_ISSUER, audience: str = DEFAULT_AUDIENCE
) -> dict[str, Any]:
    """`decode_token` for access tokens, remembered once verified (`VerifiedTokens`). The claims
    returned are shared between requests: read them, never change them."""
    key = (token, secret, issuer, audience)
    if (claims := _verified.get(key)) is not None:
        return claims
    claims = decode_token(token, secret=secret, kind="access", issuer=issuer, audience=audience)
    _verified.put(key, claims)
    return claims
