"""Password reset by email: request (202 always), deliver through the outbox, confirm.

The request only writes an outbox row with the address entered, the same work whether or not
an account has it, so neither the answer nor its timing tells which addresses are registered.
Delivery (after the response, and from `flask deliver-mail`) resolves the address, mints a
single-use token (only its SHA-256 is stored) and mails it; when SMTP fails the row is retried
with backoff, and the attempt is logged and counted.
"""

import hashlib
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update

from api.core.logs import log_event
from api.core.security import hash_password
from api.services import audit
from api.services import mail as mailer
from api.services import tokens as token_service
from api.services.auth import EMAIL_RE, password_problem, spend_reset_links
from api.services.errors import Invalid
from api.services.locking import locked
from models import OutboxMail, PasswordResetToken, RefreshToken, User, db, utcnow
from models.base import execute_dml

KIND = "password_reset"
# A claimed row is someone's for this long (longer than an SMTP timeout), then free again.
CLAIM_SECONDS = 120
# At most one reset mail per account in this window: requests from many addresses cannot
# flood an inbox, and the owner can still ask again a minute later.
RESEND_WINDOW = timedelta(seconds=60)
INVALID_TOKEN = "Invalid or expired password reset token"


@dataclass(frozen=True)
class ResetSettings:
    smtp: mailer.SmtpSettings
    token_ttl: int
    link: str  # "https://app.example.com/reset?token={token}", or "" for the token alone
    retry_seconds: int
    max_attempts: int
    bcrypt_rounds: int


def settings_from(config: Mapping[str, Any]) -> ResetSettings:
    return ResetSettings(
        smtp=mailer.SmtpSettings(
            url=config["SMTP_URL"],
            sender=config["MAIL_FROM"],
            timeout=config["SMTP_TIMEOUT"],
            production=config["APP_ENV"] == "production",
        ),
        token_ttl=config["PASSWORD_RESET_EXPIRES"],
        link=config["PASSWORD_RESET_URL"],
        retry_seconds=config["MAIL_RETRY_SECONDS"],
        max_attempts=config["MAIL_MAX_ATTEMPTS"],
        bcrypt_rounds=config["BCRYPT_ROUNDS"],
    )


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def request_reset(email: str) -> None:
    """Queue a reset mail for `email`; identical work whether or not an account has it."""
    email = email.strip().lower()
    if not EMAIL_RE.match(email):
        raise Invalid({"email": "is not a valid email address"})
    db.session.add(OutboxMail(kind=KIND, recipient=email))
    db.session.commit()


@dataclass
class DeliveryReport:
    outcomes: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: str) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1


def deliver_due(settings: ResetSettings, *, limit: int = 20) -> DeliveryReport:
    """Deliver up to `limit` due outbox rows, each claimed atomically (safe to run in every
    worker and instance at once: a row is sent by whoever claims it)."""
    report = DeliveryReport()
    tried: set[int] = set()  # one attempt per row and run, however short the retry delay
    for _ in range(limit):
        row = _claim_next(tried)
        if row is None:
            break
        tried.add(row.id)
        report.add(_deliver(row, settings))
    return report


def _claim_next(tried: set[int]) -> OutboxMail | None:
    now = utcnow()
    due = (
        (OutboxMail.status == "pending")
        & (OutboxMail.next_attempt_at <= now)
        & or_(OutboxMail.locked_until.is_(None), OutboxMail.locked_until < now)
    )
    query = select(OutboxMail.id).where(due).order_by(OutboxMail.next_attempt_at).limit(5)
    if tried:
        query = query.where(OutboxMail.id.not_in(tried))
    for candidate in db.session.scalars(query):
        claimed = execute_dml(
            update(OutboxMail)
            .where(OutboxMail.id == candidate, due)
            .values(locked_until=now + timedelta(seconds=CLAIM_SECONDS))
        ).rowcount
        db.session.commit()
        if claimed:
            return db.session.get(OutboxMail, candidate, populate_existing=True)
    return None


def _finish(row: OutboxMail, status: str, *, error: str | None = None) -> str:
    row.status, row.locked_until, row.last_error = status, None, error
    if status == "sent":
        row.sent_at = utcnow()
    db.session.commit()
    mailer.MAIL_EVENTS.labels(row.kind, status).inc()
    return status


def _deliver(row: OutboxMail, settings: ResetSettings) -> str:
    now = utcnow()
    if row.kind != KIND or now - row.created_at > timedelta(seconds=settings.token_ttl):
        return _finish(row, "dropped", error="expired before delivery")
    user = db.session.scalar(select(User).where(User.email == row.recipient))
    if user is not None:
        # Other workers may deliver this account's other requests right now: the check below
        # and the token it leads to are one step under the account's row lock (one mail).
        user = locked(User, user.id)
    if user is None or not user.is_active:
        return _finish(row, "dropped", error="no active account")
    recent = db.session.scalar(
        select(PasswordResetToken.id).where(
            PasswordResetToken.user_id == user.id,
            PasswordResetToken.created_at > now - RESEND_WINDOW,
        )
    )
    if recent is not None:
        return _finish(row, "dropped", error="a reset mail was sent a moment ago")
    secret = secrets.token_urlsafe(32)
    token = PasswordResetToken(
        user_id=user.id,
        token_hash=hash_token(secret),
        created_at=now,
        expires_at=now + timedelta(seconds=settings.token_ttl),
    )
    db.session.add(token)
    # Committed before the mail leaves: the link works the moment it arrives, and no
    # transaction (nor SQLite's write lock) stays open while the SMTP server takes its time.
    db.session.commit()
    try:
        outcome = mailer.send(_message(user, secret, settings), settings.smtp, kind=row.kind)
    except mailer.MailError as error:
        db.session.delete(token)  # never delivered: forget it (nobody knows its secret)
        db.session.commit()
        return _retry_later(row, settings, str(error))
    return _finish(row, "sent" if outcome == "sent" else "logged")


