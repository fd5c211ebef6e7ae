"""`/metrics`: Prometheus text a strict scraper accepts, guarded by METRICS_TOKEN, and what
production requires before it serves metrics at all (issue 10 finding 11, issue 18 item 1).
Aggregation across gunicorn workers is shown on a live server in test_metrics_live.py."""

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_om
from prometheus_client.parser import text_string_to_metric_families

from api import create_app
from tests.helpers import Account, MakeItem, assert_error, build_test_config

TOKEN = "metrics-token-0123456789abcdef-0123456789"
PROMETHEUS_TEXT = "text/plain; version=1.0.0; charset=utf-8"


def families(text: str) -> dict[str, object]:
    return {family.name: family for family in text_string_to_metric_families(text)}


def requests_total(text: str, **labels: str) -> float:
    family = families(text)["http_requests"]
    return sum(
        s.value
        for s in family.samples  # type: ignore[attr-defined]
        if s.name == "http_requests_total" and labels.items() <= s.labels.items()
    )


def test_metrics_content_type_is_exact_and_the_text_parses(app: Flask) -> None:
    client = app.test_client()
    client.get("/api/items")
    client.get("/api/items/999999")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == PROMETHEUS_TEXT  # one charset, not two
    assert response.headers.getlist("Content-Type") == [PROMETHEUS_TEXT]
    text = response.get_data(as_text=True)
    found = families(text)
    assert {"http_requests", "http_request_duration_seconds"} <= set(found)
    assert requests_total(text, endpoint="/api/items", status="200") >= 1
    assert requests_total(text, endpoint="/api/items/<int:item_id>", status="404") >= 1


def test_made_up_methods_do_not_grow_the_label_set(app: Flask) -> None:
    """An attacker's invented methods (any token is a valid HTTP method) are counted as OTHER:
    a label value per method would grow the metrics without bound."""
    client = app.test_client()
    other = {"method": "OTHER", "endpoint": "<unmatched>"}  # counted by earlier tests too
    before = client.get("/metrics").get_data(as_text=True)
    for n in range(30):
        assert client.open("/api/health", method=f"BREW{n}").status_code == 405
        assert client.open(f"/nowhere/{n}", method=f"BREW{n}").status_code == 404
    text = client.get("/metrics").get_data(as_text=True)
    assert "BREW" not in text
    for status in ("405", "404"):
        counted = requests_total(text, **other, status=status)
        assert counted - requests_total(before, **other, status=status) == 30


def test_metrics_speak_openmetrics_to_a_scraper_that_asks(app: Flask) -> None:
    client = app.test_client()
    client.get("/api/items")
    accept = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"
    response = client.get("/metrics", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.mimetype == "application/openmetrics-text"
    assert response.headers["Content-Type"].count("charset") == 1
    text = response.get_data(as_text=True)
    assert text.endswith("# EOF\n")
    assert "http_requests" in {family.name for family in parse_om(text)}


def test_metrics_token_is_required_when_configured(app_factory: Callable[..., Flask]) -> None:
    client = app_factory(METRICS_TOKEN=TOKEN).test_client()
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
        response = client.get("/metrics", headers=headers)
        assert response.status_code == 401, headers
        assert response.is_json and isinstance(response.get_json()["error"], str)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert "http_requests" not in response.get_data(as_text=True)
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == PROMETHEUS_TEXT


def test_metrics_enabled_false_serves_nothing(app_factory: Callable[..., Flask]) -> None:
    client = app_factory(METRICS_ENABLED=False).test_client()
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 404 and response.is_json


def test_metrics_bind_moves_metrics_off_the_api_port(app_factory: Callable[..., Flask]) -> None:
    # gunicorn's master serves them on METRICS_BIND (see test_metrics_live.py)
    client = app_factory(METRICS_BIND="127.0.0.1:9100").test_client()
    assert client.get("/metrics").status_code == 404


def test_metrics_enabled_is_read_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("METRICS_ENABLED", "false")
    config = build_test_config(tmp_path)
    app = create_app(config)
    assert app.config["METRICS_ENABLED"] is False
    assert app.test_client().get("/metrics").status_code == 404


def production(tmp_path: Path, **overrides: object) -> dict[str, object]:
    config = build_test_config(tmp_path, APP_ENV="production", TESTING=False)
    config.update(overrides)
    return config


def test_production_refuses_open_metrics(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="METRICS_TOKEN.*METRICS_BIND"):
        create_app(production(tmp_path, METRICS_TOKEN=None, METRICS_BIND=None))


def test_production_refuses_a_short_metrics_token(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="METRICS_TOKEN is too short"):
        create_app(production(tmp_path, METRICS_TOKEN="short"))


@pytest.mark.parametrize(
    "overrides",
    [
        {"METRICS_TOKEN": TOKEN},
        {"METRICS_BIND": "127.0.0.1:9100"},
        {"METRICS_ENABLED": False},
    ],
    ids=["token", "separate-bind", "disabled"],
)
def test_production_starts_with_guarded_or_disabled_metrics(
    tmp_path: Path, overrides: dict[str, object]
) -> None:
    app = create_app(production(tmp_path, **overrides))
    response = app.test_client().get("/metrics")
    assert response.status_code == (401 if "METRICS_TOKEN" in overrides else 404)


def metric_value(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


class TestMetrics:
    def test_metrics_count_requests_by_endpoint_and_status(
        self, client: FlaskClient, user: Account, make_item: MakeItem
    ) -> None:
        item = make_item(user)
        before = client.get("/metrics").get_data(as_text=True)
        for _ in range(3):
            assert client.get("/api/items").status_code == 200
        assert client.get("/api/items/999999").status_code == 404
        assert client.get(f"/api/items/{item['id']}").status_code == 200

        response = client.get("/metrics")
        assert response.status_code == 200
        assert response.mimetype == "text/plain"
        text = response.get_data(as_text=True)
        assert "# TYPE http_requests_total counter" in text
        assert "# TYPE http_request_duration_seconds histogram" in text
        ok = {"method": "GET", "endpoint": "/api/items", "status": "200"}
        assert metric_value(text, "http_requests_total", **ok) - metric_value(
            before, "http_requests_total", **ok
        ) == pytest.approx(3)
        detail = {"method": "GET", "endpoint": "/api/items/<int:item_id>", "status": "404"}
        assert metric_value(text, "http_requests_total", **detail) - metric_value(
            before, "http_requests_total", **detail
        ) == pytest.approx(1)
        count = {"method": "GET", "endpoint": "/api/items"}
        assert metric_value(text, "http_request_duration_seconds_count", **count) - metric_value(
            before, "http_request_duration_seconds_count", **count
        ) == pytest.approx(3)
        assert 'http_request_duration_seconds_bucket{endpoint="/api/items"' in text
        assert "/metrics" not in re.findall(r'endpoint="([^"]*)"', text)

    def test_metrics_can_be_disabled(self, app_factory: Callable[..., Flask]) -> None:
        client = app_factory(METRICS_ENABLED=False).test_client()
        assert_error(client.get("/metrics"), 404)
