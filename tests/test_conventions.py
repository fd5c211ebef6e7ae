"""HTTP conventions through HTTP: pagination headers, ETags, request ids, structured logs,
refresh tokens, idempotency keys, rate-limit headers, the admin audit log, the CLI and metrics.
"""

import io
import json
import logging
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from api.observability import JsonFormatter
from models import IdempotencyKey, RefreshToken, RevokedToken, Upload, User, db, utcnow
from tests.helpers import ADMIN, Account, login
from tests.factories import random_email, random_name, random_password
from tests.spec import SPEC

MakeItem = Callable[..., dict[str, Any]]
MakeUser = Callable[..., Account]

HEX32 = re.compile(r"^[0-9a-f]{32}$")
LINK_RE = re.compile(r'<([^>]*)>;\s*rel="([^"]+)"')


def links(response: Any) -> dict[str, str]:
    """`Link` header as {rel: url}; fails on a malformed or repeated rel."""
    header = response.headers.get("Link")
    assert header, f"no Link header on {response.request.path}"
    parts = [part.strip() for part in header.split(",")]
    found = [LINK_RE.fullmatch(part) for part in parts]
    assert all(found), header
    result = {match.group(2): match.group(1) for match in found if match}
    assert len(result) == len(parts), header
    return result


def assert_error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.is_json, response.get_data(as_text=True)[:500]
    body = response.get_json()
    assert isinstance(body.get("error"), str) and body["error"], body
    assert body.get("request_id") == response.headers["X-Request-ID"], body
    return body


def my_total(client: FlaskClient, account: Account) -> int:
    response = client.get("/api/me/items", headers=account.headers)
    assert response.status_code == 200
    return response.get_json()["total"]


