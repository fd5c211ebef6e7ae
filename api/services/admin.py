"""Administration: statistics, item moderation and user management."""

from typing import Any

from sqlalchemy import (
    ColumnElement,
    ScalarSelect,
    UnaryExpression,
    and_,
    case,
    delete,
    func,
    or_,
    select,
    update,
)

from api.services import audit, tokens
from api.services.errors import Conflict, NotFound
from api.services.locking import locked
from api.services.pagination import Page, escape_like, paginate
from api.webhooks import outbox
from models import Item, Principal, User, db
from models.base import execute_dml

USER_SORTS: dict[str, tuple[UnaryExpression[Any], ...]] = {
    "created_at": (User.created_at.asc(), User.id.asc()),
    "-created_at": (User.created_at.desc(), User.id.desc()),
    "username": (User.username.asc(), User.id.asc()),
    "-username": (User.username.desc(), User.id.desc()),
}


def _count_where(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def stats() -> dict[str, Any]:
    total, active = db.session.execute(
        select(func.count(Item.id), _count_where(Item.is_active.is_(True)))
    ).one()
    users, active_users, admins = db.session.execute(
        select(
            func.count(User.id),
            _count_where(User.is_active.is_(True)),
            _count_where(User.is_admin.is_(True)),
        )
    ).one()
    return {
        "total": total,
        "active": active,
        "inactive": total - active,
        "users": {"total": users, "active": active_users, "admins": admins},
    }


def get_item(item_id: int) -> Item:
    """The item to toggle, locked until the toggle commits (concurrent toggles all flip)."""
    item = locked(Item, item_id)
    if item is None:
        raise NotFound("Item not found")
    return item


def toggle_item(item: Item, *, actor: Principal) -> Item:
    item.is_active = not item.is_active
    audit.record(
        actor=actor,
        action="item.toggle",
        target_type="item",
        target_id=item.id,
        is_active=item.is_active,
    )
    db.session.commit()
    return item


def bulk_delete(ids: list[int], *, actor: Principal) -> dict[str, Any]:
    wanted = list(dict.fromkeys(ids))  # de-duplicate, keep the caller's order
    # The rows this statement deleted: of two concurrent bulk deletes each reports its own.
    deleted = delete(Item).where(Item.id.in_(wanted)).returning(Item.id)
    found = set(db.session.scalars(deleted.execution_options(synchronize_session=False)))
    if found:
        audit.record(
            actor=actor,
            action="item.bulk_delete",
            target_type="item",
            target_id=",".join(str(i) for i in sorted(found))[:255],
            ids=sorted(found),
        )
    db.session.commit()
    return {"deleted": len(found), "not_found": [i for i in wanted if i not in found]}


def list_users(*, page: int, per_page: int, q: str | None, sort: str) -> Page[User]:
    query = select(User).order_by(*USER_SORTS[sort])
    if q:
        pattern = f"%{escape_like(q.lower())}%"
        query = query.where(
            func.lower(User.username).like(pattern, escape="\\")
            | func.lower(User.email).like(pattern, escape="\\")
        )
    return paginate(query, page=page, per_page=per_page)


def _get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("User not found")
    return user


LAST_ADMIN = "There must always be at least one active administrator"


def update_user(
    user_id: int, *, actor: Principal, is_admin: bool | None = None, is_active: bool | None = None
) -> User:
    user = _get_user(user_id)
    if user.id == actor.id and (is_admin is False or is_active is False):
        raise Conflict("Administrators cannot demote or deactivate themselves")
    changes: dict[str, bool] = {}
    if is_admin is not None and is_admin != user.is_admin:
        changes["is_admin"] = is_admin
    if is_active is not None and is_active != user.is_active:
        changes["is_active"] = is_active
    if not changes:
        return user
    values: dict[str, Any] = dict(changes)
    if is_active is False:
        values["token_version"] = User.token_version + 1  # stays dead even after reactivation
    statement = update(User).where(User.id == user.id).values(**values)
    if is_admin is False or is_active is False:  # judged on the row as it is when updated
        still_admin = and_(User.is_admin.is_(True), User.is_active.is_(True))
        statement = statement.where(or_(~still_admin, _other_active_admins(user.id) >= 1))
    statement = statement.execution_options(synchronize_session=False)
    if execute_dml(statement).rowcount != 1:
        db.session.rollback()
        raise Conflict(LAST_ADMIN)
    details: dict[str, Any] = dict(changes)
    if is_active is False:
        details["revoked_personal_access_tokens"] = tokens.revoke_all_for_user(user.id)
        # The guarded UPDATE above is a Core statement, which the outbox's ORM hook cannot see:
        # record `user.deactivated` here, in the same transaction.
        db.session.refresh(user)
        outbox.record_user_deactivated(db.session.connection(), user)
    elif is_admin is False:  # else a promotion would bring its admin tokens back to life
        details["revoked_personal_access_tokens"] = tokens.revoke_admin_tokens_for_user(user.id)
    audit.record(
        actor=actor, action="user.update", target_type="user", target_id=user.id, **details
    )
    db.session.commit()
    db.session.refresh(user)
    return user


def _other_active_admins(user_id: int) -> ScalarSelect[int]:
    """How many active admins other than `user_id` there are, counted inside the UPDATE.

    Check and change are one statement, so they cannot interleave with another admin change:
    SQLite runs one writer at a time, and on PostgreSQL the active admins' rows are locked
    first (in id order, no deadlock), so of two admins demoting each other the second waits,
    then counts again and finds no other active admin.
    """
    admins = select(User.id).where(User.is_admin.is_(True), User.is_active.is_(True))
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(admins.order_by(User.id).with_for_update()).all()
    others = admins.where(User.id != user_id).subquery()
    return select(func.count()).select_from(others).scalar_subquery()


def toggle_user(user_id: int, *, actor: Principal) -> User:
    user = _get_user(user_id)
    return update_user(user_id, actor=actor, is_active=not user.is_active)
