"""Outgoing mail over SMTP (`SMTP_URL`, `MAIL_FROM`), or a log line when SMTP is not configured.

`SMTP_URL` forms: `smtp://host:port` (plain, STARTTLS when the server offers it),
`smtp+starttls://` (STARTTLS required), `smtps://` (implicit TLS); `user:password@` logs in.
No Flask here: settings come as arguments.
"""

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import unquote, urlsplit

from prometheus_client import Counter

from api.core.logs import log_event

MAIL_EVENTS = Counter(
    "mail_deliveries_total",
    "Outbox mail by outcome: sent, logged (no SMTP), retry (attempt failed), failed, dropped",
    ["kind", "outcome"],
)


class MailError(Exception):
    """The message could not be handed to the SMTP server (down, refused, timed out)."""


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


@dataclass(frozen=True)
class SmtpSettings:
    url: str | None
    sender: str
    timeout: float
    production: bool


def send(mail: Mail, settings: SmtpSettings, *, kind: str) -> str:
    """Deliver `mail`; returns "sent" or "logged". Raises `MailError` when SMTP fails."""
    if not settings.url:
        if settings.production:  # never log a secret link in production
            log_event("mail_not_sent", logging.WARNING, kind=kind, reason="SMTP_URL is not set")
        else:
            log_event("mail_logged", kind=kind, to=mail.to, subject=mail.subject, body=mail.body)
        return "logged"
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Message-ID"] = make_msgid(domain="backend-api")
    message.set_content(mail.body)
    try:
        with _connect(settings) as smtp:
            parts = urlsplit(settings.url)
            if parts.username:
                smtp.login(unquote(parts.username), unquote(parts.password or ""))
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        raise _failed(error) from error
    return "sent"


def check(settings: SmtpSettings) -> None:
    """Raises unless the SMTP server answers: connect (TLS as configured), `NOOP`, `QUIT`.
    No login: a health probe must never count against the account's failed logins."""
    try:
        with _connect(settings) as smtp:
            code, _ = smtp.noop()
            if code != 250:
                raise MailError(f"NOOP answered {code}")
    except (OSError, smtplib.SMTPException) as error:
        raise _failed(error) from error


def _failed(error: Exception) -> MailError:
    return MailError(f"{type(error).__name__}: {error}"[:250])


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    parts = urlsplit(settings.url or "")
    host, timeout = parts.hostname or "localhost", settings.timeout
    if parts.scheme == "smtps":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            host, parts.port or 465, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        smtp = smtplib.SMTP(host, parts.port or 25, timeout=timeout)
        try:
            smtp.ehlo()
            if parts.scheme == "smtp+starttls" or smtp.has_extn("starttls"):
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
        except BaseException:
            smtp.close()
            raise
    return smtp