def auth_body(client: FlaskClient, username: str, password: str) -> dict[str, Any]:
    response = client.post("/api/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def operation(path: str, method: str) -> dict[str, Any]:
    return SPEC["paths"][path][method]


def header_params(op: dict[str, Any]) -> set[str]:
    return {p["name"] for p in op.get("parameters", []) if p.get("in") == "header"}


# --------------------------------------------------------------------------- spec


class TestSpecDeclaresConventions:
    @pytest.mark.parametrize(
        "path,method",
        [
            ("/api/items", "get"),
            ("/api/me/items", "get"),
            ("/api/admin/items", "get"),
            ("/api/admin/users", "get"),
            ("/api/admin/audit", "get"),
        ],
    )
    def test_list_operations_declare_pagination_headers(self, path: str, method: str) -> None:
        headers = operation(path, method)["responses"]["200"]["headers"]
        assert {"Link", "X-Total-Count", "X-Request-ID"} <= set(headers)

    @pytest.mark.parametrize(
        "path,method",
        [("/api/items", "post"), ("/api/upload", "post")],
    )
    def test_create_operations_declare_idempotency(self, path: str, method: str) -> None:
        op = operation(path, method)
        assert "Idempotency-Key" in header_params(op)
        assert "422" in op["responses"]
        assert op["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith(
            "/ErrorResponse"
        )

    @pytest.mark.parametrize(
        "path,method",
        [
            ("/api/items/{item_id}", "put"),
            ("/api/items/{item_id}", "patch"),
            ("/api/items/{item_id}", "delete"),
            ("/api/admin/items/{item_id}/toggle", "post"),
        ],
    )
    def test_writes_declare_if_match_and_412(self, path: str, method: str) -> None:
        op = operation(path, method)
        assert "If-Match" in header_params(op)
        assert "412" in op["responses"]

    def test_get_item_declares_if_none_match_304_and_etag(self) -> None:
        op = operation("/api/items/{item_id}", "get")
        assert "If-None-Match" in header_params(op)
        assert "304" in op["responses"]
        assert "ETag" in op["responses"]["200"]["headers"]
        for method in ("put", "patch"):
            assert (
                "ETag" in operation("/api/items/{item_id}", method)["responses"]["200"]["headers"]
            )
        assert "ETag" in operation("/api/items", "post")["responses"]["201"]["headers"]

    def test_every_response_declares_x_request_id(self) -> None:
        for path, ops in SPEC["paths"].items():
            for method, op in ops.items():
                if not isinstance(op, dict) or "responses" not in op:
                    continue
                for status, response in op["responses"].items():
                    assert "X-Request-ID" in response.get("headers", {}), (path, method, status)

    def test_error_model_has_request_id(self) -> None:
        assert "request_id" in SPEC["components"]["schemas"]["ErrorResponse"]["properties"]

    def test_refresh_and_audit_operations_exist_and_metrics_does_not(self) -> None:
        refresh = operation("/api/auth/refresh", "post")
        assert refresh["operationId"] == "refreshToken"
        assert "401" in refresh["responses"]
        audit = operation("/api/admin/audit", "get")
        assert audit["operationId"] == "adminListAudit"
        assert {"page", "per_page", "action", "actor_id"} <= {
            p["name"] for p in audit["parameters"]
        }
        token_schema = SPEC["components"]["schemas"]["AuthToken"]
        assert "refresh_token" in token_schema["required"]
        assert not any("metrics" in path for path in SPEC["paths"])

    def test_login_429_declares_retry_after(self) -> None:
        assert "Retry-After" in operation("/api/auth/login", "post")["responses"]["429"]["headers"]


# --------------------------------------------------------------------------- pagination


class TestPaginationHeaders:
    def test_single_page_has_first_and_last_only(
        self, client: FlaskClient, user: Account, make_item: MakeItem
    ) -> None:
        make_item(user, "only-one")
        response = client.get("/api/items")
        assert response.status_code == 200
        assert response.headers["X-Total-Count"] == "1" == str(response.get_json()["total"])
        assert links(response) == {"first": "/api/items?page=1", "last": "/api/items?page=1"}

    def test_empty_list_links_to_page_one(self, client: FlaskClient) -> None:
        response = client.get("/api/items?per_page=5")
        assert response.status_code == 200
        assert response.get_json()["total"] == 0
        assert response.headers["X-Total-Count"] == "0"
        assert links(response) == {
            "first": "/api/items?per_page=5&page=1",
            "last": "/api/items?per_page=5&page=1",
        }

    def test_middle_page_has_prev_and_next_and_keeps_other_params(
        self, client: FlaskClient, user: Account, make_item: MakeItem
    ) -> None:
        for n in range(5):
            make_item(user, f"widget {n}")
        make_item(user, "unrelated")
        response = client.get("/api/items?q=widget&per_page=2&page=2&sort=name")
        assert response.status_code == 200
        body = response.get_json()
        assert body["total"] == 5 and body["page"] == 2
        assert [item["name"] for item in body["items"]] == ["widget 2", "widget 3"]
        assert response.headers["X-Total-Count"] == "5"
        base = "/api/items?q=widget&per_page=2&sort=name&page="
        assert links(response) == {
            "first": base + "1",
            "prev": base + "1",
            "next": base + "3",
            "last": base + "3",
        }

    def test_first_and_last_pages(
        self, client: FlaskClient, user: Account, make_item: MakeItem
    ) -> None:
        for _ in range(3):
            make_item(user)
        first = client.get("/api/items?per_page=2")
        assert first.status_code == 200
        assert links(first) == {
            "first": "/api/items?per_page=2&page=1",
            "next": "/api/items?per_page=2&page=2",
            "last": "/api/items?per_page=2&page=2",
        }
        last = client.get("/api/items?per_page=2&page=2")
        assert last.status_code == 200
        assert len(last.get_json()["items"]) == 1
        assert links(last) == {
            "first": "/api/items?per_page=2&page=1",
            "prev": "/api/items?per_page=2&page=1",
            "last": "/api/items?per_page=2&page=2",
        }

    def test_beyond_the_end_points_back_to_last_page(
        self, client: FlaskClient, user: Account, make_item: MakeItem
    ) -> None:
        for _ in range(3):
            make_item(user)
        response = client.get("/api/items?per_page=2&page=7")
        assert response.status_code == 200
        body = response.get_json()
        assert body["items"] == [] and body["total"] == 3
        assert response.headers["X-Total-Count"] == "3"
        assert links(response) == {
            "first": "/api/items?per_page=2&page=1",
            "prev": "/api/items?per_page=2&page=2",
            "last": "/api/items?per_page=2&page=2",
        }

    def test_links_are_followable(
        self, client: FlaskClient, user: Account, make_item: MakeItem
    ) -> None:
        created = {make_item(user)["id"] for _ in range(5)}
        seen: list[int] = []
        url: str | None = "/api/items?per_page=2"
        while url:
            response = client.get(url)
            assert response.status_code == 200
            seen += [item["id"] for item in response.get_json()["items"]]
            url = links(response).get("next")
        assert sorted(seen) == sorted(created)

    def test_all_list_endpoints_send_headers(
        self, client: FlaskClient, admin: Account, user: Account, make_item: MakeItem
    ) -> None:
        make_item(user)
        client.post(
            f"/api/admin/items/{make_item(user)['id']}/toggle", headers=admin.headers
        )  # an audit entry
        for path, account in [
            ("/api/me/items", user),
            ("/api/admin/items", admin),
            ("/api/admin/users", admin),
            ("/api/admin/audit", admin),
        ]:
            response = client.get(f"{path}?per_page=1", headers=account.headers)
            assert response.status_code == 200, path
            total = response.get_json()["total"]
            assert total >= 1
            assert response.headers["X-Total-Count"] == str(total), path
            link = links(response)
            assert link["first"] == f"{path}?per_page=1&page=1"
            assert link["last"] == f"{path}?per_page=1&page={total}"
            assert ("next" in link) == (total > 1)
            assert "prev" not in link


# --------------------------------------------------------------------------- ETags


class TestConditionalRequests:
    def test_etag_stable_and_changes_after_patch(
        self, client: FlaskClient, user: Account, make_item: MakeItem
    ) -> None:
        item = make_item(user, "before")
        first = client.get(f"/api/items/{item['id']}")
        second = client.get(f"/api/items/{item['id']}")
        assert first.status_code == second.status_code == 200
        etag = first.headers["ETag"]
        assert re.fullmatch(r'"[^"]+"', etag)
        assert second.headers["ETag"] == etag
        patched = client.patch(
            f"/api/items/{item['id']}", json={"name": "after"}, headers=user.headers
        )
        assert patched.status_code == 200
        assert patched.get_json()["name"] == "after"
        assert patched.headers["ETag"] != etag
        again = client.get(f"/api/items/{item['id']}")
        assert again.headers["ETag"] == patched.headers["ETag"]

    def test_create_and_put_return_current_etag(self, client: FlaskClient, user: Account) -> None:
        created = client.post("/api/items", json={"name": "x"}, headers=user.headers)
        assert created.status_code == 201
        item_id = created.get_json()["id"]
        assert created.headers["ETag"] == client.get(f"/api/items/{item_id}").headers["ETag"]
        put = client.put(f"/api/items/{item_id}", json={"name": "y"}, headers=user.headers)
        assert put.status_code == 200
        assert put.headers["ETag"] != created.headers["ETag"]
        assert put.headers["ETag"] == client.get(f"/api/items/{item_id}").headers["ETag"]

    def test_if_none_match_current_gives_304_with_empty_body(
        self, client: FlaskClient, user: Account, make_item: MakeItem
    ) -> None:
        item = make_item(user)
        etag = client.get(f"/api/items/{item['id']}").headers["ETag"]
        response = client.get(f"/api/items/{item['id']}", headers={"If-None-Match": etag})
        assert response.status_code == 304
        assert response.data == b""
        assert response.headers["ETag"] == etag
        weak = client.get(
            f"/api/items/{item['id']}", headers={"If-None-Match": f'"other", W/{etag}'}
        )
        assert weak.status_code == 304

    def test_if_none_match_stale_gives_200(
        self, client: FlaskClient, user: Account, make_item: MakeItem
    ) -> None:
        item = make_item(user, "one")
        etag = client.get(f"/api/items/{item['id']}").headers["ETag"]
        client.patch(f"/api/items/{item['id']}", json={"name": "two"}, headers=user.headers)
        response = client.get(f"/api/items/{item['id']}", headers={"If-None-Match": etag})
        assert response.status_code == 200
        assert response.get_json()["name"] == "two"
        assert response.headers["ETag"] != etag

    def test_if_none_match_does_not_reveal_hidden_items(
        self, client: FlaskClient, user: Account, make_item: MakeItem
    ) -> None:
        item = make_item(user)
        etag = client.get(f"/api/items/{item['id']}").headers["ETag"]
        assert client.delete(f"/api/items/{item['id']}", headers=user.headers).status_code == 204
        response = client.get(f"/api/items/{item['id']}", headers={"If-None-Match": etag})
        assert_error(response, 404)

    @pytest.mark.parametrize("method", ["put", "patch"])
    def test_if_match_stale_is_412_and_nothing_changes(
        self, client: FlaskClient, user: Account, make_item: MakeItem, method: str
    ) -> None:
        item = make_item(user, "original")
        response = getattr(client, method)(
            f"/api/items/{item['id']}",
            json={"name": "overwritten"},
            headers={**user.headers, "If-Match": '"stale"'},
        )
        assert_error(response, 412)
        assert client.get(f"/api/items/{item['id']}").get_json()["name"] == "original"

    def test_delete_with_stale_if_match_is_412_and_item_stays(
        self, client: FlaskClient, user: Account, make_item: MakeItem
    ) -> None:
        item = make_item(user)
        response = client.delete(
            f"/api/items/{item['id']}", headers={**user.headers, "If-Match": '"stale"'}
        )
        assert_error(response, 412)
        assert client.get(f"/api/items/{item['id']}").get_json()["is_active"] is True
        etag = client.get(f"/api/items/{item['id']}").headers["ETag"]
        ok = client.delete(f"/api/items/{item['id']}", headers={**user.headers, "If-Match": etag})
        assert ok.status_code == 204
        assert client.get(f"/api/items/{item['id']}").status_code == 404

    def test_if_match_current_and_star_succeed(
        self, client: FlaskClient, user: Account, make_item: MakeItem
    ) -> None:
        item = make_item(user)
        etag = client.get(f"/api/items/{item['id']}").headers["ETag"]
        current = client.patch(
            f"/api/items/{item['id']}",
            json={"name": "v2"},
            headers={**user.headers, "If-Match": etag},
        )
        assert current.status_code == 200
        assert current.get_json()["name"] == "v2"
        star = client.patch(
            f"/api/items/{item['id']}",
            json={"name": "v3"},
            headers={**user.headers, "If-Match": "*"},
        )
        assert star.status_code == 200
        assert star.get_json()["name"] == "v3"

    def test_two_clients_racing_second_gets_412(
        self, app: Flask, user: Account, admin: Account, make_item: MakeItem
    ) -> None:
        item = make_item(user, "shared")
        alice, bob = app.test_client(), app.test_client()
        url = f"/api/items/{item['id']}"
        etag_a = alice.get(url).headers["ETag"]
        etag_b = bob.get(url).headers["ETag"]
        assert etag_a == etag_b
        first = alice.patch(
            url, json={"description": "alice"}, headers={**user.headers, "If-Match": etag_a}
        )
        assert first.status_code == 200
        second = bob.patch(
            url, json={"description": "bob"}, headers={**admin.headers, "If-Match": etag_b}
        )
        assert_error(second, 412)
        assert alice.get(url).get_json()["description"] == "alice"

    def test_admin_toggle_if_match(
        self, client: FlaskClient, admin: Account, user: Account, make_item: MakeItem
    ) -> None:
        item = make_item(user)
        url = f"/api/admin/items/{item['id']}/toggle"
        stale = client.post(url, headers={**admin.headers, "If-Match": '"stale"'})
        assert_error(stale, 412)
        assert client.get(f"/api/items/{item['id']}").get_json()["is_active"] is True
        audit = client.get("/api/admin/audit", headers=admin.headers).get_json()
        assert audit["total"] == 0
        etag = client.get(f"/api/items/{item['id']}").headers["ETag"]
        ok = client.post(url, headers={**admin.headers, "If-Match": etag})
        assert ok.status_code == 200
        assert ok.get_json()["is_active"] is False
        assert ok.headers["ETag"] not in (etag, None)
        assert (
            ok.headers["ETag"]
            == client.get(f"/api/items/{item['id']}", headers=admin.headers).headers["ETag"]
        )


# --------------------------------------------------------------------------- request ids


class TestRequestId:
    def test_valid_request_id_is_echoed(self, client: FlaskClient) -> None:
        response = client.get("/api/health", headers={"X-Request-ID": "abc-123_x.y:z@w"})
        assert response.status_code == 200
        assert response.headers["X-Request-ID"] == "abc-123_x.y:z@w"

    @pytest.mark.parametrize(
        "incoming",
        [None, "", "x" * 129, "has space", "semi;colon", "<script>", "caf\u00e9"],
        ids=["absent", "empty", "too-long", "space", "semicolon", "angle", "non-ascii"],
    )
    def test_missing_or_invalid_request_id_is_generated(
        self, client: FlaskClient, incoming: str | None
    ) -> None:
        headers = {} if incoming is None else {"X-Request-ID": incoming}
        first = client.get("/api/health", headers=headers)
        second = client.get("/api/health", headers=headers)
        assert first.status_code == 200
        assert HEX32.fullmatch(first.headers["X-Request-ID"])
        assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]

    def test_max_length_request_id_is_kept(self, client: FlaskClient) -> None:
        rid = "a" * 128
        assert (
            client.get("/api/health", headers={"X-Request-ID": rid}).headers["X-Request-ID"] == rid
        )

    def test_error_bodies_carry_the_request_id(self, client: FlaskClient, user: Account) -> None:
        cases = [
            client.get("/api/items/999999", headers={"X-Request-ID": "req-404"}),
            client.get("/api/auth/me", headers={"X-Request-ID": "req-401"}),
            client.get("/api/admin/stats", headers={**user.headers, "X-Request-ID": "req-403"}),
            client.post(
                "/api/items", json={"name": ""}, headers={**user.headers, "X-Request-ID": "req-400"}
            ),
            client.get("/no/such/page", headers={"X-Request-ID": "req-unrouted"}),
            client.delete("/api/health", headers={"X-Request-ID": "req-405"}),
        ]
        for response, status, rid in zip(
            cases,
            [404, 401, 403, 400, 404, 405],
            ["req-404", "req-401", "req-403", "req-400", "req-unrouted", "req-405"],
            strict=True,
        ):
            body = assert_error(response, status)
            assert body["request_id"] == rid

    def test_generated_id_in_error_body_matches_header(self, client: FlaskClient) -> None:
        response = client.get("/api/items/999999")
        body = assert_error(response, 404)
        assert HEX32.fullmatch(body["request_id"])

    def test_request_id_on_204_and_304(
        self, client: FlaskClient, user: Account, make_item: MakeItem
    ) -> None:
        item = make_item(user)
        etag = client.get(f"/api/items/{item['id']}").headers["ETag"]
        not_modified = client.get(
            f"/api/items/{item['id']}", headers={"If-None-Match": etag, "X-Request-ID": "r304"}
        )
        assert not_modified.status_code == 304
        assert not_modified.headers["X-Request-ID"] == "r304"
        deleted = client.delete(
            f"/api/items/{item['id']}", headers={**user.headers, "X-Request-ID": "r204"}
        )
        assert deleted.status_code == 204
        assert deleted.headers["X-Request-ID"] == "r204"


