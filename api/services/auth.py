"""Accounts and tokens: registration, login, logout, password change."""

import logging
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from sqlalchemy import bindparam, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from api.core.config import AuthSettings
from api.core.direct_reads import DirectRead
from api.core.logs import log_event
from api.core.passwords import password_weakness
from api.core.scopes import as_string, effective, role_scopes
from api.core.security import (
    IssuedToken,
    create_token,
    decode_token,
    derive_jti,
    dummy_hash,
    hash_password,
    verify_password,
)
from api.services import audit
from api.services import tokens as token_service
from api.services.errors import (
    Conflict,
    Invalid,
    NotAuthenticated,
    ServiceError,
    WrongCurrentPassword,
)
from api.services.locking import locked
from models import (
    PasswordResetToken,
    Principal,
    RefreshToken,
    RevokedToken,
    TokenFamily,
    User,
    db,
    utcnow,
)
from models.base import execute_dml

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
# The request model's `pattern` is searched with `$`, which also matches before a trailing
# newline; this full match is the authoritative check.
USERNAME_RE = re.compile(r"[A-Za-z0-9_.-]{3,80}")
INVALID_CREDENTIALS = "Invalid username or password"


def password_problem(password: str, *, username: str = "", email: str = "") -> str | None:
    """Why `password` may not be set for this account, or None: the one check every place
    that sets a password calls (see api/core/passwords.py for the policy)."""
    return password_weakness(password, (username, email))


def register(*, username: str, email: str, password: str, rounds: int) -> User:
    email = email.strip().lower()
    problems = {}
    if not USERNAME_RE.fullmatch(username):
        problems["username"] = "must be 3-80 letters, digits, '_', '.' or '-'"
    if not EMAIL_RE.match(email):
        problems["email"] = "is not a valid email address"
    if reason := password_problem(password, username=username, email=email):
        problems["password"] = reason
    if problems:
        raise Invalid(problems)
    taken = db.session.execute(
        select(User.username, User.email).where(
            or_(func.lower(User.username) == username.lower(), User.email == email)
        )
    ).first()
    if taken is not None:
        field = "username" if taken.username.lower() == username.lower() else "email"
        raise Conflict(f"That {field} is already registered", errors={field: "already taken"})
    user = User(
        username=username, email=email, password_hash=hash_password(password, rounds=rounds)
    )
    return _insert_user(user)


def _insert_user(user: User) -> User:
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:  # lost a race with a concurrent registration
        db.session.rollback()
        raise Conflict("That username or email is already registered") from None
    return user


def authenticate(*, identifier: str, password: str, rounds: int) -> User:
    """Return the active user with these credentials, or raise one indistinct 401.

    A missing user still costs one bcrypt check, so timing does not reveal which part failed.
    """
    column = User.email if "@" in identifier else func.lower(User.username)
    user = db.session.scalar(select(User).where(column == identifier.strip().lower()))
    if user is None:
        verify_password(password, dummy_hash(rounds))
        log_event("login_failed", logging.WARNING, username=identifier[:80], reason="unknown")
        raise NotAuthenticated(INVALID_CREDENTIALS)
    if not verify_password(password, user.password_hash) or not user.is_active:
        reason = "inactive" if user.is_active is False else "password"
        log_event("login_failed", logging.WARNING, user_id=user.id, reason=reason)
        raise NotAuthenticated(INVALID_CREDENTIALS)
    user.last_login = utcnow()
    db.session.commit()
    log_event("login", user_id=user.id)
    return user


def token_response(
    user: User, settings: AuthSettings, *, scope: str | None = None
) -> dict[str, Any]:
    """A new login: an access token and a refresh token of a new family (rotation, which
    continues a family, goes through `refresh`). `scope` narrows it to some OAuth2 scopes (the
    refresh token keeps them for its successors); absent, the tokens carry every scope of the
    user's role."""
    now, family_id = utcnow(), str(uuid.uuid4())
    access, refresh_token = _issue_pair(user, family_id, settings, now=now, scope=scope)
    db.session.add(
        TokenFamily(
            id=family_id, user_id=user.id, created_at=now, expires_at=_kept_until(now, settings)
        )
    )
    _record_refresh_token(user, family_id, refresh_token)
    db.session.commit()
    return _token_body(user, access, refresh_token, scope)


