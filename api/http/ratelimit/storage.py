"""Where rate-limit counters live: a memory-mapped file every worker on the host shares, or Redis.

Both count fixed windows that start at a key's first hit: `incr` adds to several counters in
one atomic step and returns each new count with the milliseconds its window has left, so a
check and its increment can never be split by a concurrent request (N requests racing for the
last L slots let exactly L through).

* `SharedFileCounters` (the embedded default): a fixed-size open-addressing table in a file
  under DATA_DIR, mapped into every gunicorn worker, guarded by a thread lock plus `flock`
  (which the kernel releases when a worker dies, so a killed worker cannot wedge the others).
  Bounded in bytes: `SLOTS` x 24 bytes. A key's slot is a keyed hash (a random secret made with
  the file), so nobody outside can pick keys that crowd one neighbourhood. When a neighbourhood
  of `PROBES` slots is full of live counters, the one closest to expiry is evicted, and a
  protected counter (failed logins and the other tight limits, whose keys a client cannot mint
  at will) only when all of them are protected: a flood of made-up tokens or addresses cannot
  push the failed-login count of an account out of the table.
* `RedisCounters`: one Lua script per request, so every worker of every instance counts together.
* `ResilientCounters`: Redis first; while Redis is unreachable it counts in the shared file,
  retries Redis at most once a second, and reports the outage once (not per request).
"""

import fcntl
import hashlib
import mmap
import os
import struct
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import redis
from redis.connection import AbstractConnection

# (key, window in milliseconds, amount to add; -1 gives a reserved attempt back)
Hit = tuple[str, int, int]
# (count after the hit, milliseconds until the window resets)
Count = tuple[int, int]

MAGIC = b"RLT2"
HEADER = struct.Struct("<4sIi16s")  # magic, slot count, outage flag, the slots' hash key
HEADER_SIZE = 64
# Keyed hash of the key (0 = empty; its lowest bit set for a protected key), window end (epoch
# ms), count.
SLOT = struct.Struct("<Qqq")
SLOTS = 1 << 17  # 3 MiB
PROBES = 16
REDIS_TIMEOUT = 0.25  # seconds: a hung Redis must not hold a request
RETRY_INTERVAL = 1.0  # seconds between attempts to reach Redis during an outage


_opening = threading.Lock()
os.register_at_fork(after_in_child=lambda: globals().update(_opening=threading.Lock()))


class Counters(Protocol):
    def incr(self, hits: Sequence[Hit]) -> list[Count]: ...


def _now_ms() -> int:
    return int(time.time() * 1000)


def _key_hash(key: str, secret: bytes, protected: bool) -> int:
    digest = hashlib.blake2b(key.encode(), key=secret, digest_size=8).digest()
    value = int.from_bytes(digest, "little") & ~1 | int(protected)
    return value or 2  # 0 marks an empty slot


class SharedFileCounters:
    """Counters in a memory-mapped file shared by every process on the host that opens it.

    `protected`: the prefixes of the keys evicted last (see the module's docstring)."""

    def __init__(self, path: Path, protected: tuple[str, ...] = ()) -> None:
        self.path = path
        self.protected = protected
        self._secret = b""
        self._pid = 0  # the process that mapped the file; a forked child maps it anew
        self._lock = threading.Lock()  # threads of one process (flock does not tell them apart)
        self._map: mmap.mmap | None = None
        self._fd = -1

    def _open(self) -> mmap.mmap:
        """Opened per process: `flock` only excludes separately opened descriptions, and a
        lock held by another thread when the process forked would never be released."""
        if self._pid != os.getpid():
            with _opening:
                if self._pid != os.getpid():
                    self._lock = threading.Lock()
                    self._map = self._map_file()
                    self._pid = os.getpid()
        assert self._map is not None
        return self._map

    def _map_file(self) -> mmap.mmap:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        size = HEADER_SIZE + SLOTS * SLOT.size
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            if os.fstat(fd).st_size != size:
                os.ftruncate(fd, 0)  # a table of another layout: start afresh
                os.ftruncate(fd, size)
            table = mmap.mmap(fd, size)
            if table[:4] != MAGIC:  # new, or of another version: empty, with a new secret
                table[:] = bytes(size)
                HEADER.pack_into(table, 0, MAGIC, SLOTS, 0, os.urandom(16))
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
        self._fd = fd
        self._secret = HEADER.unpack_from(table, 0)[3]
        return table

    def incr(self, hits: Sequence[Hit]) -> list[Count]:
        table = self._open()
        now = _now_ms()
        with self._lock:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                return [
                    self._incr_one(table, key, window, amount, now) for key, window, amount in hits
                ]
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def _incr_one(self, table: mmap.mmap, key: str, window: int, amount: int, now: int) -> Count:
        wanted = _key_hash(key, self._secret, key.startswith(self.protected))
        home = (wanted >> 1) % SLOTS
        free = None
        # The slot to evict: (protected?, window end) is least for the unprotected one that
        # expires first, then for the protected one that does.
        victim, victim_rank = None, None
        for probe in range(PROBES):
            offset = HEADER_SIZE + ((home + probe) % SLOTS) * SLOT.size
            found, end, count = SLOT.unpack_from(table, offset)
            if found == wanted and end > now:
                count = max(0, count + amount)
                SLOT.pack_into(table, offset, wanted, end, count)
                return count, end - now
            if found == 0 or end <= now:
                if free is None:
                    free = offset
            elif victim_rank is None or (found & 1, end) < victim_rank:
                victim, victim_rank = offset, (found & 1, end)
        if amount <= 0:  # giving back an attempt whose window is gone: nothing to do
            return 0, window
        target = free if free is not None else victim
        assert target is not None
        SLOT.pack_into(table, target, wanted, now + window, amount)
        return amount, window

    def swap_flag(self, value: int) -> int:
        """Set the shared outage flag; the previous value (so one worker reports a change)."""
        table = self._open()
        with self._lock:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                magic, slots, previous, secret = HEADER.unpack_from(table, 0)
                HEADER.pack_into(table, 0, magic, slots, value, secret)
                return int(previous)
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)


