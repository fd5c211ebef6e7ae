"""Items: listing with filters, reading with visibility rules, writes with ownership checks."""

from typing import Any

from sqlalchemy import Select, select

from api.errors import ApiError
from api.services.pagination import Page, paginate
from models import Item, User, db

SORT_COLUMNS = {
    "created_at": (Item.created_at.asc(), Item.id.asc()),
    "-created_at": (Item.created_at.desc(), Item.id.desc()),
    "name": (Item.name.asc(), Item.id.asc()),
    "-name": (Item.name.desc(), Item.id.desc()),
}


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def filtered_items(
    *,
    q: str | None = None,
    owner_id: int | None = None,
    is_active: bool | None = None,
    sort: str = "-created_at",
) -> Select[Any]:
    query = select(Item)
    if is_active is not None:
        query = query.where(Item.is_active.is_(is_active))
    if owner_id is not None:
        query = query.where(Item.user_id == owner_id)
    if q:
        query = query.where(Item.name.ilike(f"%{_escape_like(q)}%", escape="\\"))
    return query.order_by(*SORT_COLUMNS[sort])


def list_items(*, page: int, per_page: int, **filters: Any) -> Page:
    return paginate(filtered_items(**filters), page=page, per_page=per_page)


def can_manage(user: User | None, item: Item) -> bool:
    return user is not None and (user.is_admin or item.user_id == user.id)


def get_visible(item_id: int, *, viewer: User | None) -> Item:
    """An active item, or an inactive one its owner or an admin asks for; else 404."""
    item = db.session.get(Item, item_id)
    if item is None or not (item.is_active or can_manage(viewer, item)):
        raise ApiError(404, "Item not found")
    return item


def get_manageable(item_id: int, *, user: User) -> Item:
    item = db.session.get(Item, item_id)
    if item is None:
        raise ApiError(404, "Item not found")
    if not can_manage(user, item):
        raise ApiError(403, "Only the owner or an administrator may change this item")
    return item


def create_item(*, owner: User, name: str, description: str | None = None) -> Item:
    item = Item(name=name, description=description or "", user_id=owner.id)
    db.session.add(item)
    db.session.commit()
    return item


def update_item(item: Item, *, name: str | None = None, description: str | None = None) -> Item:
    # Only these two fields are writable: no mass assignment of owner, state or timestamps.
    if name is not None:
        item.name = name
    if description is not None:
        item.description = description
    db.session.commit()
    return item


def soft_delete(item: Item) -> None:
    item.is_active = False
    db.session.commit()
