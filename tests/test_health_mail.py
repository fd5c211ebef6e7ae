"""`GET /api/health` reports the SMTP server when mail goes over SMTP (`mail`), through a real
SMTP server on loopback; an unreachable one degrades the service (200), never empties the pool."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from tests.live import free_port
from tests.smtp import Inbox, SmtpServer


class CountingInbox(Inbox):
    """Counts the `NOOP`s the health check sends (one per check)."""

    noops = 0

    async def handle_NOOP(self, server: Any, session: Any, envelope: Any, arg: str) -> str:  # noqa: N802
        self.noops += 1
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.inbox = CountingInbox()
    server.start()
    yield server
    server.stop()


def health(app: Flask) -> tuple[int, dict[str, Any]]:
    response = app.test_client().get("/api/health")
    return response.status_code, response.get_json()


def test_a_reachable_smtp_server_is_ok(app_factory: Callable[..., Flask], smtp: SmtpServer) -> None:
    status, body = health(app_factory(SMTP_URL=smtp.url))
    assert status == 200
    assert (body["status"], body["mail"]) == ("healthy", "ok")
    assert smtp.inbox.noops == 1  # type: ignore[attr-defined]


def test_an_unreachable_smtp_server_degrades_the_service(
    app_factory: Callable[..., Flask],
) -> None:
    nobody = f"smtp://127.0.0.1:{free_port()}"  # nothing listens there
    status, body = health(app_factory(SMTP_URL=nobody, SMTP_TIMEOUT=1))
    assert status == 200
    assert (body["status"], body["database"], body["mail"]) == ("degraded", "ok", "unreachable")


def test_probes_share_one_check_per_interval(
    app_factory: Callable[..., Flask], smtp: SmtpServer
) -> None:
    """A flood of anonymous probes must not become a flood of SMTP connections."""
    app = app_factory(SMTP_URL=smtp.url)
    answers = [health(app) for _ in range(20)]
    assert {(status, body["mail"]) for status, body in answers} == {(200, "ok")}
    assert smtp.inbox.noops == 1  # type: ignore[attr-defined]


def test_no_mail_field_without_smtp(app_factory: Callable[..., Flask]) -> None:
    status, body = health(app_factory(SMTP_URL=None))
    assert status == 200
    assert "mail" not in body
