"""Password reset by email, through a real SMTP server on loopback (aiosmtpd).

`POST /api/auth/password-reset` answers 202 for any address and queues the mail in the outbox;
the mail goes out once the answer is sent (when the WSGI server closes the response) or from
`flask deliver-mail`, and is retried when SMTP is down.
"""

import os
import socket
import statistics
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import select

from models import AuditEntry, OutboxMail, PasswordResetToken, db
from tests.helpers import login, race, register
from tests.live import call, login_token, running_server
from tests.smtp import SmtpServer, reset_token

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def app_factory(app_factory, tmp_path) -> Callable[..., Any]:
    """Apps on a database file: the courier delivers on a thread of its own, and the in-memory
    default shares one connection between threads, so under load its commit could meet the
    test's own transaction ("cannot commit - no transaction is active")."""
    if os.environ.get("TEST_DATABASE_URL"):
        return app_factory

    def build(**overrides: Any) -> Any:
        overrides.setdefault("SQLALCHEMY_DATABASE_URI", f"sqlite:///{tmp_path / 'reset.db'}")
        return app_factory(**overrides)

    return build


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def app(app_factory, smtp):
    return app_factory(
        SMTP_URL=smtp.url,
        MAIL_FROM="Backend API <no-reply@example.com>",
        SMTP_TIMEOUT=2,
        MAIL_RETRY_SECONDS=0,
        PASSWORD_RESET_RATE_LIMIT="1000 per minute",
    )


def request_reset(client, email: str):
    # Buffered: the test client then closes the response as a WSGI server does once the answer
    # is sent, which wakes the courier thread that delivers.
    return client.post("/api/auth/password-reset", json={"email": email}, buffered=True)


