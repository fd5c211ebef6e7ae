"""Request ids: `X-Request-ID` is echoed when valid, generated otherwise, sent on every answer
(204 and 304 included) and repeated as `request_id` in every error body.
"""

import re

import pytest
from flask.testing import FlaskClient

from api.openapi.sdk import FROM_HTTP_SERVER
from tests.helpers import (
    Account,
    MakeItem,
    assert_error,
)
from tests.spec import SPEC

HEX32 = re.compile(r"^[0-9a-f]{32}$")


def test_every_response_declares_x_request_id() -> None:
    for path, ops in SPEC["paths"].items():
        for method, op in ops.items():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            for status, response in op["responses"].items():
                if response.get(FROM_HTTP_SERVER):
                    continue  # refused by gunicorn before the app sees the request
                assert "X-Request-ID" in response.get("headers", {}), (path, method, status)


def test_error_model_has_request_id() -> None:
    assert "request_id" in SPEC["components"]["schemas"]["ErrorResponse"]["properties"]


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
        assert "Content-Type" not in not_modified.headers
        deleted = client.delete(
            f"/api/items/{item['id']}", headers={**user.headers, "X-Request-ID": "r204"}
        )
        assert deleted.status_code == 204
        assert deleted.headers["X-Request-ID"] == "r204"
        assert "Content-Type" not in deleted.headers and deleted.data == b""  # not text/html
