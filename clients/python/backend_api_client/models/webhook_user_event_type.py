from enum import StrEnum


class WebhookUserEventType(StrEnum):
    USER_DEACTIVATED = "user.deactivated"

    def __str__(self) -> str:
        return str(self.value)
