"""Webhooks: subscriptions, the transactional outbox of events, and one delivery per match.

* `webhook_subscriptions`: where a user wants events sent. The signing secret is stored
  encrypted (Fernet, keyed from the server's `SECRET_KEY`; see api/webhooks/secrets.py): it must
  be recoverable to sign each delivery, so a one-way hash cannot do.
* `webhook_events`: the outbox. A row is written in the same transaction as the change that
  caused it, so an event exists if and only if its change was committed.
* `webhook_deliveries`: event x subscription, written in that same transaction; the worker
  claims due rows with a lease (api/webhooks/worker.py).
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, false, true
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Model, UTCDateTime, isoformat, utcnow


class WebhookSubscription(Model):
    __tablename__ = "webhook_subscriptions"
    # SQLite: a deleted subscription's id is never handed out again (migration 0017).
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2048))
    events: Mapped[list[str]] = mapped_column(JSON)
    description: Mapped[str] = mapped_column(String(500), default="", server_default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Other users' events (and admin-only ones) too: set at creation by a token with the admin
    # scopes, and heard only while the owner is still an administrator.
    hears_everyone: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    secret_encrypted: Mapped[str] = mapped_column(Text)
    # After a rotation the old secret signs too (a second signature) until this time, so the
    # receiver can switch secrets without rejecting deliveries in between.
    previous_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Consecutive failed attempts (any event); reset by a success or by re-enabling.
    failure_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    disabled_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "user_id": self.user_id,
            "url": self.url,
            "events": list(self.events),
            "description": self.description,
            "enabled": self.enabled,
            "failure_count": self.failure_count,
            "disabled_reason": self.disabled_reason,
            "created_at": isoformat(self.created_at),
            "updated_at": isoformat(self.updated_at),
        }


class WebhookEvent(Model):
    __tablename__ = "webhook_events"

    # `msg_<hex>`: the `webhook-id` every delivery of this event carries (stable across retries).
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Whose resource it is: non-admin subscriptions only hear about their own.
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "payload": self.payload,
            "owner_id": self.owner_id,
            "created_at": isoformat(self.created_at),
        }


class WebhookDelivery(Model):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        # The worker's claim: due pending rows, oldest first.
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_subscription", "subscription_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[str] = mapped_column(
        ForeignKey("webhook_events.id", ondelete="CASCADE"), index=True
    )
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE")
    )
    # pending -> delivered | failed (attempts exhausted)
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    response_status: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    # A worker owns the row until `leased_until`; a crashed worker's lease simply runs out.
    lease_token: Mapped[str | None] = mapped_column(String(36))
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "event_id": self.event_id,
            "subscription_id": self.subscription_id,
            "status": self.status,
            "attempts": self.attempts,
            "next_attempt_at": isoformat(self.next_attempt_at),
            "last_attempt_at": isoformat(self.last_attempt_at),
            "response_status": self.response_status,
            "latency_ms": self.latency_ms,
            "last_error": self.last_error,
            "created_at": isoformat(self.created_at),
        }
