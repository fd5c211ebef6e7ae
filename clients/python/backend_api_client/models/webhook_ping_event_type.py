from enum import StrEnum


class WebhookPingEventType(StrEnum):
    PING = "ping"

    def __str__(self) -> str:
        return str(self.value)
