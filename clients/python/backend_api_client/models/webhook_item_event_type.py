from enum import StrEnum


class WebhookItemEventType(StrEnum):
    ITEM_CREATED = "item.created"
    ITEM_DELETED = "item.deleted"
    ITEM_RESTORED = "item.restored"
    ITEM_UPDATED = "item.updated"

    def __str__(self) -> str:
        return str(self.value)
