"""Personal access tokens: issue (secret shown once), list, revoke, and recognise on use.

A token is `bapi_pat_` + 43 URL-safe characters (256 random bits). Only its SHA-256 is stored:
with that much entropy an unkeyed hash cannot be guessed back, and unlike a keyed one it
survives a rotation of SECRET_KEY. No Flask request objects here; settings come as arguments.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, bindparam, or_, select, update

from api.core.scopes import ADMIN_ONLY, ScopeError, grant
from api.services import audit
from api.services.errors import Invalid, NotAuthenticated, NotFound
from api.services.pagination import Page, paginate
from models import PersonalAccessToken, Principal, User, db, utcnow
from models.base import execute_dml

PREFIX = "bapi_pat_"
SHOWN_PREFIX_CHARS = 8  # of the random part, kept in clear for lists ("bapi_pat_AbC123xY")
MAX_DAYS = 365
# `last_used_at` is written at most this often per token, not on every request.
LAST_USED_RESOLUTION = timedelta(seconds=60)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def looks_like_pat(token: str) -> bool:
    return token.startswith(PREFIX)


@dataclass(frozen=True)
class IssuedPat:
    token: PersonalAccessToken
    secret: str

    def to_dict(self) -> dict[str, Any]:
        return {**self.token.to_dict(), "token": self.secret}


def issue(
    *,
    user: Principal,
    name: str,
    scopes: list[str],
    expires_at: datetime,
    within: frozenset[str],
    version: int,
) -> IssuedPat:
    """Create a token for `user`; the secret is returned here and never again. `within`: the
    scopes of the token asking, which a new token never exceeds (a login narrowed to `account`
    cannot mint an `admin:write` token); `version`: the asking login's token version, which
    must still be the user's when the token is stored."""
    problems: dict[str, str] = {}
    name = name.strip()
    if not name:
        problems["name"] = "must not be blank"
    try:
        granted = grant(scopes, is_admin=user.is_admin)
        if not granted:
            problems["scopes"] = "must list at least one scope"
        elif beyond := [scope for scope in granted if scope not in within]:
            problems["scopes"] = f"beyond the scopes of the token asking: {', '.join(beyond)}"
    except ScopeError as error:
        problems["scopes"] = str(error)
        granted = []
    now = utcnow()
    if expires_at <= now:
        problems["expires_at"] = "must be in the future"
    elif expires_at > now + timedelta(days=MAX_DAYS):
        problems["expires_at"] = f"must be at most {MAX_DAYS} days from now"
    if problems:
        raise Invalid(problems)
    secret = PREFIX + secrets.token_urlsafe(32)
    token = PersonalAccessToken(
        user_id=user.id,
        name=name,
        prefix=secret[: len(PREFIX) + SHOWN_PREFIX_CHARS],
        token_hash=hash_secret(secret),
        scopes=" ".join(granted),
        created_at=now,
        expires_at=expires_at,
    )
    db.session.add(token)
    db.session.flush()
    _still_signed_in(user.id, version, admin=bool(ADMIN_ONLY & set(granted)))
    audit.record(
        actor=user,
        action="token.create",
        target_type="token",
        target_id=token.id,
        user_id=user.id,
        name=name,
        scopes=granted,
        expires_at=expires_at.isoformat(),
    )
    db.session.commit()
    return IssuedPat(token, secret)


def _live() -> ColumnElement[bool]:
    return PersonalAccessToken.revoked_at.is_(None) & (PersonalAccessToken.expires_at > utcnow())


def list_tokens(*, page: int, per_page: int, user_id: int | None = None) -> Page[dict[str, Any]]:
    """Unrevoked, unexpired tokens, newest first; every user's when `user_id` is None."""
    query = (
        select(PersonalAccessToken)
        .where(_live())
        .order_by(PersonalAccessToken.created_at.desc(), PersonalAccessToken.id.desc())
    )
    if user_id is not None:
        query = query.where(PersonalAccessToken.user_id == user_id)
    found = paginate(query, page=page, per_page=per_page)
    tokens = [token.to_dict() for token in found.items]
    return Page(tokens, found.total, found.page, found.per_page)


