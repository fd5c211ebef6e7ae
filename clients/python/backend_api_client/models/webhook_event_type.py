from enum import StrEnum


class WebhookEventType(StrEnum):
    ITEM_CREATED = "item.created"
    ITEM_DELETED = "item.deleted"
    ITEM_RESTORED = "item.restored"
    ITEM_UPDATED = "item.updated"
    UPLOAD_CREATED = "upload.created"
    UPLOAD_DELETED = "upload.deleted"
    USER_DEACTIVATED = "user.deactivated"

    def __str__(self) -> str:
        return str(self.value)
