"""Structured logs: one JSON line per request, login and admin-action events with the request id,
no passwords, and the level from `LOG_LEVEL`. (gunicorn's workers: test_live_logging.py.)
"""

import json
import logging
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from api.core.logs import JsonFormatter
from tests.helpers import (
    Account,
    MakeItem,
)


@pytest.fixture
def api_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level(logging.INFO, logger="api"):
        yield caplog


def events(caplog: pytest.LogCaptureFixture, name: str) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == "api" and getattr(r, "fields", {}).get("event") == name
    ]


@pytest.fixture
def warning_app(
    app_factory: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Flask]:
    """An app built with `LOG_LEVEL=warning` in the environment (built during set-up: the
    first app of a process replaces the root logger's handlers, caplog's included)."""
    root = logging.getLogger()
    previous = root.level
    monkeypatch.setenv("LOG_LEVEL", "warning")
    yield app_factory()
    root.setLevel(previous)


class TestStructuredLogs:
    def test_one_request_line_per_request(
        self, client: FlaskClient, user: Account, api_logs: pytest.LogCaptureFixture
    ) -> None:
        api_logs.clear()
        response = client.get("/api/auth/me", headers={**user.headers, "X-Request-ID": "log-me"})
        assert response.status_code == 200
        lines = events(api_logs, "request")
        assert len(lines) == 1
        record = lines[0]
        fields = record.fields  # type: ignore[attr-defined]
        assert fields["method"] == "GET"
        assert fields["path"] == "/api/auth/me"
        assert fields["status"] == 200
        assert isinstance(fields["duration_ms"], int | float) and fields["duration_ms"] >= 0
        assert fields["user_id"] == user.id
        assert record.levelno == logging.INFO

        line = json.loads(JsonFormatter().format(record))
        assert line["request_id"] == "log-me"
        assert line["event"] == "request"
        assert line["message"] == "request"
        assert line["level"] == "info"
        assert line["logger"] == "api"
        assert line["method"] == "GET" and line["path"] == "/api/auth/me"
        assert line["status"] == 200 and line["user_id"] == user.id
        assert "duration_ms" in line and "ts" in line

    def test_anonymous_and_error_requests_are_logged(
        self, client: FlaskClient, api_logs: pytest.LogCaptureFixture
    ) -> None:
        api_logs.clear()
        client.get("/api/items/424242", headers={"X-Request-ID": "log-404"})
        client.get("/api/health")
        lines = events(api_logs, "request")
        assert len(lines) == 2
        missing = lines[0].fields  # type: ignore[attr-defined]
        assert missing["status"] == 404 and missing["user_id"] is None
        assert missing["path"] == "/api/items/424242"
        assert json.loads(JsonFormatter().format(lines[0]))["request_id"] == "log-404"
        assert lines[1].fields["path"] == "/api/health"  # type: ignore[attr-defined]

    def test_login_events(
        self, client: FlaskClient, user: Account, api_logs: pytest.LogCaptureFixture
    ) -> None:
        api_logs.clear()
        ok = client.post(
            "/api/auth/login",
            json={"username": user.username, "password": user.password},
            headers={"X-Request-ID": "log-login"},
        )
        assert ok.status_code == 200
        bad = client.post(
            "/api/auth/login", json={"username": user.username, "password": "wrong-password"}
        )
        assert bad.status_code == 401
        unknown = client.post(
            "/api/auth/login", json={"username": "nobody_here", "password": "wrong-password"}
        )
        assert unknown.status_code == 401

        [success] = events(api_logs, "login")
        assert success.fields["user_id"] == user.id  # type: ignore[attr-defined]
        assert json.loads(JsonFormatter().format(success))["request_id"] == "log-login"
        failures = events(api_logs, "login_failed")
        assert len(failures) == 2
        assert all(r.levelno == logging.WARNING for r in failures)
        assert failures[0].fields["user_id"] == user.id  # type: ignore[attr-defined]
        assert failures[0].fields["reason"] == "password"  # type: ignore[attr-defined]
        assert failures[1].fields["reason"] == "unknown"  # type: ignore[attr-defined]
        for record in failures:
            assert "wrong-password" not in JsonFormatter().format(record)

    def test_admin_action_event(
        self,
        client: FlaskClient,
        admin: Account,
        user: Account,
        make_item: MakeItem,
        api_logs: pytest.LogCaptureFixture,
    ) -> None:
        item = make_item(user)
        api_logs.clear()
        response = client.post(
            f"/api/admin/items/{item['id']}/toggle",
            headers={**admin.headers, "X-Request-ID": "log-admin"},
        )
        assert response.status_code == 200
        [record] = events(api_logs, "admin_action")
        line = json.loads(JsonFormatter().format(record))
        assert line["actor_id"] == admin.id
        assert line["action"] == "item.toggle"
        assert line["target_type"] == "item"
        assert line["target_id"] == str(item["id"])
        assert line["request_id"] == "log-admin"

    def test_log_level_from_environment(
        self, warning_app: Flask, caplog: pytest.LogCaptureFixture
    ) -> None:
        assert warning_app.config["LOG_LEVEL"] == "WARNING"
        assert logging.getLogger().level == logging.WARNING
        caplog.clear()
        client = warning_app.test_client()
        assert client.get("/api/health").status_code == 200
        bad = client.post("/api/auth/login", json={"username": "ghost", "password": "nope"})
        assert bad.status_code == 401
        assert events(caplog, "request") == []
        assert len(events(caplog, "login_failed")) == 1
