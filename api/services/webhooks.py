"""Webhook subscriptions: create, read, change, delete, rotate the secret, ping, redeliver.

Object-level authorization: a subscription is visible and changeable by its owner and by
administrators; anyone else gets a 404 (its existence is not revealed).
"""

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from api.core.config import WebhookSettings
from api.services import audit
from api.services.errors import Conflict, Forbidden, Invalid, NotFound
from api.services.locking import locked
from api.services.pagination import Page, paginate
from api.webhooks import ADMIN_ONLY_EVENTS, PING_EVENT, secrets, ssrf
from api.webhooks.outbox import envelope, new_event_id
from models import Principal, User, WebhookDelivery, WebhookEvent, WebhookSubscription, db
from models.base import utcnow

DELIVERY_STATUSES = ("pending", "delivered", "failed")


def _checked_url(url: str, settings: WebhookSettings) -> str:
    try:
        ssrf.resolve(url, allow_private=settings.allow_private)
    except ssrf.UnsafeUrl as exc:
        raise Invalid({"url": str(exc)}, "Webhook URL refused") from None
    return url.strip()


def _checked_events(events: list[str], *, admin_events: str | None) -> list[str]:
    """The events, once each; `admin_events`: why admin-only ones are refused (None: allowed)."""
    wanted = list(dict.fromkeys(events))
    if admin_events is not None and (denied := sorted(set(wanted) & ADMIN_ONLY_EVENTS)):
        raise Forbidden(f"{admin_events}: {', '.join(denied)}")
    return wanted


NOT_ADMIN = "Only administrators, with a token that has the admin scopes, may subscribe to"


def _encrypt(secret: str, settings: WebhookSettings) -> str:
    return secrets.encrypt(secret, server_key=settings.secret)


def create(
    *,
    actor: Principal,
    hears_everyone: bool,
    url: str,
    events: list[str],
    description: str | None,
    settings: WebhookSettings,
) -> tuple[WebhookSubscription, str]:
    """The new subscription and its secret (shown once). At most `WEBHOOKS_MAX_PER_USER` each.
    `hears_everyone`: an administrator whose token reads everyone's objects (`admin:read`)."""
    events = _checked_events(events, admin_events=None if actor.is_admin else NOT_ADMIN)
    url = _checked_url(url, settings)
    # Lock the owner's row (PostgreSQL; SQLite has one writer anyway) so two concurrent
    # creations cannot both pass the per-user limit.
    db.session.execute(select(User.id).where(User.id == actor.id).with_for_update())
    secret, now = secrets.generate(), utcnow()
    subscription = WebhookSubscription(
        user_id=actor.id,
        created_at=now,
        updated_at=now,  # one instant: two defaults would differ by microseconds
        url=url,
        events=events,
        description=description or "",
        secret_encrypted=_encrypt(secret, settings),
        hears_everyone=actor.is_admin and hears_everyone,
    )
    db.session.add(subscription)
    db.session.flush()
    limit = settings.max_per_user
    owned = db.session.scalar(select(func.count()).where(WebhookSubscription.user_id == actor.id))
    if (owned or 0) > limit:
        db.session.rollback()
        raise Conflict(f"At most {limit} webhook subscriptions per user")
    audit.record(
        actor=actor, action="webhook.create", target_type="webhook", target_id=subscription.id,
        url=url, events=events,
    )  # fmt: skip
    db.session.commit()
    return subscription, secret


def _why_no_admin_events(
    subscription: WebhookSubscription, owner: User | None, actor: Principal
) -> str | None:
    """Admin-only events go to a subscription made to hear everyone, of an owner who is still
    an administrator, changed by a token with the admin scopes; else the reason they do not."""
    if not (actor.is_admin and owner is not None and owner.is_admin):
        return NOT_ADMIN
    if not subscription.hears_everyone:
        return "This subscription was made without the admin scopes; create one with them for"
    return None


def list_subscriptions(*, actor: Principal, page: int, per_page: int) -> Page[WebhookSubscription]:
    query = select(WebhookSubscription).order_by(WebhookSubscription.id.desc())
    if not actor.is_admin:
        query = query.where(WebhookSubscription.user_id == actor.id)
    return paginate(query, page=page, per_page=per_page)


def get(subscription_id: int, *, actor: Principal, lock: bool = False) -> WebhookSubscription:
    """The caller's subscription (any, for an administrator); `lock`: read under its write
    lock, for a change that depends on what it holds (api/services/locking.py)."""
    if lock:
        subscription = locked(WebhookSubscription, subscription_id)
    else:
        subscription = db.session.get(WebhookSubscription, subscription_id)
    if subscription is None or not (actor.is_admin or subscription.user_id == actor.id):
        raise NotFound("Webhook subscription not found")
    return subscription


def update(
    subscription_id: int, *, actor: Principal, settings: WebhookSettings, **changes: Any
) -> WebhookSubscription:
    subscription = get(subscription_id, actor=actor)
    owner = db.session.get(User, subscription.user_id)
    if changes.get("url") is not None:
        subscription.url = _checked_url(changes["url"], settings)
    if changes.get("events") is not None:
        subscription.events = _checked_events(
            changes["events"], admin_events=_why_no_admin_events(subscription, owner, actor)
        )
    if changes.get("description") is not None:
        subscription.description = changes["description"]
    if changes.get("enabled") is not None and changes["enabled"] != subscription.enabled:
        subscription.enabled = changes["enabled"]
        if subscription.enabled:  # a fresh start: the failures that disabled it are forgiven
            subscription.failure_count = 0
            subscription.disabled_reason = None
        else:
            subscription.disabled_reason = f"Disabled by user {actor.id}"
    audit.record(
        actor=actor, action="webhook.update", target_type="webhook", target_id=subscription.id,
        **{key: value for key, value in changes.items() if value is not None},
    )  # fmt: skip
    db.session.commit()
    return subscription


