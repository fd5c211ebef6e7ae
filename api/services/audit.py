"""The admin audit log: every administrative change, with actor, target, time and request id."""

from typing import Any

from sqlalchemy import select

from api.core.logs import current_request_id, log_event
from api.services.pagination import Page, paginate
from models import AuditEntry, Principal, db


def record(
    *, actor: Principal, action: str, target_type: str, target_id: Any, **details: Any
) -> None:
    """Add an entry to the current transaction (committed with the change it describes)."""
    db.session.add(
        AuditEntry(
            actor_id=actor.id,
            action=action,
            target_type=target_type,
            target_id=str(target_id),
            details=details,
            request_id=current_request_id(),
        )
    )
    log_event(
        "admin_action",
        actor_id=actor.id,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
    )


def list_entries(
    *, page: int, per_page: int, action: str | None = None, actor_id: int | None = None
) -> Page[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    if action:
        query = query.where(AuditEntry.action == action)
    if actor_id is not None:
        query = query.where(AuditEntry.actor_id == actor_id)
    return paginate(query, page=page, per_page=per_page)
