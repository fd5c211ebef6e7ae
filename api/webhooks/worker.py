"""The delivery worker: `python -m api.webhooks.worker` (started by `make run` beside gunicorn).

Several workers, on one machine or many, share the work through the outbox tables alone; there
is no broker. A worker claims due deliveries with one atomic UPDATE that sets a lease
(`lease_token`, `leased_until`) on rows whose lease is absent or expired:

* PostgreSQL: the rows are picked by a subquery `FOR UPDATE SKIP LOCKED`, so concurrent workers
  skip each other's rows instead of waiting, and a row leased meanwhile fails the re-checked
  condition (READ COMMITTED re-evaluates it on the newest row version).
* SQLite: one writer at a time; the UPDATE ... RETURNING is a single atomic statement.

The lease outlives the delivery's hard deadline (`WEBHOOKS_LEASE_SECONDS` >
`WEBHOOKS_TIMEOUT`), so no two workers ever hold the same row at once; a worker killed mid-
delivery leaves a lease that simply runs out, and the row is delivered again (at-least-once,
with the same `webhook-id`). Results are written only while the lease is still ours.

The database is touched from the main thread only; a pool of threads does the HTTP, so a
receiver that hangs holds one thread until the deadline, never the others (nor the API).
"""

import argparse
import json
import logging
import os
import random
import signal
import threading
import time
import uuid
from collections.abc import Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import ColumnElement, Select, Update, case, delete, false, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from api.core.logs import log_event
from api.webhooks import delivery, secrets
from api.webhooks.outbox import readable_by_subscriber
from models import WebhookDelivery, WebhookEvent, WebhookSubscription, db
from models.base import execute_dml, utcnow

D, E, S = WebhookDelivery, WebhookEvent, WebhookSubscription
PURGE_EVERY = 600.0
UNREADABLE = "not sent: the subscription's owner can no longer read this event"


@dataclass(frozen=True)
class Job:
    delivery_id: int
    token: str
    attempts: int
    subscription_id: int
    url: str
    secrets: list[str]  # current first, then a rotated-out one in its grace period; [] unreadable
    event_id: str
    body: bytes


def backoff(attempts: int, *, base: float, cap: float) -> float:
    """Seconds before the next attempt: exponential, capped, with +-20 % jitter."""
    return min(cap, base * 2.0 ** (attempts - 1)) * random.uniform(0.8, 1.2)


def schedule_span(config: dict[str, Any]) -> float:
    """The shortest time (all jitter low) from the first to the last attempt."""
    base: float = config["WEBHOOKS_BACKOFF_BASE"]
    cap: float = config["WEBHOOKS_BACKOFF_MAX"]
    gaps = range(1, config["WEBHOOKS_MAX_ATTEMPTS"])
    return sum(min(cap, base * 2.0 ** (n - 1)) * 0.8 for n in gaps)