def delete(subscription_id: int, *, actor: Principal) -> None:
    subscription = get(subscription_id, actor=actor)
    audit.record(
        actor=actor, action="webhook.delete", target_type="webhook", target_id=subscription.id,
        url=subscription.url,
    )  # fmt: skip
    db.session.delete(subscription)
    db.session.commit()


def rotate_secret(
    subscription_id: int, *, actor: Principal, settings: WebhookSettings
) -> tuple[WebhookSubscription, str]:
    subscription = get(subscription_id, actor=actor, lock=True)  # the secret it rotates out
    secret = secrets.generate()
    grace = settings.rotation_grace
    subscription.previous_secret_encrypted = subscription.secret_encrypted if grace else None
    subscription.previous_secret_expires_at = utcnow() + timedelta(seconds=grace) if grace else None
    subscription.secret_encrypted = _encrypt(secret, settings)
    audit.record(
        actor=actor, action="webhook.rotate_secret", target_type="webhook",
        target_id=subscription.id,
    )  # fmt: skip
    db.session.commit()
    return subscription, secret


def ping(subscription_id: int, *, actor: Principal) -> WebhookDelivery:
    """Queue a `ping` event for this subscription only; the worker delivers it."""
    subscription = get(subscription_id, actor=actor)
    if not subscription.enabled:
        raise Conflict("The subscription is disabled; enable it first")
    now, event_id = utcnow(), new_event_id()
    data = {"subscription_id": subscription.id, "url": subscription.url}
    db.session.add(
        WebhookEvent(
            id=event_id,
            type=PING_EVENT,
            payload=envelope(event_id, PING_EVENT, now, data),
            owner_id=subscription.user_id,
            created_at=now,
        )
    )
    db.session.flush()
    queued = WebhookDelivery(event_id=event_id, subscription_id=subscription.id, created_at=now)
    db.session.add(queued)
    audit.record(
        actor=actor, action="webhook.ping", target_type="webhook", target_id=subscription.id,
        event_id=event_id,
    )  # fmt: skip
    db.session.commit()
    return queued


def list_deliveries(
    subscription_id: int, *, actor: Principal, page: int, per_page: int, status: str | None
) -> Page[dict[str, Any]]:
    get(subscription_id, actor=actor)
    query = (
        select(WebhookDelivery)
        .where(WebhookDelivery.subscription_id == subscription_id)
        .order_by(WebhookDelivery.id.desc())
    )
    if status:
        query = query.where(WebhookDelivery.status == status)
    result = paginate(query, page=page, per_page=per_page)
    return Page(describe(result.items), result.total, result.page, result.per_page)


def redeliver(subscription_id: int, delivery_id: int, *, actor: Principal) -> WebhookDelivery:
    """A new delivery of the same event (same `webhook-id`), due now, with fresh attempts."""
    subscription = get(subscription_id, actor=actor)
    original = db.session.get(WebhookDelivery, delivery_id)
    if original is None or original.subscription_id != subscription.id:
        raise NotFound("Delivery not found")
    if not subscription.enabled:
        raise Conflict("The subscription is disabled; enable it first")
    if original.status == "pending":
        raise Conflict("This delivery is still pending; it will be retried")
    # One redelivery at a time, not a flood; checked under the subscription's row lock
    # (PostgreSQL; SQLite's single writer refuses the second of two racing inserts).
    db.session.execute(
        select(WebhookSubscription.id)
        .where(WebhookSubscription.id == subscription.id)
        .with_for_update()
    )
    if _pending(original.event_id, subscription.id):
        raise Conflict("A redelivery of this event is already pending")
    queued = WebhookDelivery(
        event_id=original.event_id, subscription_id=subscription.id, created_at=utcnow()
    )
    db.session.add(queued)
    audit.record(
        actor=actor, action="webhook.redeliver", target_type="webhook",
        target_id=subscription.id, delivery_id=original.id, event_id=original.event_id,
    )  # fmt: skip
    db.session.commit()
    return queued


def _pending(event_id: str, subscription_id: int) -> bool:
    pending = select(WebhookDelivery.id).where(
        WebhookDelivery.event_id == event_id,
        WebhookDelivery.subscription_id == subscription_id,
        WebhookDelivery.status == "pending",
    )
    return bool(db.session.scalar(select(pending.exists())))


def describe(deliveries: Sequence[WebhookDelivery]) -> list[dict[str, Any]]:
    """Deliveries as the API shows them, each with its event's type (one query per page)."""
    ids = {delivery.event_id for delivery in deliveries}
    types = dict(db.session.execute(select(WebhookEvent.id, WebhookEvent.type).where(
        WebhookEvent.id.in_(ids))).all()) if ids else {}  # fmt: skip
    return [{**d.to_dict(), "event_type": types.get(d.event_id, "")} for d in deliveries]