def wait_until(condition: Callable[[], Any], timeout: float = 10) -> Any:
    """The courier delivers in the background: poll until `condition()` is truthy."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        assert time.monotonic() < deadline, "the courier did not get there in time"
        time.sleep(0.02)
    return result


def outbox_after(app, attempts: int) -> OutboxMail:
    """The single outbox row, once the courier has made `attempts` attempts."""

    def row() -> OutboxMail | None:
        with app.app_context():
            rows = db.session.scalars(select(OutboxMail)).all()
            db.session.expunge_all()
        return rows[0] if len(rows) == 1 and rows[0].attempts >= attempts else None

    return wait_until(row)


def confirm(client, token: str, password: str = NEW_PASSWORD):
    return client.post(
        "/api/auth/password-reset/confirm", json={"token": token, "new_password": password}
    )


def test_reset_mails_a_token_that_sets_the_password(client, user, smtp):
    response = request_reset(client, user.email)
    assert response.status_code == 202
    assert response.get_json() == {"message": response.get_json()["message"]}

    [mail] = smtp.inbox.wait_for(user.email)
    assert mail["From"] == "Backend API <no-reply@example.com>"
    assert mail["Subject"] == "Reset your password"
    token = reset_token(mail)

    response = confirm(client, token)
    assert response.status_code == 200, response.get_json()
    login(client, user.username, NEW_PASSWORD)
    old = client.post(
        "/api/auth/login", json={"username": user.username, "password": user.password}
    )
    assert old.status_code == 401


def test_unknown_address_gets_the_same_answer_and_no_mail(client, user, smtp):
    known = request_reset(client, user.email)
    unknown = request_reset(client, "nobody-here@example.com")
    assert (known.status_code, known.get_json()) == (unknown.status_code, unknown.get_json())
    smtp.inbox.wait_for(user.email)
    assert smtp.inbox.to("nobody-here@example.com") == []
    assert len(smtp.inbox.messages) == 1


def test_answer_takes_the_same_time_for_known_and_unknown_addresses(app, client, user):
    """The request only queues a row either way; the lookup happens after the answer."""

    def timed(email: str) -> float:
        started = time.perf_counter()
        response = client.post("/api/auth/password-reset", json={"email": email})
        elapsed = time.perf_counter() - started
        assert response.status_code == 202
        return elapsed

    # Interleaved, so a busy moment of the machine slows both kinds alike.
    known, unknown = [], []
    for i in range(20):
        known.append(timed(user.email))
        unknown.append(timed(f"missing{i}@example.com"))
    ratio = statistics.median(known) / statistics.median(unknown)
    assert 0.5 < ratio < 2, (known, unknown)


def test_confirm_revokes_every_session_refresh_token_and_personal_access_token(client, user, smtp):
    session = client.post(
        "/api/auth/login", json={"username": user.username, "password": user.password}
    ).get_json()
    pat = client.post(
        "/api/me/tokens",
        json={"name": "ci", "scopes": ["items:read"], "expires_in_days": 30},
        headers=user.headers,
    ).get_json()["token"]
    assert (
        client.get("/api/me/items", headers={"Authorization": f"Bearer {pat}"}).status_code == 200
    )

    request_reset(client, user.email)
    assert confirm(client, reset_token(smtp.inbox.wait_for(user.email)[0])).status_code == 200

    for token in (user.token, session["token"], pat):
        response = client.get("/api/me/items", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, token
    refreshed = client.post("/api/auth/refresh", json={"refresh_token": session["refresh_token"]})
    assert refreshed.status_code == 401


def test_token_works_once(client, user, smtp):
    request_reset(client, user.email)
    token = reset_token(smtp.inbox.wait_for(user.email)[0])
    assert confirm(client, token).status_code == 200
    again = confirm(client, token, "yet another passphrase")
    assert again.status_code == 400
    assert again.get_json()["errors"] == {"token": "is invalid, expired or used"}


def test_expired_token_is_refused(app_factory, smtp):
    app = app_factory(SMTP_URL=smtp.url, PASSWORD_RESET_EXPIRES=1)
    client = app.test_client()
    account = register(client)
    request_reset(client, account.email)
    token = reset_token(smtp.inbox.wait_for(account.email)[0])
    time.sleep(1.2)
    assert confirm(client, token).status_code == 400
    login(client, account.username, account.password)


def test_weak_new_password_is_refused_and_keeps_the_token(client, user, smtp):
    request_reset(client, user.email)
    token = reset_token(smtp.inbox.wait_for(user.email)[0])
    weak = confirm(client, token, "short")
    assert weak.status_code == 400
    assert "new_password" in weak.get_json()["errors"]
    assert confirm(client, token).status_code == 200


@pytest.mark.parametrize("token", ["", "not-a-token", "x" * 300])
def test_made_up_tokens_are_refused(client, token):
    response = confirm(client, token)
    assert response.status_code == 400
    assert response.get_json()["error"]


def test_only_hashes_of_reset_tokens_are_stored(app, client, user, smtp):
    request_reset(client, user.email)
    token = reset_token(smtp.inbox.wait_for(user.email)[0])
    with app.app_context():
        stored = db.session.scalars(select(PasswordResetToken.token_hash)).all()
        outbox = db.session.scalars(select(OutboxMail)).all()
    assert token not in stored and len(stored) == 1
    assert all(token not in str(row.to_dict()) for row in outbox)


def test_confirmation_is_audited(app, client, user, smtp):
    request_reset(client, user.email)
    confirm(client, reset_token(smtp.inbox.wait_for(user.email)[0]))
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "password.reset"))
    assert (entry.actor_id, entry.target_type, entry.target_id) == (user.id, "user", str(user.id))


@pytest.mark.parametrize("round_", range(5))
def test_concurrent_confirmations_with_one_token_succeed_once(
    app_factory, smtp, shared_database_url, round_
):
    """Eight clients race one token (a database file or PostgreSQL, so they truly overlap)."""
    app = app_factory(SQLALCHEMY_DATABASE_URI=shared_database_url, SMTP_URL=smtp.url)
    client = app.test_client()
    account = register(client)
    request_reset(client, account.email)
    token = reset_token(smtp.inbox.wait_for(account.email)[0])

    def confirmation(number: int) -> Callable[[], int]:
        """Confirm from a client (and connection) of its own; the status."""
        password = f"passphrase number {number}"
        return lambda: confirm(app.test_client(), token, password).status_code

    statuses = race(*(confirmation(number) for number in range(8)))
    assert sorted(statuses) == [200] + [400] * 7


def test_a_second_request_within_a_minute_sends_no_second_mail(client, user, smtp):
    request_reset(client, user.email)
    smtp.inbox.wait_for(user.email)
    request_reset(client, user.email)
    time.sleep(0.3)
    assert len(smtp.inbox.to(user.email)) == 1


def test_inactive_account_gets_no_mail(client, admin, user, smtp):
    client.post(f"/api/admin/users/{user.id}/toggle", headers=admin.headers)
    request_reset(client, user.email)
    request_reset(client, admin.email)
    smtp.inbox.wait_for("admin@example.com")
    assert smtp.inbox.to(user.email) == []


@pytest.mark.parametrize("body", [{}, {"email": "not an address"}, {"email": 5}])
def test_bad_request_bodies_are_400(client, body):
    response = client.post("/api/auth/password-reset", json=body)
    assert response.status_code == 400
    assert "email" in response.get_json()["errors"]


def test_smtp_down_still_202_then_mail_arrives_after_the_retry(app, client, user, smtp):
    smtp.stop()
    response = request_reset(client, user.email)
    assert response.status_code == 202
    row = outbox_after(app, attempts=1)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_error

    smtp.start()
    result = app.test_cli_runner().invoke(args=["deliver-mail"])
    assert result.exit_code == 0, result.output
    [mail] = smtp.inbox.wait_for(user.email)
    assert confirm(client, reset_token(mail)).status_code == 200
    with app.app_context():
        [row] = db.session.scalars(select(OutboxMail)).all()
        assert (row.status, row.attempts) == ("sent", 1)


def test_failed_attempts_are_counted_in_metrics(app, client, user, smtp):
    smtp.stop()
    request_reset(client, user.email)
    outbox_after(app, attempts=1)
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'mail_deliveries_total{kind="password_reset",outcome="retry"}' in metrics


def test_a_hung_smtp_server_never_holds_the_request(app_factory):
    """An SMTP server that accepts the connection and never answers: the request that queued
    the mail is answered (and closed) at once; the courier thread waits out SMTP_TIMEOUT."""
    with socket.create_server(("127.0.0.1", 0)) as hung:  # listens, never speaks
        port = hung.getsockname()[1]
        app = app_factory(SMTP_URL=f"smtp://127.0.0.1:{port}", SMTP_TIMEOUT=3)
        client = app.test_client()
        started = time.perf_counter()
        assert request_reset(client, "admin@example.com").status_code == 202
        assert time.perf_counter() - started < 1.5  # it used to wait the 3 s out
        row = outbox_after(app, attempts=1)
        assert row.status == "pending" and "timed out" in row.last_error


def test_mail_is_given_up_after_the_last_attempt(app_factory, smtp):
    app = app_factory(SMTP_URL=smtp.url, SMTP_TIMEOUT=2, MAIL_RETRY_SECONDS=0, MAIL_MAX_ATTEMPTS=2)
    client = app.test_client()
    smtp.stop()
    request_reset(client, "admin@example.com")
    outbox_after(app, attempts=1)  # the courier's attempt
    app.test_cli_runner().invoke(args=["deliver-mail"])
    row = outbox_after(app, attempts=2)
    assert (row.status, row.attempts) == ("failed", 2)


def test_without_smtp_development_logs_the_mail(app_factory, caplog):
    app = app_factory(SMTP_URL=None)
    client = app.test_client()
    request_reset(client, "admin@example.com")

    def logged() -> list[Any]:
        return [r for r in caplog.records if getattr(r, "fields", {}).get("event") == "mail_logged"]

    assert "Your reset token" in wait_until(logged)[0].fields["body"]


def test_reset_routes_are_rate_limited(app_factory):
    client = app_factory(PASSWORD_RESET_RATE_LIMIT="2 per minute").test_client()
    statuses = [
        client.post("/api/auth/password-reset", json={"email": f"a{i}@example.com"}).status_code
        for i in range(3)
    ]
    assert statuses == [202, 202, 429]
    limited = client.post(
        "/api/auth/password-reset/confirm", json={"token": "x", "new_password": NEW_PASSWORD}
    )
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1


@pytest.mark.slow
def test_live_server_answers_202_while_smtp_is_down_and_mails_after_the_retry(tmp_path, smtp):
    """gunicorn, a real SMTP server stopped and restarted: the reset mail is not lost."""
    smtp.stop()
    settings = {"SMTP_URL": smtp.url, "SMTP_TIMEOUT": "2", "MAIL_RETRY_SECONDS": "1"}
    with running_server(tmp_path / "live", **settings) as server:
        account = {
            "username": "resetter",
            "email": "resetter@example.com",
            "password": "old-pass-1",
        }
        assert call(server, "POST", "/api/auth/register", account).status == 201

        started = time.perf_counter()
        reply = call(server, "POST", "/api/auth/password-reset", {"email": account["email"]})
        assert reply.status == 202
        assert time.perf_counter() - started < 1.5  # the SMTP attempt is not in the answer
        time.sleep(1.5)  # the failed attempt is made and its retry becomes due
        assert smtp.inbox.messages == []

        smtp.start()
        # The next reset request (any address) delivers what is due, the earlier mail included.
        assert (
            call(server, "POST", "/api/auth/password-reset", {"email": "x@example.com"}).status
            == 202
        )
        [mail] = smtp.inbox.wait_for(account["email"])

        body = {"token": reset_token(mail), "new_password": "new-pass-after-outage"}
        assert call(server, "POST", "/api/auth/password-reset/confirm", body).status == 200
        assert login_token(server, "resetter", "new-pass-after-outage")
        assert "mail_retry" in server.log()


def drain(app) -> dict[str, int]:
    """One pass of a worker's delivery over the outbox: what became of each row it took."""
    from api.services import password_reset

    with app.app_context():
        report = password_reset.deliver_due(password_reset.settings_from(app.config))
        db.session.remove()
        return report.outcomes


