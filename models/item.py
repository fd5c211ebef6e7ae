from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import DDL, Boolean, ForeignKey, Index, Integer, String, Text, event, func, true
from sqlalchemy.orm import Mapped, mapped_column, validates

from models.base import Model, UTCDateTime, isoformat, utcnow


def fold(text: str) -> str:
    return text.casefold()


class ItemFields(Protocol):
    """What an item's representation reads: an `Item`, or a row of its columns."""

    id: int
    name: str
    description: str
    is_active: bool
    created_at: datetime
    updated_at: datetime
    user_id: int | None


def represent(item: ItemFields) -> dict[str, Any]:
    """An item as the API and its webhook events show it."""
    return {
        "id": item.id,
        "name": item.name,
        "description": item.description,
        "is_active": item.is_active,
        "created_at": isoformat(item.created_at),
        "updated_at": isoformat(item.updated_at),
        "user_id": item.user_id,
    }


class Item(Model):
    __tablename__ = "items"
    # One index per filter/sort the API offers; `id` breaks ties so pages are stable.
    __table_args__ = (
        Index("ix_items_active_created", "is_active", "created_at", "id"),
        Index("ix_items_active_name", "is_active", "name", "id"),
        Index("ix_items_user_created", "user_id", "created_at", "id"),
        Index("ix_items_created", "created_at", "id"),
        Index("ix_items_name", "name", "id"),
        # The change feed (`sort=updated_at`, `updated_since`) and the owner's own sorts.
        Index("ix_items_active_updated", "is_active", "updated_at", "id"),
        Index("ix_items_updated", "updated_at", "id"),
        Index("ix_items_user_updated", "user_id", "updated_at", "id"),
        Index("ix_items_user_name", "user_id", "name", "id"),
        # SQLite: never hand a hard-deleted item's id to a new one (migration 0014).
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    # `name` case-folded in Python, so search is case-insensitive for all of Unicode and
    # behaves the same on SQLite (whose LIKE folds ASCII only) and PostgreSQL.
    name_folded: Mapped[str] = mapped_column(Text, default="", server_default="")
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    @validates("name")
    def _fold_name(self, _key: str, name: str) -> str:
        self.name_folded = fold(name)
        return name

    def to_dict(self) -> dict[str, Any]:
        return represent(self)

    def __repr__(self) -> str:
        return f"<Item {self.id} {self.name!r}>"


event.listen(
    Item.__table__,
    "before_create",
    DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"),
)
# PostgreSQL's substring index: a GIN over each name's 1- to 3-character grams
# (models/item_search.py). SQLite has FTS5 tables instead, which the metadata does not hold.
Index("ix_items_name_grams", func.item_name_grams(Item.name_folded), postgresql_using="gin").ddl_if(
    dialect="postgresql"
)