def _issue_pair(
    user: User,
    family_id: str,
    settings: AuthSettings,
    *,
    now: datetime,
    parent_jti: str | None = None,
    scope: str | None = None,
) -> tuple[IssuedToken, IssuedToken]:
    """Sign an access and a refresh token. Rotating `parent_jti` at `now` always yields the
    same two tokens (ids derived from the parent, whole-second times), which is how a retry
    within the reuse interval gets the same pair back without any token being stored."""
    secret = settings.jwt_secret

    def sign(kind: str, expires_in: int) -> IssuedToken:
        jti = derive_jti(secret, parent_jti, kind) if parent_jti else None
        return create_token(
            kind=kind,
            expires_in=expires_in,
            jti=jti,
            user_id=user.id,
            version=user.token_version,
            family_id=family_id,
            secret=secret,
            now=now,
            issuer=settings.issuer,
            audience=settings.audience,
            scope=scope,
        )

    return (
        sign("access", settings.access_expires),
        sign("refresh", settings.refresh_expires),
    )


def _record_refresh_token(user: User, family_id: str, token: IssuedToken) -> None:
    db.session.add(
        RefreshToken(
            jti=token.jti,
            family_id=family_id,
            user_id=user.id,
            expires_at=token.expires_at,
            version=user.token_version,
        )
    )


def _token_body(
    user: User, access: IssuedToken, refresh_token: IssuedToken, scope: str | None
) -> dict[str, Any]:
    return {
        "token": access.token,
        "token_type": "Bearer",
        "expires_in": access.expires_in,
        "refresh_token": refresh_token.token,
        "refresh_expires_in": refresh_token.expires_in,
        "scope": scope if scope is not None else as_string(role_scopes(is_admin=user.is_admin)),
        "user": user,
    }


def _kept_until(now: datetime, settings: AuthSettings) -> datetime:
    """How long a family's row (and so its revocation) must be kept: past the expiry of any
    token issued from it at `now`."""
    return now + timedelta(seconds=max(settings.access_expires, settings.refresh_expires))


# Built once (this runs on every authenticated request): the user, and whether the token
# itself (logout) or its login family (logout, reuse detection) was revoked.
# The user comes back as a plain row: most requests only read it (id, role); change-password,
# the one that writes, loads the ORM object itself.
_TOKEN_USER = DirectRead(
    select(
        *User.__table__.c,
        or_(
            select(RevokedToken.jti)
            .where(or_(RevokedToken.jti == bindparam("jti"), RevokedToken.jti == bindparam("fid")))
            .exists(),
            select(TokenFamily.id)
            .where(TokenFamily.id == bindparam("fid"), TokenFamily.revoked_at.is_not(None))
            .exists(),
        ).label("is_revoked"),
    ).where(User.id == bindparam("user_id"))
)


def user_for_claims(claims: dict[str, Any]) -> Principal | None:
    """The token's user (a read-only row) if the token is still honoured: active user, same
    token version, and neither the token nor its login family revoked."""
    user = _TOKEN_USER.first(
        db.engine, user_id=int(claims["sub"]), jti=claims["jti"], fid=claims["fid"]
    )
    if user is None or user.is_revoked:
        return None
    if not user.is_active or user.token_version != claims["ver"]:
        return None
    principal: Principal = user
    return principal


def _lock_live_family(family_id: str, user_id: int, now: datetime, settings: AuthSettings) -> bool:
    """Take the family's row lock (PostgreSQL: the row; SQLite: the database) if the family is
    live. Every rotation and revocation starts here, so they never interleave."""
    return bool(
        execute_dml(
            update(TokenFamily)
            .where(
                TokenFamily.id == family_id,
                TokenFamily.user_id == user_id,
                TokenFamily.revoked_at.is_(None),
            )
            .values(expires_at=_kept_until(now, settings))
        ).rowcount
    )


