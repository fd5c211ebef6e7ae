from enum import StrEnum


class AuditAction(StrEnum):
    ITEM_BULK_DELETE = "item.bulk_delete"
    ITEM_DELETE = "item.delete"
    ITEM_TOGGLE = "item.toggle"
    ITEM_UPDATE = "item.update"
    PASSWORD_CHANGE = "password.change"
    PASSWORD_RESET = "password.reset"
    TOKEN_CREATE = "token.create"
    TOKEN_REVOKE = "token.revoke"
    UPLOAD_DELETE = "upload.delete"
    USER_UPDATE = "user.update"
    WEBHOOK_CREATE = "webhook.create"
    WEBHOOK_DELETE = "webhook.delete"
    WEBHOOK_PING = "webhook.ping"
    WEBHOOK_REDELIVER = "webhook.redeliver"
    WEBHOOK_ROTATE_SECRET = "webhook.rotate_secret"
    WEBHOOK_UPDATE = "webhook.update"

    def __str__(self) -> str:
        return str(self.value)
