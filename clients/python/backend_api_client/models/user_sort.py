from enum import StrEnum


class UserSort(StrEnum):
    CREATED_AT_ASC = "created_at"
    CREATED_AT_DESC = "-created_at"
    USERNAME_ASC = "username"
    USERNAME_DESC = "-username"

    def __str__(self) -> str:
        return str(self.value)
