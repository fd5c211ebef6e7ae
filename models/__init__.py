"""SQLAlchemy models. Importing this package registers every table on `db.metadata`."""

from models.access_token import PersonalAccessToken
from models.audit import AuditEntry
from models.base import db, utcnow
from models.idempotency import IdempotencyKey
from models.item import Item
from models.item_count import ItemChanges, ItemCount
from models.item_search import ItemCountedTerm, ItemGramCount
from models.password_reset import OutboxMail, PasswordResetToken
from models.refresh_token import RefreshToken, TokenFamily
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
    "ItemCountedTerm",
    "ItemGramCount",
    "OutboxMail",
    "PasswordResetToken",
    "PersonalAccessToken",
    "Principal",
    "RefreshToken",
    "RevokedToken",
    "TokenFamily",
    "Upload",
    "User",
    "WebhookDelivery",
    "WebhookEvent",
    "WebhookSubscription",
    "db",
    "utcnow",
]
