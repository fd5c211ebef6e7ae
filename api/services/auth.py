"""Accounts and tokens: registration, login, logout, password change."""

import logging
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from flask import current_app
from sqlalchemy import bindparam, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from api.errors import ApiError, validation_error
from api.observability import log_event
from api.scopes import as_string, role_scopes
from api.security import (
    MAX_PASSWORD_BYTES,
    create_token,
    decode_token,
    dummy_hash,
    hash_password,
    verify_password,
)
from models import RefreshToken, RevokedToken, User, db, utcnow

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
# The request model's `pattern` is searched with `$`, which also matches before a trailing
# newline; this full match is the authoritative check.
USERNAME_RE = re.compile(r"[A-Za-z0-9_.-]{3,80}")
MIN_PASSWORD_BYTES = 8
INVALID_CREDENTIALS = "Invalid username or password"


def password_problem(password: str) -> str | None:
    size = len(password.encode())
    if size < MIN_PASSWORD_BYTES:
        return f"must be at least {MIN_PASSWORD_BYTES} bytes"
    if size > MAX_PASSWORD_BYTES:
        return f"must be at most {MAX_PASSWORD_BYTES} bytes (UTF-8)"
    return None


def _rounds() -> int:
    return current_app.config["BCRYPT_ROUNDS"]


def register(*, username: str, email: str, password: str) -> User:
    email = email.strip().lower()
    problems = {}
    if not USERNAME_RE.fullmatch(username):
        problems["username"] = "must be 3-80 letters, digits, '_', '.' or '-'"
    if not EMAIL_RE.match(email):
        problems["email"] = "is not a valid email address"
    if reason := password_problem(password):
        problems["password"] = reason
    if problems:
        raise validation_error(problems)
    taken = db.session.execute(
        select(User.username, User.email).where(
            or_(func.lower(User.username) == username.lower(), User.email == email)
        )
    ).first()
    if taken is not None:
        field = "username" if taken.username.lower() == username.lower() else "email"
        raise ApiError(409, f"That {field} is already registered", errors={field: "already taken"})
    user = User(
        username=username, email=email, password_hash=hash_password(password, rounds=_rounds())
    )
    return _insert_user(user)


def _insert_user(user: User) -> User:
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:  # lost a race with a concurrent registration
        db.session.rollback()
        raise ApiError(409, "That username or email is already registered") from None
    return user


def authenticate(*, identifier: str, password: str) -> User:
    """Return the active user with these credentials, or raise one indistinct 401.

    A missing user still costs one bcrypt check, so timing does not reveal which part failed.
    """
    column = User.email if "@" in identifier else func.lower(User.username)
    user = db.session.scalar(select(User).where(column == identifier.strip().lower()))
    if user is None:
        verify_password(password, dummy_hash(_rounds()))
        log_event("login_failed", logging.WARNING, username=identifier[:80], reason="unknown")
        raise ApiError(401, INVALID_CREDENTIALS)
    if not verify_password(password, user.password_hash) or not user.is_active:
        reason = "inactive" if user.is_active is False else "password"
        log_event("login_failed", logging.WARNING, user_id=user.id, reason=reason)
        raise ApiError(401, INVALID_CREDENTIALS)
    user.last_login = utcnow()
    db.session.commit()
    log_event("login", user_id=user.id)
    return user


def token_response(
    user: User, *, family_id: str | None = None, scope: str | None = None
) -> dict[str, Any]:
    """A new access token and refresh token; `family_id` continues a rotated login, `scope`
    narrows it to some OAuth2 scopes (the refresh token keeps them for its successors)."""
    config = current_app.config
    family_id = family_id or str(uuid.uuid4())
    common = {
        "user_id": user.id,
        "version": user.token_version,
        "family_id": family_id,
        "secret": config["JWT_SECRET_KEY"],
        "scope": scope,
    }
    access = create_token(kind="access", expires_in=config["ACCESS_TOKEN_EXPIRES"], **common)
    refresh = create_token(kind="refresh", expires_in=config["REFRESH_TOKEN_EXPIRES"], **common)
    db.session.add(
        RefreshToken(
            jti=refresh.jti,
            family_id=family_id,
            user_id=user.id,
            expires_at=refresh.expires_at,
            version=user.token_version,
        )
    )
    db.session.commit()
    return {
        "token": access.token,
        "token_type": "Bearer",
        "expires_in": access.expires_in,
        "refresh_token": refresh.token,
        "refresh_expires_in": refresh.expires_in,
        "scope": scope if scope is not None else as_string(role_scopes(is_admin=user.is_admin)),
        "user": user,
    }


