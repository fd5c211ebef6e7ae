from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Model, UTCDateTime, isoformat, utcnow


class RefreshToken(Model):
    """One refresh token of a rotation family; a reused (already rotated) one kills the family."""

    __tablename__ = "refresh_tokens"

    jti: Mapped[str] = mapped_column(String(36), primary_key=True)
    family_id: Mapped[str] = mapped_column(String(36), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    version: Mapped[int] = mapped_column(Integer)

    def to_dict(self) -> dict[str, object]:
        return {
            "jti": self.jti,
            "family_id": self.family_id,
            "user_id": self.user_id,
            "expires_at": isoformat(self.expires_at),
            "used_at": isoformat(self.used_at),
            "revoked": self.revoked,
        }


class TokenFamily(Model):
    """One login: every access and refresh token issued from it carries its id (`fid`).

    Rotation, logout and reuse detection all update this row first, so they serialise on its
    lock: a rotation either commits before a revocation (and its tokens die with the family) or
    finds the family revoked. The row outlives every token of the family (`expires_at`), so a
    revocation is never forgotten while one of its tokens could still be presented.
    """

    __tablename__ = "token_families"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "user_id": self.user_id,
            "created_at": isoformat(self.created_at),
            "expires_at": isoformat(self.expires_at),
            "revoked_at": isoformat(self.revoked_at),
        }