def _revoke_family(family_id: str, *, user_id: int, now: datetime, settings: AuthSettings) -> None:
    """Kill a login for good: its row says revoked for as long as any of its tokens lives."""
    found = execute_dml(
        update(TokenFamily)
        .where(TokenFamily.id == family_id)
        .values(revoked_at=func.coalesce(TokenFamily.revoked_at, now))
    ).rowcount
    if not found:  # a token from before families were recorded: record the revocation
        family = TokenFamily(
            id=family_id,
            user_id=user_id,
            created_at=now,
            expires_at=_kept_until(now, settings),
            revoked_at=now,
        )
        try:
            with db.session.begin_nested():
                db.session.add(family)
        except IntegrityError:  # a concurrent logout recorded it first
            pass
    db.session.execute(
        update(RefreshToken).where(RefreshToken.family_id == family_id).values(revoked=True)
    )


def revoke(claims: dict[str, Any], settings: AuthSettings) -> None:
    """Log out: the access token and its whole login family (refresh tokens included)."""
    now = utcnow()
    _revoke_family(claims["fid"], user_id=int(claims["sub"]), now=now, settings=settings)
    expires_at = datetime.fromtimestamp(claims["exp"], UTC)
    db.session.merge(RevokedToken(jti=claims["jti"], expires_at=expires_at))
    db.session.commit()


def role_scopes_of(user_id: int) -> frozenset[str]:
    """Every scope of the user's current role (none for a user who no longer exists)."""
    user = db.session.get(User, user_id)
    return role_scopes(is_admin=user.is_admin) if user is not None else frozenset()


def decode_refresh_token(refresh_token: str, settings: AuthSettings) -> dict[str, Any]:
    """The claims of a valid refresh token of this server, or `jwt.InvalidTokenError`."""
    return decode_token(
        refresh_token,
        secret=settings.jwt_secret,
        kind="refresh",
        issuer=settings.issuer,
        audience=settings.audience,
    )


def refresh(
    refresh_token: str, settings: AuthSettings, *, scope: str | None = None
) -> dict[str, Any]:
    """Rotate a refresh token.

    Presented again within `REFRESH_REUSE_INTERVAL` seconds of its rotation (a client retrying
    after a lost response), it returns the same new pair; later, it is reuse of a stolen token
    and revokes its whole family. `scope` narrows the new pair (the caller checked it is within
    the old one's); absent, the pair keeps the old one's scopes.
    """
    try:
        claims = decode_refresh_token(refresh_token, settings)
    except jwt.ExpiredSignatureError:
        raise NotAuthenticated("Refresh token has expired") from None
    except jwt.InvalidTokenError:
        raise NotAuthenticated("Invalid refresh token") from None
    now, user_id, family_id = utcnow(), int(claims["sub"]), claims["fid"]
    try:
        if not _lock_live_family(family_id, user_id, now, settings):
            raise NotAuthenticated("Refresh token has been revoked; please log in again")
        body = _rotate(claims, now, scope, settings)
    except ServiceError:
        db.session.commit()  # a revocation must stick; either way the lock is released
        raise
    db.session.commit()
    return body


def _rotate(
    claims: dict[str, Any], now: datetime, scope: str | None, settings: AuthSettings
) -> dict[str, Any]:
    """With the family locked: rotate the token, replay a recent rotation, or detect reuse."""
    jti, family_id, user_id = claims["jti"], claims["fid"], int(claims["sub"])
    claimed = execute_dml(
        update(RefreshToken)
        .where(
            RefreshToken.jti == jti,
            RefreshToken.family_id == family_id,
            RefreshToken.used_at.is_(None),
            RefreshToken.revoked.is_(False),
        )
        .values(used_at=now)
    ).rowcount
    rotated_at = now
    if not claimed:
        used_at = db.session.scalar(
            select(RefreshToken.used_at).where(
                RefreshToken.jti == jti, RefreshToken.family_id == family_id
            )
        )
        if used_at is None:  # never issued (or purged): nothing to replay, nothing to revoke
            raise NotAuthenticated("Invalid refresh token")
        if now - used_at >= timedelta(seconds=settings.reuse_interval):
            _revoke_family(family_id, user_id=user_id, now=now, settings=settings)
            log_event("refresh_token_reuse", logging.WARNING, user_id=user_id)
            raise NotAuthenticated("Refresh token already used; the login is revoked, log in again")
        rotated_at = used_at  # a retry: the same pair as the first time
    user = db.session.get(User, user_id)
    if user is None or not user.is_active or user.token_version != claims["ver"]:
        raise NotAuthenticated("Refresh token is no longer valid")
    scope = scope or claims.get("scope")
    if scope is not None:  # never more than the role holds now (a demotion meanwhile)
        scope = as_string(effective(scope.split(), is_admin=user.is_admin))
        if not scope:
            raise NotAuthenticated("No scope of this login is left to your role; log in again")
    access, successor = _issue_pair(
        user, family_id, settings, now=rotated_at, parent_jti=jti, scope=scope
    )
    if claimed:
        _record_refresh_token(user, family_id, successor)
    return _token_body(user, access, successor, scope)


