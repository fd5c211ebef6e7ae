from enum import StrEnum


class Scope(StrEnum):
    ACCOUNT = "account"
    ADMIN_READ = "admin:read"
    ADMIN_WRITE = "admin:write"
    ITEMS_READ = "items:read"
    ITEMS_WRITE = "items:write"
    UPLOADS_READ = "uploads:read"
    UPLOADS_WRITE = "uploads:write"

    def __str__(self) -> str:
        return str(self.value)