@pytest.mark.parametrize("round_", range(3))
def test_concurrent_deliverers_send_each_mail_once(app_factory, smtp, shared_database_url, round_):
    """Every worker (and `deliver-mail`) may drain the outbox at once: rows are claimed
    atomically, so each mail goes out exactly once."""
    app = app_factory(SQLALCHEMY_DATABASE_URI=shared_database_url, SMTP_URL=smtp.url)
    client = app.test_client()
    accounts = [register(client) for _ in range(6)]
    for account in accounts:  # queued only: not buffered, so no delivery runs yet
        client.post("/api/auth/password-reset", json={"email": account.email})

    reports = race(*[lambda: drain(app)] * 4)
    assert sum(report.get("sent", 0) for report in reports) <= len(accounts)  # and the courier
    for account in accounts:
        assert len(smtp.inbox.wait_for(account.email)) == 1
    assert len(smtp.inbox.messages) == len(accounts)


@pytest.mark.parametrize("round_", range(5))
def test_concurrent_deliverers_send_one_account_one_mail(
    app_factory, smtp, shared_database_url, round_
):
    """Several queued requests for one account, drained by every worker at once: the
    one-mail-a-minute check and the token it writes are one step, so one mail goes out."""
    app = app_factory(SQLALCHEMY_DATABASE_URI=shared_database_url, SMTP_URL=smtp.url)
    client = app.test_client()
    account = register(client)
    for _ in range(4):  # queued only: not buffered, so no delivery runs yet
        client.post("/api/auth/password-reset", json={"email": account.email})

    reports = race(*[lambda: drain(app)] * 4)
    assert sum(report.get("sent", 0) for report in reports) == 1, reports
    assert sum(report.get("dropped", 0) for report in reports) == 3, reports
    time.sleep(0.3)
    assert len(smtp.inbox.to(account.email)) == 1