def spend_reset_links(user_id: int) -> None:
    """End every outstanding password reset link of the user (a new password was set); the
    caller commits."""
    execute_dml(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user_id, PasswordResetToken.used_at.is_(None))
        .values(used_at=utcnow())
    )


def change_password(*, user_id: int, current_password: str, new_password: str, rounds: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotAuthenticated("Token is no longer valid")
    verified = user.password_hash
    if not verify_password(current_password, verified):
        raise WrongCurrentPassword(
            {"current_password": "is incorrect"}, "Current password is incorrect"
        )
    if current_password == new_password:
        raise Invalid({"new_password": "must differ from the current password"})
    if reason := password_problem(new_password, username=user.username, email=user.email):
        raise Invalid({"new_password": reason})
    new_hash = hash_password(new_password, rounds=rounds)
    # The bcrypt work done, the account again under its write lock: a deactivation meanwhile
    # stands (its token version is not written back over), and of two changes from the same
    # current password the second finds it changed, as it would one after the other.
    user = locked(User, user_id)
    if user is None or not user.is_active:
        raise NotAuthenticated("Token is no longer valid")
    if user.password_hash != verified:
        raise WrongCurrentPassword(
            {"current_password": "is incorrect"}, "Current password is incorrect"
        )
    user.password_hash = new_hash
    user.invalidate_tokens()  # every access and refresh JWT issued so far
    revoked = token_service.revoke_all_for_user(user.id)  # and every personal access token
    spend_reset_links(user.id)  # a link mailed before would set a password again
    audit.record(
        actor=user,
        action="password.change",
        target_type="user",
        target_id=user.id,
        revoked_personal_access_tokens=revoked,
    )
    db.session.commit()
    return user


def purge_expired_tokens() -> int:
    """Delete revocations and refresh tokens that have expired anyway; returns how many."""
    now = utcnow()
    removed = execute_dml(delete(RevokedToken).where(RevokedToken.expires_at < now)).rowcount
    removed += execute_dml(delete(RefreshToken).where(RefreshToken.expires_at < now)).rowcount
    # A family outlives all its tokens, so forgetting it forgets nothing that could be presented.
    removed += execute_dml(delete(TokenFamily).where(TokenFamily.expires_at < now)).rowcount
    db.session.commit()
    return removed


class AdminPasswordRefused(RuntimeError):
    """The admin would be created without a password, or with one the policy refuses."""


def ensure_admin(
    *,
    username: str,
    email: str,
    password: str | None,
    rounds: int,
    enforce_policy: bool = True,
) -> bool:
    """Create the admin if no user has that name; safe when several workers race.

    Only the development seed's default skips the password policy (`enforce_policy=False`);
    without a password (production without `ADMIN_PASSWORD`) the admin is not created.
    """
    if db.session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        return False
    if not password:
        raise AdminPasswordRefused(
            f"ADMIN_PASSWORD must be set to create the admin {username!r} in production"
        )
    if enforce_policy and (reason := password_problem(password, username=username, email=email)):
        raise AdminPasswordRefused(f"The admin password {reason}")
    admin = User(
        username=username,
        email=email.lower(),
        password_hash=hash_password(password, rounds=rounds),
        is_admin=True,
    )
    db.session.add(admin)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    return True