# --------------------------------------------------------------------------- logs


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


# --------------------------------------------------------------------------- refresh tokens


class TestRefreshTokens:
    def refresh(self, client: FlaskClient, token: str) -> Any:
        return client.post("/api/auth/refresh", json={"refresh_token": token})

    def test_register_and_login_return_refresh_tokens(self, client: FlaskClient) -> None:
        password = random_password()
        name = random_name()
        registered = client.post(
            "/api/auth/register",
            json={"username": name, "email": random_email(), "password": password},
        )
        assert registered.status_code == 201
        body = registered.get_json()
        assert body["refresh_token"] and body["refresh_token"] != body["token"]
        assert body["refresh_expires_in"] > body["expires_in"] > 0
        logged_in = auth_body(client, name, password)
        assert logged_in["refresh_token"] not in (body["refresh_token"], logged_in["token"])
        assert self.refresh(client, body["refresh_token"]).status_code == 200

    def test_rotation_gives_new_working_tokens(self, client: FlaskClient, user: Account) -> None:
        first = auth_body(client, user.username, user.password)
        response = self.refresh(client, first["refresh_token"])
        assert response.status_code == 200
        body = response.get_json()
        assert body["token_type"] == "Bearer"
        assert body["token"] != first["token"]
        assert body["refresh_token"] != first["refresh_token"]
        assert body["user"]["id"] == user.id
        me = client.get("/api/auth/me", headers=bearer(body["token"]))
        assert me.status_code == 200 and me.get_json()["id"] == user.id
        # The rotated-to token rotates again.
        again = self.refresh(client, body["refresh_token"])
        assert again.status_code == 200
        assert (
            client.get("/api/auth/me", headers=bearer(again.get_json()["token"])).status_code == 200
        )

    def test_reuse_revokes_the_whole_family(
        self, app: Flask, client: FlaskClient, user: Account
    ) -> None:
        app.config["REFRESH_REUSE_INTERVAL"] = 0  # the reuse below comes after the retry window
        first = auth_body(client, user.username, user.password)
        other_login = auth_body(client, user.username, user.password)
        second = self.refresh(client, first["refresh_token"]).get_json()
        assert client.get("/api/auth/me", headers=bearer(second["token"])).status_code == 200

        reuse = self.refresh(client, first["refresh_token"])
        assert_error(reuse, 401)
        assert_error(self.refresh(client, second["refresh_token"]), 401)
        assert_error(client.get("/api/auth/me", headers=bearer(second["token"])), 401)
        assert_error(client.get("/api/auth/me", headers=bearer(first["token"])), 401)
        # Another login of the same user is a different family and keeps working.
        assert client.get("/api/auth/me", headers=bearer(other_login["token"])).status_code == 200
        assert self.refresh(client, other_login["refresh_token"]).status_code == 200

    def test_logout_revokes_refresh_token(self, client: FlaskClient, user: Account) -> None:
        body = auth_body(client, user.username, user.password)
        assert client.post("/api/auth/logout", headers=bearer(body["token"])).status_code == 200
        assert_error(self.refresh(client, body["refresh_token"]), 401)
        assert_error(client.get("/api/auth/me", headers=bearer(body["token"])), 401)

    def test_logout_after_rotation_revokes_the_rotated_refresh_token(
        self, client: FlaskClient, user: Account
    ) -> None:
        body = auth_body(client, user.username, user.password)
        rotated = self.refresh(client, body["refresh_token"]).get_json()
        assert client.post("/api/auth/logout", headers=bearer(rotated["token"])).status_code == 200
        assert_error(self.refresh(client, rotated["refresh_token"]), 401)

    def test_password_change_kills_old_refresh_tokens(
        self, client: FlaskClient, user: Account
    ) -> None:
        old = auth_body(client, user.username, user.password)
        changed = client.post(
            "/api/auth/change-password",
            json={"current_password": user.password, "new_password": "brand-new-password"},
            headers=bearer(old["token"]),
        )
        assert changed.status_code == 200
        assert_error(self.refresh(client, old["refresh_token"]), 401)
        fresh = self.refresh(client, changed.get_json()["refresh_token"])
        assert fresh.status_code == 200
        assert (
            client.get("/api/auth/me", headers=bearer(fresh.get_json()["token"])).status_code == 200
        )

    def test_deactivated_user_cannot_refresh(
        self, client: FlaskClient, admin: Account, user: Account
    ) -> None:
        body = auth_body(client, user.username, user.password)
        assert (
            client.patch(
                f"/api/admin/users/{user.id}", json={"is_active": False}, headers=admin.headers
            ).status_code
            == 200
        )
        assert_error(self.refresh(client, body["refresh_token"]), 401)

    def test_token_kinds_are_not_interchangeable(self, client: FlaskClient, user: Account) -> None:
        body = auth_body(client, user.username, user.password)
        assert_error(self.refresh(client, body["token"]), 401)
        assert_error(client.get("/api/auth/me", headers=bearer(body["refresh_token"])), 401)
        # Neither failure burned the real refresh token.
        assert self.refresh(client, body["refresh_token"]).status_code == 200

    @pytest.mark.parametrize("garbage", ["garbage", "a.b.c", "x" * 500])
    def test_garbage_refresh_token_is_401(self, client: FlaskClient, garbage: str) -> None:
        assert_error(self.refresh(client, garbage), 401)

    def test_missing_refresh_token_is_400(self, client: FlaskClient) -> None:
        body = assert_error(client.post("/api/auth/refresh", json={}), 400)
        assert "refresh_token" in body["errors"]