def test_without_smtp_production_warns_and_never_logs_the_token(caplog):
    from api.services import mail

    settings = mail.SmtpSettings(url=None, sender="a@example.com", timeout=1, production=True)
    outcome = mail.send(mail.Mail("b@example.com", "Reset", "token: s3cret"), settings, kind="x")
    assert outcome == "logged"
    [record] = [r for r in caplog.records if getattr(r, "fields", {}).get("event")]
    assert record.levelname == "WARNING" and record.fields["event"] == "mail_not_sent"
    assert "s3cret" not in caplog.text


def test_a_new_password_built_from_the_username_is_refused_as_at_change_password(client, smtp):
    """The same policy as registration and change-password, with the account's name and email;
    the refusal keeps the link usable. Its reason never quotes the password."""
    account = register(client, username="zephyrquill", email="zq@example.com")
    request_reset(client, account.email)
    token = reset_token(smtp.inbox.wait_for(account.email)[0])
    built_from_the_name = confirm(client, token, "Zephyrquill#77")
    body = built_from_the_name.get_json()
    assert built_from_the_name.status_code == 400 and "new_password" in body["errors"]
    too_long = confirm(client, token, "x" * 80)
    assert too_long.status_code == 400 and "x" * 20 not in too_long.get_data(as_text=True)
    assert "Zephyrquill" not in built_from_the_name.get_data(as_text=True)
    assert confirm(client, token).status_code == 200
    login(client, account.username, NEW_PASSWORD)


def test_a_password_change_ends_the_reset_links_mailed_before(client, user, smtp):
    """A link mailed before a password change set a password again after it."""
    request_reset(client, user.email)
    token = reset_token(smtp.inbox.wait_for(user.email)[0])
    body = {"current_password": user.password, "new_password": "changed-on-purpose-42"}
    changed = client.post("/api/auth/change-password", json=body, headers=user.headers)
    assert changed.status_code == 200, changed.get_json()
    late = confirm(client, token)
    assert late.status_code == 400
    assert late.get_json()["errors"] == {"token": "is invalid, expired or used"}
    login(client, user.username, "changed-on-purpose-42")
