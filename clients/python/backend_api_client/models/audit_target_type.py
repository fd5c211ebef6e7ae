from enum import StrEnum


class AuditTargetType(StrEnum):
    ITEM = "item"
    TOKEN = "token"
    UPLOAD = "upload"
    USER = "user"
    WEBHOOK = "webhook"

    def __str__(self) -> str:
        return str(self.value)
