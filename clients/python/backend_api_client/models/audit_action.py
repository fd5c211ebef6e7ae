from enum import StrEnum


class AuditAction(StrEnum):
    ITEM_BULK_DELETE = "item.bulk_delete"
    ITEM_TOGGLE = "item.toggle"
    USER_UPDATE = "user.update"

    def __str__(self) -> str:
        return str(self.value)
