"""SQLAlchemy models. Importing this package registers every table on `db.metadata`."""

from models.audit import AuditEntry
from models.base import db, utcnow
from models.idempotency import IdempotencyKey
from models.item import Item
from models.item_count import ItemChanges, ItemCount
from models.refresh_token import RefreshToken
from models.token import RevokedToken
from models.upload import Upload
from models.user import Principal, User
from models.webhook import WebhookDelivery, WebhookEvent, WebhookSubscription

__all__ = [
    "AuditEntry",
    "IdempotencyKey",
    "Item",
    "ItemChanges",
    "ItemCount",
    "Principal",
    "RefreshToken",
    "RevokedToken",
    "Upload",
    "User",
    "WebhookDelivery",
    "WebhookEvent",
    "WebhookSubscription",
    "db",
    "utcnow",
]