# --------------------------------------------------------------------------- idempotency


def upload(
    client: FlaskClient,
    account: Account,
    content: bytes = b"hello",
    filename: str = "a.txt",
    key: str | None = None,
) -> Any:
    boundary, body = encode_multipart(
        MultiDict({"file": FileStorage(io.BytesIO(content), filename=filename)})
    )
    headers = {**account.headers, **({"Idempotency-Key": key} if key else {})}
    return client.post(
        "/api/upload",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
        headers=headers,
    )


def stored_files(app: Flask) -> list[str]:
    folder = Path(app.config["UPLOAD_FOLDER"])
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


class TestIdempotencyKeyLifetime:
    def _key_row(self, app: Flask, user: Account, key: str, age: timedelta, status: int) -> None:
        with app.app_context():
            db.session.add(
                IdempotencyKey(
                    user_id=user.id,
                    key=key,
                    endpoint="/api/items",
                    request_hash="0" * 64,
                    status_code=status,
                    response_body="{}",
                    created_at=utcnow() - age,
                )
            )
            db.session.commit()

    def _crash_mid_request(self, app: Flask, client: FlaskClient, user: Account, age: timedelta):
        """Send a real request, then make its key look like the worker died before answering."""
        headers = {**user.headers, "Idempotency-Key": "crash"}
        first = client.post("/api/items", json={"name": "retry"}, headers=headers)
        assert first.status_code == 201
        with app.app_context():
            row = db.session.scalar(select(IdempotencyKey).where(IdempotencyKey.key == "crash"))
            row.status_code, row.created_at = 0, utcnow() - age
            db.session.commit()
        return headers

    def test_a_placeholder_left_by_a_dead_worker_is_reclaimed(
        self, app: Flask, client: FlaskClient, user: Account
    ) -> None:
        headers = self._crash_mid_request(app, client, user, timedelta(minutes=10))
        response = client.post("/api/items", json={"name": "retry"}, headers=headers)
        assert response.status_code == 201
        assert "Idempotent-Replayed" not in response.headers
        again = client.post("/api/items", json={"name": "retry"}, headers=headers)
        assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
        assert again.get_json()["id"] == response.get_json()["id"]

    def test_a_fresh_placeholder_still_answers_409(
        self, app: Flask, client: FlaskClient, user: Account
    ) -> None:
        headers = self._crash_mid_request(app, client, user, timedelta(seconds=1))
        assert_error(client.post("/api/items", json={"name": "retry"}, headers=headers), 409)

    def test_purge_forgets_day_old_keys_only(
        self, app: Flask, client: FlaskClient, user: Account
    ) -> None:
        self._key_row(app, user, "old", timedelta(hours=25), status=201)
        self._key_row(app, user, "recent", timedelta(hours=1), status=201)
        result = app.test_cli_runner().invoke(args=["purge-revoked-tokens"])
        assert "and 1 idempotency keys." in result.output
        with app.app_context():
            assert set(db.session.scalars(select(IdempotencyKey.key))) == {"recent"}