# Adds to every key, starting its window (PEXPIRE) on the first hit; returns count and PTTL.
_LUA_INCR = """
local out = {}
for i, key in ipairs(KEYS) do
  local count = redis.call('INCRBY', key, ARGV[2 * i])
  local ttl = redis.call('PTTL', key)
  if ttl < 0 then
    ttl = tonumber(ARGV[2 * i - 1])
    redis.call('PEXPIRE', key, ttl)
  end
  out[2 * i - 1] = count
  out[2 * i] = ttl
end
return out
"""


def _command(connection: AbstractConnection, *args: str | int) -> list[int]:
    """Send one command and read its reply (redis-py leaves `send_command` unannotated)."""
    connection.send_command(*args)  # type: ignore[no-untyped-call]
    return list(connection.read_response())


class RedisCounters:
    """One `EVALSHA` per call on a connection of the calling thread's own.

    Not through redis-py's pool and `Script`: checking a pooled connection out and back in
    (a lock and a readiness poll each way) and the script wrapper cost twice the round trip
    itself, on every request (bench/RESULTS.md). Connections: one per server thread.
    """

    def __init__(self, url: str) -> None:
        self.client = redis.Redis.from_url(
            url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT
        )
        self._sha = hashlib.sha1(_LUA_INCR.encode()).hexdigest()
        self._local = threading.local()

    def incr(self, hits: Sequence[Hit]) -> list[Count]:
        keys = [f"rl:{key}" for key, _, _ in hits]
        args = [value for _, window, amount in hits for value in (window, amount)]
        flat = self._run(len(keys), *keys, *args)
        return [(max(0, int(flat[i])), int(flat[i + 1])) for i in range(0, len(flat), 2)]

    def _run(self, *keys_and_args: str | int) -> list[int]:
        connection = self._connection()
        proven = self._local.proven  # read first: a failing call clears it
        try:
            return self._call(connection, keys_and_args)
        except redis.exceptions.ConnectionError:
            if not proven:
                raise
            # It worked before and fails now: most likely Redis restarted and dropped it. One
            # attempt on a fresh connection, as redis-py's own client retries, before the
            # fallback takes over (a stale socket cannot have run the script).
            return self._call(connection, keys_and_args)

    def _call(
        self, connection: AbstractConnection, keys_and_args: tuple[str | int, ...]
    ) -> list[int]:
        try:
            try:
                flat = _command(connection, "EVALSHA", self._sha, *keys_and_args)
            except redis.exceptions.NoScriptError:  # a restarted or flushed Redis
                flat = _command(connection, "EVAL", _LUA_INCR, *keys_and_args)
        except BaseException:
            # No half-read reply left for the next call; it reconnects. (redis-py leaves
            # `disconnect` unannotated.)
            connection.disconnect()  # type: ignore[no-untyped-call]
            self._local.proven = False
            raise
        self._local.proven = True
        return flat

    def _connection(self) -> AbstractConnection:
        connection: AbstractConnection | None = getattr(self._local, "connection", None)
        if connection is None or connection.pid != os.getpid():  # none yet, or forked
            pool = self.client.connection_pool  # its URL's class (TCP, TLS, unix) and options
            connection = pool.connection_class(**pool.connection_kwargs)
            self._local.connection = connection
            self._local.proven = False
        return connection


class ResilientCounters:
    """Redis, falling back to the host's shared file while Redis is unreachable."""

    def __init__(
        self,
        shared: RedisCounters,
        local: SharedFileCounters,
        on_change: Callable[[bool, bool, str], None],
    ) -> None:
        self.shared = shared
        self.local = local
        self._on_change = on_change  # (redis_up, first_to_notice, reason)
        self._down = False
        self._retry_at = 0.0

    def incr(self, hits: Sequence[Hit]) -> list[Count]:
        return self.incr_with(hits)[0]

    def incr_with(self, hits: Sequence[Hit]) -> tuple[list[Count], Counters]:
        """The counts and the store that holds them (a refund must go to the same one)."""
        if not self._down or time.monotonic() >= self._retry_at:
            try:
                counts = self.shared.incr(hits)
            except (redis.RedisError, OSError) as error:
                self._retry_at = time.monotonic() + RETRY_INTERVAL
                if not self._down:
                    self._down = True
                    self._on_change(False, self.local.swap_flag(1) == 0, str(error))
            else:
                if self._down:
                    self._down = False
                    self._on_change(True, self.local.swap_flag(0) == 1, "")
                return counts, self.shared
        return self.local.incr(hits), self.local