def revoke(token_id: int, *, actor: Principal, owner_id: int | None = None) -> None:
    """Revoke a token (the owner's only, when `owner_id` is given); 404 if not found or dead."""
    query = select(PersonalAccessToken).where(PersonalAccessToken.id == token_id, _live())
    if owner_id is not None:
        query = query.where(PersonalAccessToken.user_id == owner_id)
    token = db.session.scalar(query)
    if token is None:
        raise NotFound("Token not found")
    # Conditional, so two concurrent revokes record one revocation.
    revoked = execute_dml(
        update(PersonalAccessToken)
        .where(PersonalAccessToken.id == token.id, PersonalAccessToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    ).rowcount
    if not revoked:
        db.session.rollback()
        raise NotFound("Token not found")
    audit.record(
        actor=actor,
        action="token.revoke",
        target_type="token",
        target_id=token.id,
        user_id=token.user_id,
        name=token.name,
    )
    db.session.commit()


def _still_signed_in(user_id: int, version: int, *, admin: bool) -> None:
    """Checked after the insert, so it cannot interleave with a deactivation or password change
    (which revoke every token of the user), nor, for a token with an admin scope (`admin`), with
    a demotion (which revokes those): on SQLite the insert holds the write lock, on PostgreSQL
    `FOR SHARE` waits for a change of the user in flight, or holds the next one back until this
    token is stored (and then revoked with the others)."""
    current = db.session.execute(
        select(User.is_active, User.token_version, User.is_admin)
        .where(User.id == user_id)
        .with_for_update(read=True)
    ).one_or_none()
    if current is None or not current.is_active or current.token_version != version:
        db.session.rollback()
        raise NotAuthenticated("Token is no longer valid")
    if admin and not current.is_admin:
        db.session.rollback()
        raise Invalid({"scopes": "not allowed for your role: admin scopes"})


def revoke_all_for_user(user_id: int) -> int:
    """Revoke every token of a user (password change or reset); the caller commits."""
    return execute_dml(
        update(PersonalAccessToken)
        .where(PersonalAccessToken.user_id == user_id, PersonalAccessToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    ).rowcount


def revoke_admin_tokens_for_user(user_id: int) -> int:
    """Revoke a user's tokens that carry an admin scope (a demotion); the caller commits.
    Their other tokens go on working, with the scopes of the role the user has now."""
    carries_admin = or_(*(PersonalAccessToken.scopes.contains(s) for s in sorted(ADMIN_ONLY)))
    return execute_dml(
        update(PersonalAccessToken)
        .where(
            PersonalAccessToken.user_id == user_id,
            PersonalAccessToken.revoked_at.is_(None),
            carries_admin,
        )
        .values(revoked_at=utcnow())
    ).rowcount


# One query per request: the token and its user. The user comes back as a read-only row,
# like the JWT check's (see api/services/auth.py `user_for_claims`).
_TOKEN_USER = select(
    *User.__table__.c,
    PersonalAccessToken.id.label("pat_id"),
    PersonalAccessToken.scopes.label("pat_scopes"),
    PersonalAccessToken.expires_at.label("pat_expires_at"),
    PersonalAccessToken.revoked_at.label("pat_revoked_at"),
    PersonalAccessToken.last_used_at.label("pat_last_used_at"),
).where(
    PersonalAccessToken.token_hash == bindparam("token_hash"),
    User.id == PersonalAccessToken.user_id,
)


def user_for_pat(secret: str) -> tuple[Principal, list[str]] | None:
    """The user (read-only row) and the token's scopes, if the token is honoured: known,
    unrevoked, unexpired, and its user active (checked on every use)."""
    row = db.session.connection().execute(_TOKEN_USER, {"token_hash": hash_secret(secret)}).first()
    now = utcnow()
    if row is None or row.pat_revoked_at is not None or not row.is_active:
        return None
    if row.pat_expires_at <= now:
        return None
    _touch(row.pat_id, row.pat_last_used_at, now)
    return row, row.pat_scopes.split()


def _touch(token_id: int, last_used: datetime | None, now: datetime) -> None:
    """Record use at most once per LAST_USED_RESOLUTION: a read decides, a conditional write
    makes concurrent requests of the same token write once."""
    if last_used is not None and now - last_used < LAST_USED_RESOLUTION:
        return
    stale = now - LAST_USED_RESOLUTION
    db.session.execute(
        update(PersonalAccessToken)
        .where(
            PersonalAccessToken.id == token_id,
            (PersonalAccessToken.last_used_at.is_(None))
            | (PersonalAccessToken.last_used_at < stale),
        )
        .values(last_used_at=now)
    )
    db.session.commit()