class TestIdempotency:
    def post_item(
        self, client: FlaskClient, account: Account, body: dict[str, Any], key: str | None
    ) -> Any:
        headers = {**account.headers, **({"Idempotency-Key": key} if key else {})}
        return client.post("/api/items", json=body, headers=headers)

    def test_retry_replays_and_creates_once(self, client: FlaskClient, user: Account) -> None:
        body = {"name": "once", "description": "only one please"}
        first = self.post_item(client, user, body, "key-1")
        assert first.status_code == 201
        assert "Idempotent-Replayed" not in first.headers
        retry = self.post_item(client, user, body, "key-1")
        assert retry.status_code == 201
        assert retry.headers["Idempotent-Replayed"] == "true"
        assert retry.get_json() == first.get_json()
        assert my_total(client, user) == 1
        # Key order in the body does not matter: it is the same request.
        reordered = self.post_item(
            client, user, {"description": "only one please", "name": "once"}, "key-1"
        )
        assert reordered.status_code == 201
        assert reordered.get_json()["id"] == first.get_json()["id"]
        assert my_total(client, user) == 1

    def test_same_key_different_body_is_422(self, client: FlaskClient, user: Account) -> None:
        assert self.post_item(client, user, {"name": "a"}, "key-2").status_code == 201
        response = self.post_item(client, user, {"name": "b"}, "key-2")
        assert_error(response, 422)
        assert my_total(client, user) == 1
        names = [i["name"] for i in client.get("/api/me/items", headers=user.headers).json["items"]]
        assert names == ["a"]

    def test_keys_are_per_user(
        self, client: FlaskClient, user: Account, other_user: Account
    ) -> None:
        mine = self.post_item(client, user, {"name": "same"}, "shared-key")
        theirs = self.post_item(client, other_user, {"name": "same"}, "shared-key")
        assert mine.status_code == theirs.status_code == 201
        assert "Idempotent-Replayed" not in theirs.headers
        assert mine.get_json()["id"] != theirs.get_json()["id"]
        assert theirs.get_json()["user_id"] == other_user.id
        assert my_total(client, user) == 1
        assert my_total(client, other_user) == 1

    def test_no_key_creates_every_time(self, client: FlaskClient, user: Account) -> None:
        first = self.post_item(client, user, {"name": "dup"}, None)
        second = self.post_item(client, user, {"name": "dup"}, None)
        assert first.status_code == second.status_code == 201
        assert first.get_json()["id"] != second.get_json()["id"]
        assert "Idempotent-Replayed" not in second.headers
        assert my_total(client, user) == 2

    @pytest.mark.parametrize(
        "key", ["k" * 256, "k" * 300, "has space", "caf\u00e9"], ids=["256", "300", "space", "utf8"]
    )
    def test_invalid_key_is_400(self, client: FlaskClient, user: Account, key: str) -> None:
        body = assert_error(self.post_item(client, user, {"name": "x"}, key), 400)
        assert "Idempotency-Key" in body["errors"]
        assert my_total(client, user) == 0

    def test_longest_valid_key(self, client: FlaskClient, user: Account) -> None:
        key = "k" * 255
        assert self.post_item(client, user, {"name": "x"}, key).status_code == 201
        assert self.post_item(client, user, {"name": "x"}, key).headers["Idempotent-Replayed"]
        assert my_total(client, user) == 1

    def test_failed_attempt_frees_the_key(self, client: FlaskClient, user: Account) -> None:
        invalid = self.post_item(client, user, {"name": ""}, "key-3")
        assert_error(invalid, 400)
        again = self.post_item(client, user, {"name": ""}, "key-3")
        assert_error(again, 400)
        assert "Idempotent-Replayed" not in again.headers
        ok = self.post_item(client, user, {"name": "fixed"}, "key-3")
        assert ok.status_code == 201
        assert my_total(client, user) == 1

    def test_key_without_token_is_401(self, client: FlaskClient) -> None:
        response = client.post("/api/items", json={"name": "x"}, headers={"Idempotency-Key": "k"})
        assert_error(response, 401)

    def test_upload_retry_stores_one_file(
        self, app: Flask, client: FlaskClient, user: Account
    ) -> None:
        before = stored_files(app)
        first = upload(client, user, b"payload", "doc.txt", key="up-1")
        assert first.status_code == 201
        retry = upload(client, user, b"payload", "doc.txt", key="up-1")
        assert retry.status_code == 201
        assert retry.headers["Idempotent-Replayed"] == "true"
        assert retry.get_json() == first.get_json()
        after = stored_files(app)
        assert len(after) == len(before) + 1
        with app.app_context():
            assert db.session.scalar(select(func.count(Upload.id))) == 1
        download = client.get(first.get_json()["url"], headers=user.headers, buffered=True)
        assert download.status_code == 200 and download.data == b"payload"

    def test_upload_same_key_different_file_is_422(
        self, app: Flask, client: FlaskClient, user: Account
    ) -> None:
        assert upload(client, user, b"one", "a.txt", key="up-2").status_code == 201
        assert_error(upload(client, user, b"two", "a.txt", key="up-2"), 422)
        assert_error(upload(client, user, b"one", "b.txt", key="up-2"), 422)
        assert len(stored_files(app)) == 1

    def test_upload_invalid_key_is_400(
        self, app: Flask, client: FlaskClient, user: Account
    ) -> None:
        body = assert_error(upload(client, user, key="u" * 300), 400)
        assert "Idempotency-Key" in body["errors"]
        assert stored_files(app) == []


