from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select

from models import db

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    total: int
    page: int
    per_page: int
    next_cursor: str | None = None
    keyset: bool = False  # the client paginates by cursor: include `next_cursor`

    def to_dict(self) -> dict[str, Any]:
        body = {
            "items": self.items,
            "total": self.total,
            "page": self.page,
            "per_page": self.per_page,
        }
        if self.keyset:
            body["next_cursor"] = self.next_cursor
        return body


def escape_like(text: str) -> str:
    """Make `%` and `_` literal in a LIKE pattern (use with `escape="\\"`)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def count_rows(query: Select[Any]) -> int:
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


def paginate(query: Select[T], *, page: int, per_page: int) -> Page[T]:
    """Run one COUNT and one LIMIT/OFFSET query for an already filtered, ordered select."""
    rows = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).all()
    return Page(items=list(rows), total=count_rows(query), page=page, per_page=per_page)
