from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Model, UTCDateTime, isoformat, utcnow


class Upload(Model):
    """An uploaded file's metadata; its bytes live in the storage backend under `stored_name`.

    `deleted_at` set means the upload is being deleted: invisible to everyone, its object and
    row removed right after (or by `flask purge-uploads` if the process died in between).
    """

    __tablename__ = "uploads"
    # SQLite: never hand a deleted upload's id to a new one (migration 0014).
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(255), unique=True)
    size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(127))
    # Hex SHA-256 of the content; null for uploads stored before it was recorded.
    sha256: Mapped[str | None] = mapped_column(String(64))
    # Direct uploads: the staging object this one was copied from (api/services/direct_uploads).
    source_key: Mapped[str | None] = mapped_column(String(255), index=True, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "user_id": self.user_id,
            "filename": self.original_name,
            "size": self.size,
            "content_type": self.content_type,
            "sha256": self.sha256,
            "created_at": isoformat(self.created_at),
        }