# Built once (this runs on every authenticated request): the user, and whether the token
# itself (logout) or its login family (refresh-token reuse) was revoked.
# The user comes back as a plain row: most requests only read it (id, role); change-password,
# the one that writes, loads the ORM object itself.
_TOKEN_USER = select(
    *User.__table__.c,
    select(RevokedToken.jti)
    .where(or_(RevokedToken.jti == bindparam("jti"), RevokedToken.jti == bindparam("fid")))
    .exists()
    .label("is_revoked"),
).where(User.id == bindparam("user_id"))


def user_for_claims(claims: dict[str, Any]) -> Any | None:
    """The token's user (a read-only row) if the token is still honoured: active user, same
    token version, and neither the token nor its login family revoked."""
    params = {"user_id": int(claims["sub"]), "jti": claims["jti"], "fid": claims["fid"]}
    user = db.session.connection().execute(_TOKEN_USER, params).first()
    if user is None or user.is_revoked:
        return None
    if not user.is_active or user.token_version != claims["ver"]:
        return None
    return user


def _revoke_family(family_id: str) -> None:
    """Kill every refresh token of a login and the access tokens it issued."""
    db.session.execute(
        update(RefreshToken).where(RefreshToken.family_id == family_id).values(revoked=True)
    )
    lifetime = timedelta(seconds=current_app.config["ACCESS_TOKEN_EXPIRES"])
    db.session.merge(RevokedToken(jti=family_id, expires_at=utcnow() + lifetime))


def revoke(claims: dict[str, Any]) -> None:
    """Log out: the access token and its whole login family (refresh tokens included)."""
    expires_at = datetime.fromtimestamp(claims["exp"], UTC)
    db.session.merge(RevokedToken(jti=claims["jti"], expires_at=expires_at))
    _revoke_family(claims["fid"])
    db.session.commit()


def refresh(refresh_token: str, *, scope: str | None = None) -> dict[str, Any]:
    """Rotate a refresh token; presenting one that was already rotated revokes its family.
    `scope` narrows the new pair (the caller checked it is within the old one's)."""
    try:
        claims = decode_token(
            refresh_token, secret=current_app.config["JWT_SECRET_KEY"], kind="refresh"
        )
    except jwt.ExpiredSignatureError:
        raise ApiError(401, "Refresh token has expired") from None
    except jwt.InvalidTokenError:
        raise ApiError(401, "Invalid refresh token") from None
    # Mark it used atomically, so two concurrent refreshes cannot both rotate it.
    claimed = db.session.execute(
        update(RefreshToken)
        .where(
            RefreshToken.jti == claims["jti"],
            RefreshToken.used_at.is_(None),
            RefreshToken.revoked.is_(False),
        )
        .values(used_at=utcnow())
    ).rowcount
    if not claimed:
        _revoke_family(claims["fid"])
        db.session.commit()
        log_event("refresh_token_reuse", logging.WARNING, user_id=int(claims["sub"]))
        raise ApiError(401, "Refresh token already used or revoked; please log in again")
    user = db.session.get(User, int(claims["sub"]))
    if user is None or not user.is_active or user.token_version != claims["ver"]:
        db.session.commit()
        raise ApiError(401, "Refresh token is no longer valid")
    return token_response(
        user, family_id=claims["fid"], scope=scope if scope is not None else claims.get("scope")
    )


def change_password(*, user_id: int, current_password: str, new_password: str) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise ApiError(401, "Token is no longer valid")
    if not verify_password(current_password, user.password_hash):
        raise validation_error(
            {"current_password": "is incorrect"}, "Current password is incorrect"
        )
    if reason := password_problem(new_password):
        raise validation_error({"new_password": reason})
    if current_password == new_password:
        raise validation_error({"new_password": "must differ from the current password"})
    user.password_hash = hash_password(new_password, rounds=_rounds())
    user.invalidate_tokens()
    db.session.commit()
    return user


def purge_expired_tokens() -> int:
    """Delete revocations and refresh tokens that have expired anyway; returns how many."""
    now = utcnow()
    removed = db.session.execute(delete(RevokedToken).where(RevokedToken.expires_at < now)).rowcount
    removed += db.session.execute(
        delete(RefreshToken).where(RefreshToken.expires_at < now)
    ).rowcount
    db.session.commit()
    return removed


def ensure_admin(*, username: str, email: str, password: str) -> bool:
    """Create the admin if no user has that name; safe when several workers race."""
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        return False
    admin = User(
        username=username,
        email=email.lower(),
        password_hash=hash_password(password, rounds=_rounds()),
        is_admin=True,
    )
    db.session.add(admin)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    return True
