"""Accounts and tokens: registration, login, logout, password change."""

import re
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from api.errors import ApiError, validation_error
from api.security import (
    MAX_PASSWORD_BYTES,
    create_access_token,
    dummy_hash,
    hash_password,
    verify_password,
)
from models import RevokedToken, User, db, utcnow

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
        raise ApiError(401, INVALID_CREDENTIALS)
    if not verify_password(password, user.password_hash) or not user.is_active:
        raise ApiError(401, INVALID_CREDENTIALS)
    user.last_login = utcnow()
    db.session.commit()
    return user


def token_response(user: User) -> dict[str, Any]:
    config = current_app.config
    issued = create_access_token(
        user_id=user.id,
        version=user.token_version,
        secret=config["JWT_SECRET_KEY"],
        expires_in=config["ACCESS_TOKEN_EXPIRES"],
    )
    return {
        "token": issued.token,
        "token_type": "Bearer",
        "expires_in": issued.expires_in,
        "user": user,
    }


def user_for_claims(claims: dict[str, Any]) -> User | None:
    """The token's user if the token is still honoured (active, same version, not revoked)."""
    user = db.session.get(User, int(claims["sub"]))
    if user is None or not user.is_active or user.token_version != claims["ver"]:
        return None
    if db.session.get(RevokedToken, claims["jti"]) is not None:
        return None
    return user


def revoke(claims: dict[str, Any]) -> None:
    expires_at = datetime.fromtimestamp(claims["exp"], UTC)
    db.session.merge(RevokedToken(jti=claims["jti"], expires_at=expires_at))
    db.session.commit()


def change_password(*, user: User, current_password: str, new_password: str) -> None:
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


def purge_expired_revocations() -> int:
    """Delete revocations of tokens that have expired anyway; returns how many."""
    expired = db.session.scalars(
        select(RevokedToken).where(RevokedToken.expires_at < utcnow())
    ).all()
    for row in expired:
        db.session.delete(row)
    db.session.commit()
    return len(expired)


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
