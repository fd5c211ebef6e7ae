from enum import StrEnum


class WebhookUploadEventType(StrEnum):
    UPLOAD_CREATED = "upload.created"
    UPLOAD_DELETED = "upload.deleted"

    def __str__(self) -> str:
        return str(self.value)