# --------------------------------------------------------------------------- rate limits


class TestRateLimitHeaders:
    def test_login_responses_carry_rate_limit_headers(
        self, app_factory: Callable[..., Flask]
    ) -> None:
        app = app_factory(LOGIN_RATE_LIMIT="5 per minute")
        client = app.test_client()
        ok = client.post("/api/auth/login", json=ADMIN)
        assert ok.status_code == 200
        assert ok.headers["X-RateLimit-Limit"] == "5"
        assert ok.headers["X-RateLimit-Remaining"] == "5"  # successes are not counted
        assert int(ok.headers["X-RateLimit-Reset"]) > 0
        assert "Retry-After" not in ok.headers  # only a 429 tells the client to wait

        bad = {"username": ADMIN["username"], "password": "not-the-password"}
        remaining = []
        for _ in range(5):
            response = client.post("/api/auth/login", json=bad)
            assert response.status_code == 401
            assert response.headers["X-RateLimit-Limit"] == "5"
            remaining.append(int(response.headers["X-RateLimit-Remaining"]))
        assert remaining == [4, 3, 2, 1, 0]

        limited = client.post("/api/auth/login", json=bad)
        assert_error(limited, 429)
        assert limited.headers["X-RateLimit-Remaining"] == "0"
        assert 0 < int(limited.headers["Retry-After"]) <= 60
        # Even the right password is refused while limited.
        assert_error(client.post("/api/auth/login", json=ADMIN), 429)

    def test_default_limit_comes_from_config(self, client: FlaskClient) -> None:
        response = client.post("/api/auth/login", json={"username": "ghost", "password": "x"})
        assert response.status_code == 401
        assert response.headers["X-RateLimit-Limit"] == "10"

    def test_every_route_is_limited_per_address(self, client: FlaskClient) -> None:
        response = client.get("/api/items")
        assert response.status_code == 200
        assert response.headers["X-RateLimit-Limit"] == "6000"  # ADDRESS_RATE_LIMIT
        assert response.headers["RateLimit-Policy"] == '"address";q=6000;w=60'


