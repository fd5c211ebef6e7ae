"""The spec says what the server enforces, so generated clients and fuzzers send what it accepts
(issue 18 item 4, issue 20 item 7, issue 19's 503): each rule is read from openapi.json and then
checked against the server."""

import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.helpers import Account
from tests.live import ROOT
from tests.spec import SPEC, operation_by_id, operations


def schema(name: str) -> dict[str, Any]:
    return SPEC["components"]["schemas"][name]


def idempotency_parameter() -> dict[str, Any]:
    params = operation_by_id("createItem")["parameters"]
    return next(p for p in params if p["name"] == "Idempotency-Key")


# --- Idempotency-Key ----------------------------------------------------------------------------


def test_idempotency_key_is_declared_as_1_to_255_visible_ascii() -> None:
    declared = idempotency_parameter()["schema"]
    assert (declared["minLength"], declared["maxLength"]) == (1, 255)
    pattern = re.compile(declared["pattern"])
    assert pattern.match("a") and pattern.match("~" * 255) and pattern.match("550e8400-e29b")
    for refused in ("", " ", "a b", "é", "k" * 256, "tab\there", "\x7f"):
        assert not pattern.match(refused), refused
    for op_id in ("createItem", "uploadFile"):
        assert any(p["name"] == "Idempotency-Key" for p in operation_by_id(op_id)["parameters"])


@pytest.mark.parametrize(
    ("key", "status"), [("a", 201), ("~" * 255, 201), ("a b", 400), ("é", 400)]
)
def test_server_enforces_the_declared_key_rule(
    client: FlaskClient, user: Account, key: str, status: int
) -> None:
    declared = re.compile(idempotency_parameter()["schema"]["pattern"])
    assert bool(declared.match(key)) == (status == 201)
    headers = {**user.headers, "Idempotency-Key": key.encode().decode("latin-1")}
    response = client.post("/api/items", json={"name": "keyed"}, headers=headers)
    assert response.status_code == status, response.get_json()


def test_idempotency_key_retention_and_scope_are_documented() -> None:
    """A partner must know how long a key protects a retry, and that keys are per user."""
    description = idempotency_parameter()["description"]
    assert "24 hours" in description
    assert "per user" in description
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("Idempotency-Key") :]
    assert "24 hours" in section and "per user" in section


# --- NUL characters -----------------------------------------------------------------------------


def request_body_strings() -> list[tuple[str, str, dict[str, Any]]]:
    """Every string property of every JSON request body: (operationId, property, schema)."""
    found = []
    for _, _, op in operations():
        content = op.get("requestBody", {}).get("content", {})
        if "application/json" not in content:
            continue
        ref = content["application/json"]["schema"]["$ref"]
        for name, prop in schema(ref.rsplit("/", 1)[1]).get("properties", {}).items():
            if prop.get("type") == "string":
                found.append((op["operationId"], name, prop))
    return found


def test_every_json_string_field_declares_it_refuses_nul() -> None:
    strings = request_body_strings()
    assert len(strings) >= 8
    for op_id, name, prop in strings:
        pattern = re.compile(prop["pattern"])
        assert not pattern.match("a\x00b"), (op_id, name, prop["pattern"])
        assert pattern.match("x" * prop.get("minLength", 1)), (op_id, name)
    assert "NUL" in SPEC["info"]["description"]


def test_server_refuses_nul_exactly_where_the_spec_says(client: FlaskClient, user: Account) -> None:
    body = {"name": "a\x00b", "unknown": "a\x00b"}
    response = client.post("/api/items", json=body, headers=user.headers)
    assert response.status_code == 400
    assert set(response.get_json()["errors"]) == {"name"}


# --- pagination and passwords -------------------------------------------------------------------


@pytest.mark.parametrize("op_id", ["listItems", "listMyItems", "adminListItems"])
def test_after_says_it_cannot_be_combined_with_page(op_id: str) -> None:
    params = {p["name"]: p for p in operation_by_id(op_id)["parameters"]}
    if "after" not in params:
        pytest.skip(f"{op_id} has no keyset pagination")
    assert "Cannot be combined with `page` (400), except `page=1`" in params["after"]["description"]


@pytest.mark.parametrize("path", ["/api/me/items", "/api/items", "/api/admin/items"])
def test_after_with_page_is_refused(client: FlaskClient, admin: Account, path: str) -> None:
    response = client.get(f"{path}?after=&page=2", headers=admin.headers)
    assert response.status_code == 400
    assert response.get_json()["errors"]["after"] == "cannot be combined with page"
    # `page=1` is the default, which generated clients send with every call.
    assert client.get(f"{path}?after=&page=1", headers=admin.headers).status_code == 200


@pytest.mark.parametrize(
    ("model", "field"), [("RegisterRequest", "password"), ("ChangePasswordRequest", "new_password")]
)
def test_password_rule_is_described_in_the_schema(model: str, field: str) -> None:
    prop = schema(model)["properties"][field]
    assert (prop["minLength"], prop["maxLength"]) == (8, 72)
    assert "72 bytes" in prop["description"] and "8 characters" in prop["description"]


# --- 503 while a dependency is down -------------------------------------------------------------


def test_every_operation_declares_503_with_retry_after() -> None:
    for path, method, op in operations():
        response = op["responses"].get("503")
        assert response, f"{method.upper()} {path} does not declare 503"
        assert "Retry-After" in response["headers"], (path, method)
        ref = response["content"]["application/json"]["schema"]["$ref"]
        expected = "Health" if op["operationId"] == "getHealth" else "ErrorResponse"
        assert ref.endswith(f"/{expected}"), (path, method, ref)
