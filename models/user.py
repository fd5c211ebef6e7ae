from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Boolean, Index, Integer, String, false, func, true
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Model, UTCDateTime, isoformat, utcnow


class Principal(Protocol):
    """Who is acting: a `User`, or the read-only row the token check returns for one."""

    id: int
    is_admin: bool


class User(Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(128))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Bumped on password change and deactivation: every token carrying an older value is dead.
    token_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    last_login: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def invalidate_tokens(self) -> None:
        self.token_version += 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "username": self.username,
            "email": self.email,
            "is_admin": self.is_admin,
            "is_active": self.is_active,
            "created_at": isoformat(self.created_at),
            "last_login": isoformat(self.last_login),
        }

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username!r}>"


# Usernames are unique regardless of case, and looked up case-insensitively through this index.
Index("uq_users_username_lower", func.lower(User.username), unique=True)
