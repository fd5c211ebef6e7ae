"""The transactional outbox: an event row (and one delivery row per matching subscription) is
written inside the flush that writes the change, so both commit or roll back together.

Why ORM session events rather than calls in the services: item, upload and user writes happen
in several services (items, uploads, admin) that other work rewrites; an `after_flush` hook sees
every ORM insert, update and delete of `Item`, `Upload` and `User` whichever service made it,
needs no edit of theirs, and cannot be forgotten by a new write path. At `after_flush` the
new rows have their ids and defaults, and attribute history still tells what changed.
Limits: Core statements (`session.execute(update(Item)...)`, bulk seeding, the admin bulk hard
delete) bypass the ORM and emit nothing; of those, two carry an event and write it themselves
with `write`: the item create (`item.created`, a Core INSERT for speed) and the admin service's
guarded user update (`user.deactivated`, `record_user_deactivated`).

Fan-out happens here too, in the same transaction: a subscription hears about a resource when
it is enabled and its owner is active and either owns the resource or is an administrator
whose subscription was made with the admin scopes (`hears_everyone`; `user.deactivated` goes
to those only). Deliveries are then claimed by the worker, which checks the same rule again
(`readable_by_subscriber`) and fails, unsent, what the owner may no longer read.
"""

import uuid
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, event, exists, insert, inspect, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from api.core.config import UploadSettings
from api.webhooks import ADMIN_ONLY_EVENTS
from models import Item, Upload, User, WebhookDelivery, WebhookEvent, WebhookSubscription, db
from models.base import isoformat, utcnow

Change = tuple[str, int | None, dict[str, Any]]  # (type, owner id, resource)


def new_event_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def envelope(event_id: str, event_type: str, at: datetime, data: dict[str, Any]) -> dict[str, Any]:
    """The body every receiver gets (Standard Webhooks' recommended `type`/`timestamp`/`data`)."""
    return {"id": event_id, "type": event_type, "timestamp": at.isoformat(), "data": data}


def _upload(upload: Upload) -> dict[str, Any]:
    """The API's own representation (its signed `url` works as it does for the owner)."""
    from api.services.uploads import represent  # it imports this module (webhook events)

    data = represent(upload, UploadSettings.of(current_app.config))
    return {**data, "url_expires_at": isoformat(data["url_expires_at"])}


def _changed(obj: Any, *names: str) -> bool:
    attrs = inspect(obj).attrs
    return any(attrs[name].history.has_changes() for name in names)


def _item_changes(item: Item) -> list[Change]:
    data = item.to_dict()
    changes: list[Change] = []
    if _changed(item, "name", "description"):
        changes.append(("item.updated", item.user_id, data))
    if _changed(item, "is_active"):
        changes.append(("item.restored" if item.is_active else "item.deleted", item.user_id, data))
    return changes


def collect(session: Session) -> list[Change]:
    changes: list[Change] = []
    for obj in session.new:
        if isinstance(obj, Item):
            changes.append(("item.created", obj.user_id, obj.to_dict()))
        elif isinstance(obj, Upload):
            changes.append(("upload.created", obj.user_id, _upload(obj)))
    for obj in session.dirty:
        if isinstance(obj, Item):
            changes.extend(_item_changes(obj))
        elif isinstance(obj, User) and _changed(obj, "is_active") and not obj.is_active:
            changes.append(("user.deactivated", obj.id, obj.to_dict()))
    for obj in session.deleted:
        if isinstance(obj, Upload):
            changes.append(("upload.deleted", obj.user_id, _upload(obj)))
    return changes


def record_user_deactivated(connection: Connection, user: User) -> None:
    """For a deactivation made by a Core statement (the last-admin guard's conditional UPDATE),
    which the `after_flush` hook does not see."""
    write(connection, [("user.deactivated", user.id, user.to_dict())])


def record_upload_deleted(connection: Connection, upload: Upload) -> None:
    """For an upload row removed by a Core DELETE (the one of concurrent finishers of its
    deletion that removed it), which the `after_flush` hook does not see."""
    write(connection, [("upload.deleted", upload.user_id, _upload(upload))])


_SUBSCRIBERS = (
    select(WebhookSubscription.id, WebhookSubscription.user_id, WebhookSubscription.events)
    .add_columns((WebhookSubscription.hears_everyone & User.is_admin).label("hears_everyone"))
    .join(User, User.id == WebhookSubscription.user_id)
    .where(WebhookSubscription.enabled.is_(True), User.is_active.is_(True))
)


def readable_by_subscriber() -> ColumnElement[bool]:
    """The rule of `write` again, for a `WebhookDelivery` row at send time: the owner may have
    been deactivated or demoted since the event was queued, and a retry must not reach them."""
    d, e, s = WebhookDelivery, WebhookEvent, WebhookSubscription
    return exists().where(
        s.id == d.subscription_id,
        e.id == d.event_id,
        User.id == s.user_id,
        User.is_active.is_(True),
        or_(
            s.hears_everyone & User.is_admin,
            (e.owner_id == s.user_id) & e.type.not_in(ADMIN_ONLY_EVENTS),
        ),
    )


def write(connection: Connection, changes: list[Change]) -> None:
    """One event row per change, one delivery per interested subscription (same transaction)."""
    subscribers = connection.execute(_SUBSCRIBERS).all()
    now = utcnow()
    events, deliveries = [], []
    for event_type, owner_id, data in changes:
        targets = [
            s.id
            for s in subscribers
            if event_type in (s.events or [])
            and (
                s.hears_everyone or (s.user_id == owner_id and event_type not in ADMIN_ONLY_EVENTS)
            )
        ]
        if not targets:
            continue  # nobody listens: nothing to deliver, nothing to keep
        event_id = new_event_id()
        events.append(
            {
                "id": event_id,
                "type": event_type,
                "payload": envelope(event_id, event_type, now, data),
                "owner_id": owner_id,
                "created_at": now,
            }
        )
        deliveries += [
            {"event_id": event_id, "subscription_id": target, "next_attempt_at": now,
             "created_at": now, "status": "pending", "attempts": 0}
            for target in targets
        ]  # fmt: skip
    if events:
        connection.execute(insert(WebhookEvent), events)
        connection.execute(insert(WebhookDelivery), deliveries)


# On this app's sessions only (`db.session`), not on every SQLAlchemy Session in the process.
@event.listens_for(db.session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    if changes := collect(session):
        write(session.connection(), changes)