def _retry_later(row: OutboxMail, settings: ResetSettings, error: str) -> str:
    row = db.session.get(OutboxMail, row.id, populate_existing=True) or row
    row.attempts += 1
    if row.attempts >= settings.max_attempts:
        log_event("mail_failed", logging.ERROR, kind=row.kind, outbox_id=row.id, error=error)
        return _finish(row, "failed", error=error)
    delay = settings.retry_seconds * 2 ** (row.attempts - 1)
    row.next_attempt_at = utcnow() + timedelta(seconds=delay)
    log_event(
        "mail_retry",
        logging.WARNING,
        kind=row.kind,
        outbox_id=row.id,
        attempt=row.attempts,
        retry_in_s=delay,
        error=error,
    )
    row.locked_until, row.last_error = None, error
    db.session.commit()
    mailer.MAIL_EVENTS.labels(row.kind, "retry").inc()
    return "retry"


def _message(user: User, secret: str, settings: ResetSettings) -> mailer.Mail:
    minutes = settings.token_ttl // 60
    how = (
        f"Open this link to choose a new password:\n\n{settings.link.format(token=secret)}\n"
        if settings.link
        else "Send it with a new password to POST /api/auth/password-reset/confirm.\n"
    )
    body = (
        f"Hello {user.username},\n\n"
        "Someone (hopefully you) asked to reset the password of your account.\n\n"
        f"Your reset token: {secret}\n\n{how}\n"
        f"It works once and expires in {minutes} minutes. Resetting signs you out everywhere "
        "and revokes your personal access tokens.\n\n"
        "If you did not ask for this, ignore this mail; your password stays as it is.\n"
    )
    return mailer.Mail(to=user.email, subject="Reset your password", body=body)


def confirm(*, token: str, new_password: str, bcrypt_rounds: int) -> User:
    """Set a new password with a reset token: single use, then every session, refresh token
    and personal access token of the account is revoked."""
    token_hash = hash_token(token)
    # The policy with the account's name and email (as change-password applies it), checked
    # before the token is spent: a refused password leaves the link usable for another try.
    account = db.session.execute(
        select(User.username, User.email)
        .join(PasswordResetToken, PasswordResetToken.user_id == User.id)
        .where(PasswordResetToken.token_hash == token_hash)
    ).first()
    username, email = account if account is not None else ("", "")
    if reason := password_problem(new_password, username=username, email=email):
        raise Invalid({"new_password": reason})
    now = utcnow()
    # Mark it used atomically: of two concurrent confirmations exactly one wins.
    claimed = execute_dml(
        update(PasswordResetToken)
        .where(
            PasswordResetToken.token_hash == token_hash,
            PasswordResetToken.used_at.is_(None),
            PasswordResetToken.expires_at > now,
        )
        .values(used_at=now)
    ).rowcount
    if not claimed:
        db.session.rollback()
        raise Invalid({"token": "is invalid, expired or used"}, INVALID_TOKEN)
    reset = db.session.scalar(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == token_hash)
    )
    # Under its write lock: a deactivation meanwhile is not undone by the token version below.
    user = locked(User, reset.user_id) if reset is not None else None
    if user is None or not user.is_active:
        db.session.commit()
        raise Invalid({"token": "is invalid, expired or used"}, INVALID_TOKEN)
    user.password_hash = hash_password(new_password, rounds=bcrypt_rounds)
    user.invalidate_tokens()  # every access and refresh JWT issued so far
    db.session.execute(
        update(RefreshToken).where(RefreshToken.user_id == user.id).values(revoked=True)
    )
    revoked_pats = token_service.revoke_all_for_user(user.id)
    spend_reset_links(user.id)  # other outstanding reset links die with this one
    audit.record(
        actor=user,
        action="password.reset",
        target_type="user",
        target_id=user.id,
        revoked_personal_access_tokens=revoked_pats,
    )
    db.session.commit()
    log_event("password_reset", user_id=user.id)
    return user


def purge(*, older_than: timedelta = timedelta(days=1)) -> int:
    """Forget finished outbox rows and dead reset tokens; returns how many rows went."""
    cutoff = utcnow() - older_than
    removed = execute_dml(
        OutboxMail.__table__.delete().where(
            OutboxMail.status != "pending", OutboxMail.created_at < cutoff
        )
    ).rowcount
    removed += execute_dml(
        PasswordResetToken.__table__.delete().where(PasswordResetToken.expires_at < cutoff)
    ).rowcount
    db.session.commit()
    return removed