def claim(app: Flask, limit: int) -> list[Job]:
    """Lease up to `limit` due deliveries (atomic; see the module docstring)."""
    now, token = utcnow(), str(uuid.uuid4())
    lease = timedelta(seconds=app.config["WEBHOOKS_LEASE_SECONDS"])
    free = or_(D.leased_until.is_(None), D.leased_until < now)
    _drop_unreadable(_due(now, free, ~readable_by_subscriber()))
    due = _due(now, free, readable_by_subscriber()).order_by(D.next_attempt_at, D.id).limit(limit)
    claimed = db.session.execute(
        update(D)
        .where(D.id.in_(due), free)
        .values(
            lease_token=token,
            leased_until=now + lease,
            attempts=D.attempts + 1,
            last_attempt_at=now,
        )
        .returning(D.id)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    if not claimed:
        return []
    rows = db.session.execute(
        select(D.id, D.attempts, S.id, S.url, E.id, E.payload)
        .add_columns(S.secret_encrypted, S.previous_secret_encrypted, S.previous_secret_expires_at)
        .join(S, S.id == D.subscription_id)
        .join(E, E.id == D.event_id)
        .where(D.lease_token == token)
        .order_by(D.next_attempt_at, D.id)
    ).all()
    db.session.rollback()  # end the read transaction
    server_key = app.config["SECRET_KEY"]
    return [
        Job(d_id, token, attempts, s_id, url, _secrets(now, server_key, *keys), e_id, _body(body))
        for d_id, attempts, s_id, url, e_id, body, *keys in rows
    ]


def _due(now: Any, free: ColumnElement[bool], readable: ColumnElement[bool]) -> Select[Any]:
    """Free pending rows of enabled subscriptions, due now (locked, skipping others' locks)."""
    due = (
        select(D.id)
        .join(S, S.id == D.subscription_id)
        .where(D.status == "pending", D.next_attempt_at <= now, free, S.enabled.is_(True))
        .where(readable)
    )
    if db.engine.dialect.name == "postgresql":
        due = due.with_for_update(of=D, skip_locked=True)
    return due


def _drop_unreadable(due: Select[Any]) -> None:
    """Fail, unsent, the due deliveries whose owner was deactivated (or demoted, for events
    only an administrator hears) after they were queued: a retry must not reach them."""
    dropped = db.session.execute(
        update(D)
        .where(D.id.in_(due), D.status == "pending")
        .values(status="failed", last_error=UNREADABLE, lease_token=None, leased_until=None)
        .returning(D.id, D.event_id, D.subscription_id)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    for delivery_id, event_id, subscription_id in dropped:
        log_event(
            "webhook_delivery_dropped",
            logging.WARNING,
            delivery_id=delivery_id,
            event_id=event_id,
            subscription_id=subscription_id,
            error=UNREADABLE,
        )


def _secrets(
    now: Any, server_key: str, current: str, previous: str | None, until: Any
) -> list[str]:
    encrypted = [current] + ([previous] if previous and until and until > now else [])
    try:
        return [secrets.decrypt(value, server_key=server_key) for value in encrypted]
    except secrets.SecretUnreadable:
        return []


def _body(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def attempt(app: Flask, job: Job) -> delivery.Attempt:
    """One POST (runs in a pool thread: no database access here)."""
    if not job.secrets:
        return delivery.Attempt(False, None, 0, "signing secret unreadable: rotate it")
    config = app.config
    return delivery.send(
        url=job.url,
        signing_secrets=job.secrets,
        msg_id=job.event_id,
        body=job.body,
        timeout=config["WEBHOOKS_TIMEOUT"],
        max_response_bytes=config["WEBHOOKS_MAX_RESPONSE_BYTES"],
        allow_private=config["WEBHOOKS_ALLOW_PRIVATE"],
    )


def record(app: Flask, job: Job, result: delivery.Attempt) -> None:
    """Store the outcome, if the lease is still ours; count consecutive failures."""
    config, now = app.config, utcnow()
    values: dict[str, Any] = {
        "response_status": result.status,
        "latency_ms": result.latency_ms,
        "last_error": result.error,
        "lease_token": None,
        "leased_until": None,
    }
    if result.ok:
        values["status"] = "delivered"
    elif job.attempts >= config["WEBHOOKS_MAX_ATTEMPTS"]:
        values["status"] = "failed"
    else:
        delay = backoff(
            job.attempts, base=config["WEBHOOKS_BACKOFF_BASE"], cap=config["WEBHOOKS_BACKOFF_MAX"]
        )
        values["next_attempt_at"] = now + timedelta(seconds=delay)
    stored = execute_dml(
        update(D)
        .where(D.id == job.delivery_id, D.lease_token == job.token)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if stored.rowcount:
        db.session.execute(_subscription_update(job.subscription_id, result, config))
    db.session.commit()
    log_event(
        "webhook_delivery",
        logging.INFO if result.ok else logging.WARNING,
        delivery_id=job.delivery_id,
        event_id=job.event_id,
        subscription_id=job.subscription_id,
        attempt=job.attempts,
        status=result.status,
        latency_ms=result.latency_ms,
        error=result.error,
    )


def _subscription_update(
    subscription_id: int, result: delivery.Attempt, config: Mapping[str, Any]
) -> Update:
    statement = update(S).where(S.id == subscription_id)
    if result.ok:
        return statement.where(S.failure_count != 0).values(failure_count=0)
    limit = config["WEBHOOKS_DISABLE_AFTER"]
    reaches = S.failure_count + 1 >= limit
    reason = f"Disabled after {limit} consecutive failed deliveries; last: {result.error}"[:500]
    return statement.values(
        failure_count=S.failure_count + 1,
        enabled=case((reaches, false()), else_=S.enabled),
        disabled_reason=case((reaches & S.enabled, reason), else_=S.disabled_reason),
    )


def purge(app: Flask) -> int:
    """Forget events whose deliveries are all finished, after `WEBHOOKS_RETENTION_DAYS`."""
    cutoff = utcnow() - timedelta(days=app.config["WEBHOOKS_RETENTION_DAYS"])
    pending = select(D.event_id).where(D.status == "pending")
    result = execute_dml(delete(E).where(E.created_at < cutoff, E.id.not_in(pending)))
    db.session.commit()
    return result.rowcount


class Worker:
    """Keeps up to `WEBHOOKS_CONCURRENCY` deliveries in flight, claiming more as slots free."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.stop = threading.Event()
        self.concurrency = max(1, app.config["WEBHOOKS_CONCURRENCY"])
        self.poll = app.config["WEBHOOKS_POLL_INTERVAL"]

    def run(self, *, until_idle: bool = False, parent_pid: int | None = None) -> None:
        inflight: dict[Future[delivery.Attempt], Job] = {}
        last_purge = 0.0
        with self.app.app_context(), ThreadPoolExecutor(self.concurrency) as pool:
            while not self.stop.is_set():
                if parent_pid is not None and os.getppid() != parent_pid:
                    break  # whoever started us is gone (e.g. `make run` interrupted)
                try:
                    if time.monotonic() - last_purge > PURGE_EVERY:
                        purge(self.app)
                        last_purge = time.monotonic()
                    if free := self.concurrency - len(inflight):
                        for job in claim(self.app, free):
                            inflight[pool.submit(attempt, self.app, job)] = job
                except SQLAlchemyError as exc:  # database down or not migrated yet: wait
                    db.session.rollback()
                    log_event("webhook_worker_db_error", logging.WARNING, error=str(exc)[:300])
                    self.stop.wait(min(5.0, self.poll * 4))
                    continue
                if not inflight:
                    if until_idle:
                        break
                    self.stop.wait(self.poll)
                    continue
                done, _ = wait(inflight, timeout=self.poll, return_when=FIRST_COMPLETED)
                self._record(done, inflight)
            self._record(wait(inflight).done, inflight)  # finish what is in flight

    def _record(self, done: set[Future[delivery.Attempt]], inflight: dict[Any, Job]) -> None:
        for future in done:
            job = inflight.pop(future)
            try:
                record(self.app, job, future.result())
            except SQLAlchemyError as exc:  # the lease runs out; another attempt will follow
                db.session.rollback()
                log_event("webhook_worker_db_error", logging.WARNING, error=str(exc)[:300])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Deliver webhook events (runs until stopped).")
    parser.add_argument("--until-idle", action="store_true", help="exit when nothing is due")
    parser.add_argument(
        "--exit-with-parent", action="store_true", help="exit when the parent process exits"
    )
    args = parser.parse_args(argv)
    from api import create_app

    worker = Worker(create_app())
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: worker.stop.set())
    log_event("webhook_worker_started", pid=os.getpid(), concurrency=worker.concurrency)
    parent = os.getppid() if args.exit_with_parent else None
    worker.run(until_idle=args.until_idle, parent_pid=parent)


if __name__ == "__main__":
    main()
