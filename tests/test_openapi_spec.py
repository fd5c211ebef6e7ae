"""The spec is product: served == committed, valid, complete, and enforced by the test client."""

import json

import pytest
from openapi_spec_validator import validate

from api.http.errors import ApiError
from tests.contract import ContractViolation
from tests.spec import RAW_SPEC, SPEC, SPEC_PATH, operation, operations, schema_of

PUBLIC_OPERATIONS = {
    "getHealth",
    "register",
    "login",
    "refreshToken",
    "listItems",
    "getItem",
    "oauthToken",
    "requestPasswordReset",
    "confirmPasswordReset",
}
# RFC 6749 §5.2 errors keep the `error` key but add `error_description`.
OAUTH_ERRORS = {("oauthToken", "400"): {"$ref": "#/components/schemas/OAuthError"}}
# Public only with a signed link (`expires` + `signature`); otherwise a token is required.
PUBLIC_OPERATIONS |= {"downloadFile"}


def test_committed_openapi_json_equals_what_the_server_serves(client):
    served = client.get("/api/openapi.json").get_data(as_text=True)
    assert SPEC_PATH.read_text() == served, "run `make spec` and commit openapi.json"


def test_openapi_document_is_valid_openapi_3(served_spec):
    assert served_spec["openapi"].startswith("3.0")
    validate(served_spec)


def test_swagger_json_is_valid_swagger_2(client):
    swagger = client.get("/api/swagger.json").get_json()
    assert swagger["swagger"] == "2.0"
    validate(swagger)


def test_every_operation_is_documented_for_sdk_generation():
    ids = [op["operationId"] for _, _, op in operations()]
    assert len(ids) == len(set(ids)) == 47
    for path, method, op in operations():
        where = f"{method.upper()} {path}"
        assert op["summary"] and op["description"], where
        assert op["tags"], where
        assert any(code.startswith("2") for code in op["responses"]), where
        for code, response in op["responses"].items():
            if code.startswith(("4", "5")) and code != "503":
                schema = response["content"]["application/json"]["schema"]
                expected = OAUTH_ERRORS.get((op["operationId"], code))
                expected = expected or {"$ref": "#/components/schemas/ErrorResponse"}
                assert schema == expected, f"{where} {code}"


def test_protected_operations_declare_bearer_security(served_spec):
    assert served_spec["components"]["securitySchemes"]["Bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": served_spec["components"]["securitySchemes"]["Bearer"]["description"],
    }
    for path, method, op in operations(served_spec):
        security = op.get("security", [])
        if op["operationId"] in PUBLIC_OPERATIONS:
            assert {} in security or security == [], f"{method} {path} must be public"
        else:
            assert security[0] == {"Bearer": []}, f"{method} {path} must require a token"
            assert [set(r) for r in security] == [{"Bearer"}, {"OAuth2"}], f"{method} {path}"
            assert "401" in op["responses"], f"{method} {path} must document 401"


def test_request_bodies_are_typed_with_examples(served_spec):
    create = served_spec["paths"]["/api/items"]["post"]["requestBody"]["content"][
        "application/json"
    ]
    assert create["schema"] == {"$ref": "#/components/schemas/ItemCreate"}
    item_create = served_spec["components"]["schemas"]["ItemCreate"]
    assert item_create["required"] == ["name"]
    assert item_create["properties"]["name"]["maxLength"] == 255
    assert item_create["properties"]["name"]["example"]
    upload = served_spec["paths"]["/api/upload"]["post"]["requestBody"]["content"]
    assert upload["multipart/form-data"]["schema"]["properties"]["file"] == {
        "type": "string",
        "format": "binary",
        "description": "The file to upload",
        "maxLength": 16 * 1024 * 1024,
    }


def test_query_parameters_have_bounds_and_enums():
    params = {p["name"]: p for p in SPEC["paths"]["/api/items"]["get"]["parameters"]}
    assert params["per_page"]["schema"]["maximum"] == 100
    assert params["page"]["schema"]["minimum"] == 1
    assert params["sort"]["schema"] == {"$ref": "#/components/schemas/ItemSort"}
    assert schema_of(params["sort"]["schema"])["enum"] == [
        "-created_at",
        "created_at",
        "name",
        "-name",
        "-updated_at",
        "updated_at",
    ]


def test_nullable_fields_are_declared(served_spec):
    last_login = served_spec["components"]["schemas"]["User"]["properties"]["last_login"]
    assert last_login["nullable"] is True


def test_contract_client_rejects_an_undocumented_status(client, user, make_item, monkeypatch):
    item = make_item(user)

    def conflict(*_args, **_kwargs):
        raise ApiError(409, "not documented for getItem")

    monkeypatch.setattr("api.services.items.get_visible", conflict)
    with pytest.raises(ContractViolation, match="409"):
        client.get(f"/api/items/{item['id']}")


def test_contract_client_rejects_a_body_missing_a_required_field(client, admin, monkeypatch):
    monkeypatch.setattr(
        "api.services.admin.stats", lambda: {"total": 1, "active": 1, "inactive": 0}
    )
    with pytest.raises(ContractViolation, match="users"):
        client.get("/api/admin/stats", headers=admin.headers)


def test_export_command_writes_the_served_document(app, tmp_path):
    target = tmp_path / "exported.json"
    result = app.test_cli_runner().invoke(args=["export-openapi", "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert json.loads(target.read_text()) == RAW_SPEC


def test_refresh_and_audit_operations_exist_and_metrics_does_not() -> None:
    refresh = operation("/api/auth/refresh", "post")
    assert refresh["operationId"] == "refreshToken"
    assert "401" in refresh["responses"]
    audit = operation("/api/admin/audit", "get")
    assert audit["operationId"] == "adminListAudit"
    assert {"page", "per_page", "action", "actor_id"} <= {p["name"] for p in audit["parameters"]}
    token_schema = SPEC["components"]["schemas"]["AuthToken"]
    assert "refresh_token" in token_schema["required"]
    assert not any("metrics" in path for path in SPEC["paths"])


def test_only_lists_that_take_after_document_next_cursor() -> None:
    """A page's `next_cursor` answers `after`; a list without `after` does not promise one."""
    checked = 0
    for _, _, op in operations():
        content = op["responses"].get("200", {}).get("content", {}).get("application/json")
        schema = schema_of(content["schema"]) if content else {}
        if "total" not in schema.get("properties", {}):
            continue  # not a list page
        takes_after = any(param["name"] == "after" for param in op.get("parameters", []))
        assert ("next_cursor" in schema["properties"]) == takes_after, op["operationId"]
        checked += 1
    assert checked >= 8
