from enum import StrEnum


class AuditTargetType(StrEnum):
    ITEM = "item"
    USER = "user"

    def __str__(self) -> str:
        return str(self.value)