# --------------------------------------------------------------------------- audit


class TestAuditLog:
    def audit(self, client: FlaskClient, admin: Account, query: str = "") -> Any:
        response = client.get(f"/api/admin/audit{query}", headers=admin.headers)
        assert response.status_code == 200, response.get_json()
        return response

    def test_toggle_is_recorded(
        self, client: FlaskClient, admin: Account, user: Account, make_item: MakeItem
    ) -> None:
        item = make_item(user)
        toggled = client.post(
            f"/api/admin/items/{item['id']}/toggle",
            headers={**admin.headers, "X-Request-ID": "audit-toggle"},
        )
        assert toggled.status_code == 200
        body = self.audit(client, admin).get_json()
        assert body["total"] == 1
        [entry] = body["items"]
        assert entry["actor_id"] == admin.id
        assert entry["action"] == "item.toggle"
        assert entry["target_type"] == "item"
        assert entry["target_id"] == str(item["id"])
        assert entry["details"] == {"is_active": False}
        assert entry["request_id"] == "audit-toggle" == toggled.headers["X-Request-ID"]
        assert entry["created_at"].endswith("+00:00")

    def test_bulk_delete_is_recorded_once(
        self, client: FlaskClient, admin: Account, user: Account, make_item: MakeItem
    ) -> None:
        ids = sorted(make_item(user)["id"] for _ in range(2))
        response = client.post(
            "/api/admin/items/bulk-delete", json={"ids": [*ids, 999999]}, headers=admin.headers
        )
        assert response.status_code == 200
        assert response.get_json() == {"deleted": 2, "not_found": [999999]}
        body = self.audit(client, admin).get_json()
        assert body["total"] == 1
        [entry] = body["items"]
        assert entry["action"] == "item.bulk_delete"
        assert entry["actor_id"] == admin.id
        assert entry["target_id"] == ",".join(map(str, ids))
        assert entry["details"] == {"ids": ids}
        assert entry["request_id"] == response.headers["X-Request-ID"]
        # Deleting nothing is not an action.
        nothing = client.post(
            "/api/admin/items/bulk-delete", json={"ids": [999999]}, headers=admin.headers
        )
        assert nothing.status_code == 200
        assert self.audit(client, admin).get_json()["total"] == 1

    def test_user_changes_are_recorded(
        self, client: FlaskClient, admin: Account, user: Account
    ) -> None:
        patched = client.patch(
            f"/api/admin/users/{user.id}",
            json={"is_admin": True},
            headers={**admin.headers, "X-Request-ID": "audit-user"},
        )
        assert patched.status_code == 200
        toggled = client.post(f"/api/admin/users/{user.id}/toggle", headers=admin.headers)
        assert toggled.status_code == 200
        noop = client.patch(
            f"/api/admin/users/{user.id}", json={"is_admin": True}, headers=admin.headers
        )
        assert noop.status_code == 200
        body = self.audit(client, admin).get_json()
        assert body["total"] == 2
        newest, oldest = body["items"]
        assert oldest["action"] == newest["action"] == "user.update"
        assert oldest["target_type"] == "user" and oldest["target_id"] == str(user.id)
        assert oldest["details"] == {"is_admin": True}
        assert oldest["request_id"] == "audit-user"
        assert newest["details"] == {"is_active": False}
        assert newest["request_id"] == toggled.headers["X-Request-ID"]

    def test_refused_change_is_not_recorded(self, client: FlaskClient, admin: Account) -> None:
        response = client.patch(
            f"/api/admin/users/{admin.id}", json={"is_admin": False}, headers=admin.headers
        )
        assert_error(response, 409)
        assert self.audit(client, admin).get_json()["total"] == 0

    def test_filters(
        self,
        client: FlaskClient,
        admin: Account,
        user: Account,
        make_user: MakeUser,
        make_item: MakeItem,
    ) -> None:
        second = make_user()
        promoted = client.patch(
            f"/api/admin/users/{second.id}", json={"is_admin": True}, headers=admin.headers
        )
        assert promoted.status_code == 200
        item = make_item(user)
        assert (
            client.post(f"/api/admin/items/{item['id']}/toggle", headers=second.headers).status_code
            == 200
        )
        assert (
            client.post(f"/api/admin/items/{item['id']}/toggle", headers=admin.headers).status_code
            == 200
        )

        everything = self.audit(client, admin).get_json()
        assert everything["total"] == 3
        toggles = self.audit(client, admin, "?action=item.toggle").get_json()
        assert toggles["total"] == 2
        assert {e["action"] for e in toggles["items"]} == {"item.toggle"}
        by_second = self.audit(client, admin, f"?actor_id={second.id}").get_json()
        assert by_second["total"] == 1
        assert by_second["items"][0]["actor_id"] == second.id
        assert by_second["items"][0]["details"] == {"is_active": False}
        both = self.audit(client, admin, f"?actor_id={admin.id}&action=user.update").get_json()
        assert both["total"] == 1
        assert both["items"][0]["target_id"] == str(second.id)
        none = self.audit(client, admin, "?action=item.bulk_delete").get_json()
        assert none["total"] == 0 and none["items"] == []

    @pytest.mark.parametrize(
        "query,field",
        [("?action=nope", "action"), ("?actor_id=0", "actor_id"), ("?per_page=101", "per_page")],
    )
    def test_invalid_filters_are_400(
        self, client: FlaskClient, admin: Account, query: str, field: str
    ) -> None:
        body = assert_error(client.get(f"/api/admin/audit{query}", headers=admin.headers), 400)
        assert field in body["errors"]

    def test_pagination_headers(
        self, client: FlaskClient, admin: Account, user: Account, make_item: MakeItem
    ) -> None:
        item = make_item(user)
        for _ in range(3):
            url = f"/api/admin/items/{item['id']}/toggle"
            assert client.post(url, headers=admin.headers).status_code == 200
        response = self.audit(client, admin, "?action=item.toggle&per_page=1&page=2")
        body = response.get_json()
        assert body["total"] == 3 and len(body["items"]) == 1 and body["page"] == 2
        assert response.headers["X-Total-Count"] == "3"
        base = "/api/admin/audit?action=item.toggle&per_page=1&page="
        assert links(response) == {
            "first": base + "1",
            "prev": base + "1",
            "next": base + "3",
            "last": base + "3",
        }
        # Newest first.
        pages = [
            self.audit(client, admin, f"?per_page=1&page={n}").get_json()["items"][0]["id"]
            for n in (1, 2, 3)
        ]
        assert pages == sorted(pages, reverse=True)

    def test_non_admin_is_refused(self, client: FlaskClient, user: Account) -> None:
        assert_error(client.get("/api/admin/audit", headers=user.headers), 403)
        assert_error(client.get("/api/admin/audit"), 401)


