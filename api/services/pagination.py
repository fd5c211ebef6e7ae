from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select

from models import db


@dataclass(frozen=True)
class Page:
    items: list[Any]
    total: int
    page: int
    per_page: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "total": self.total,
            "page": self.page,
            "per_page": self.per_page,
        }


def paginate(query: Select[Any], *, page: int, per_page: int) -> Page:
    """Run one COUNT and one LIMIT/OFFSET query for an already filtered, ordered select."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).all()
    return Page(items=list(rows), total=total or 0, page=page, per_page=per_page)