# --------------------------------------------------------------------------- CLI


class TestCli:
    def test_create_admin_is_idempotent(self, app: Flask, client: FlaskClient) -> None:
        runner = app.test_cli_runner()
        args = ["create-admin", "--username", "root2", "--email", "Root2@Example.com"]
        result = runner.invoke(args=[*args, "--password", "root2-password"])
        assert result.exit_code == 0, result.output
        assert "Created admin 'root2'" in result.output
        body = auth_body(client, "root2", "root2-password")
        assert body["user"]["is_admin"] is True
        assert body["user"]["email"] == "root2@example.com"

        again = runner.invoke(args=[*args, "--password", "another-password"])
        assert again.exit_code == 0, again.output
        assert "already exists" in again.output
        with app.app_context():
            assert (
                db.session.scalar(select(func.count(User.id)).where(User.username == "root2")) == 1
            )
        # The second run did not change the password.
        auth_body(client, "root2", "root2-password")

    def test_create_admin_defaults_to_config(self, app_factory: Callable[..., Flask]) -> None:
        app = app_factory(ADMIN_USERNAME="cfgadmin", ADMIN_EMAIL="cfg@example.com")
        result = app.test_cli_runner().invoke(args=["create-admin"])
        assert result.exit_code == 0, result.output
        assert "Created admin 'cfgadmin'" in result.output
        login(app.test_client(), "cfgadmin", ADMIN["password"])

    def test_export_openapi_matches_committed_spec(self, app: Flask, tmp_path: Path) -> None:
        target = tmp_path / "exported.json"
        result = app.test_cli_runner().invoke(args=["export-openapi", "-o", str(target)])
        assert result.exit_code == 0, result.output
        assert str(target) in result.output
        committed = Path(__file__).resolve().parent.parent / "openapi.json"
        assert target.read_text() == committed.read_text()
        assert f"({len(SPEC['paths'])} paths)" in result.output

    def test_seed(self, app: Flask, client: FlaskClient, admin: Account) -> None:
        result = app.test_cli_runner().invoke(args=["seed", "--items", "50", "--users", "3"])
        assert result.exit_code == 0, result.output
        assert "Seeded 50 items for 3 demo users." in result.output
        everything = client.get("/api/admin/items?per_page=100", headers=admin.headers).json
        assert everything["total"] == 50 == len(everything["items"])
        active = sum(1 for item in everything["items"] if item["is_active"])
        assert client.get("/api/items").get_json()["total"] == active > 0
        demo = login(client, "demo1", "demo-password")
        assert client.get("/api/me/items", headers=demo.headers).status_code == 200

    def test_seed_zero_items(self, app: Flask, client: FlaskClient, admin: Account) -> None:
        result = app.test_cli_runner().invoke(args=["seed", "--items", "0", "--users", "1"])
        assert result.exit_code == 0, result.output
        assert client.get("/api/admin/items", headers=admin.headers).get_json()["total"] == 0

    def test_purge_revoked_tokens(self, app: Flask, client: FlaskClient, user: Account) -> None:
        live = auth_body(client, user.username, user.password)
        with app.app_context():
            now = utcnow()
            db.session.add_all(
                [
                    RevokedToken(jti="expired-1", expires_at=now - timedelta(hours=1)),
                    RevokedToken(jti="expired-2", expires_at=now - timedelta(seconds=5)),
                    RevokedToken(jti="live-1", expires_at=now + timedelta(hours=1)),
                    RefreshToken(
                        jti="old-refresh",
                        family_id="fam",
                        user_id=user.id,
                        expires_at=now - timedelta(days=1),
                        version=0,
                    ),
                ]
            )
            db.session.commit()
            refresh_before = db.session.scalar(select(func.count()).select_from(RefreshToken))
        result = app.test_cli_runner().invoke(args=["purge-revoked-tokens"])
        assert result.exit_code == 0, result.output
        assert "Purged 3 expired token records and 0 idempotency keys." in result.output
        with app.app_context():
            assert set(db.session.scalars(select(RevokedToken.jti))) == {"live-1"}
            refresh_after = db.session.scalar(select(func.count()).select_from(RefreshToken))
            assert refresh_after == refresh_before - 1
            assert db.session.get(RefreshToken, "old-refresh") is None
        # Live tokens are untouched.
        response = client.post("/api/auth/refresh", json={"refresh_token": live["refresh_token"]})
        assert response.status_code == 200


# --------------------------------------------------------------------------- metrics


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
