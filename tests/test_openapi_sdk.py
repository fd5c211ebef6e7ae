"""The spec reads like a hand-written SDK's source (api/openapi/sdk.py): named enums with value
names, one schema per concept, no names that generators rename, bounds and formats everywhere,
shared parameters and headers, every operation complete. Checked on the committed openapi.json
(tests/test_openapi_spec.py checks it equals what the server serves)."""

import json
from collections import Counter
from typing import Any

from api.openapi.sdk import RESERVED_NAMES, _enum_varnames
from tests.spec import RAW_SPEC, operations

SCHEMAS = RAW_SPEC["components"]["schemas"]


def every_schema(node: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(node, dict):
        if isinstance(node.get("type"), str):
            found.append(node)
        for key, value in node.items():
            if key not in ("example", "examples"):
                found += every_schema(value)
    elif isinstance(node, list):
        for value in node:
            found += every_schema(value)
    return found


def test_every_enum_is_a_named_component_with_value_names() -> None:
    inline = [s for s in every_schema(RAW_SPEC["paths"]) if "enum" in s]
    assert inline == []
    enums = {name: s for name, s in SCHEMAS.items() if "enum" in s}
    assert {"ItemSort", "UserSort", "AuditAction", "AuditTargetType", "TokenType"} <= set(enums)
    assert {"HealthStatus"} <= set(enums)
    for name, schema in enums.items():
        assert len(schema["x-enum-varnames"]) == len(schema["enum"]), name
        assert len(set(schema["x-enum-varnames"])) == len(schema["enum"]), name
    item_sort = dict(
        zip(enums["ItemSort"]["enum"], enums["ItemSort"]["x-enum-varnames"], strict=True)
    )
    assert item_sort["-created_at"] == "CREATED_AT_DESC"
    assert item_sort["name"] == "NAME_ASC"


def test_one_enum_component_serves_every_list_of_its_kind() -> None:
    sorts = {
        op["operationId"]: p["schema"]
        for _, _, op in operations()
        for p in op.get("parameters", [])
        if p["name"] == "sort"
    }
    assert sorts["listItems"] == sorts["listMyItems"] == sorts["adminListItems"]
    assert sorts["listItems"] == {"$ref": "#/components/schemas/ItemSort"}
    assert sorts["adminListUsers"] == {"$ref": "#/components/schemas/UserSort"}


def test_enum_value_names_read_well() -> None:
    assert _enum_varnames(["-created_at", "name"]) == ["CREATED_AT_DESC", "NAME_ASC"]
    assert _enum_varnames(["item.toggle", "Bearer"]) == ["ITEM_TOGGLE", "BEARER"]


def test_no_two_schemas_are_identical_and_none_clashes_with_a_builtin() -> None:
    bodies = Counter(json.dumps(s, sort_keys=True) for s in SCHEMAS.values())
    assert [body for body, count in bodies.items() if count > 1] == []
    assert not set(SCHEMAS) & RESERVED_NAMES
    assert "AdminItemPage" not in SCHEMAS and "ErrorResponse" in SCHEMAS


def test_free_form_maps_are_declared_free_form() -> None:
    assert SCHEMAS["FieldErrors"]["additionalProperties"]["type"] == "string"
    assert SCHEMAS["AuditDetails"]["additionalProperties"] is True
    error = SCHEMAS["ErrorResponse"]["properties"]
    assert error["errors"] == {"$ref": "#/components/schemas/FieldErrors"}


def test_nullability_and_read_only_match_what_the_server_sends() -> None:
    item = SCHEMAS["Item"]["properties"]
    assert item["user_id"]["nullable"] is True  # ON DELETE SET NULL
    assert all(item[f]["readOnly"] for f in ("id", "created_at", "updated_at", "user_id"))
    audit = SCHEMAS["AuditEntry"]["properties"]
    assert audit["actor_id"]["nullable"] is True and audit["request_id"]["nullable"] is True
    assert SCHEMAS["User"]["properties"]["last_login"]["nullable"] is True


def test_every_scalar_is_bounded() -> None:
    for schema in every_schema(RAW_SPEC):
        if schema["type"] == "integer":
            assert schema["format"] in ("int32", "int64"), schema
            assert "minimum" in schema and "maximum" in schema, schema
        elif schema["type"] == "string" and "enum" not in schema:
            assert "maxLength" in schema, schema
            assert "format" in schema or "pattern" in schema, schema
        elif schema["type"] == "array":
            assert "maxItems" in schema, schema


def test_every_operation_is_complete() -> None:
    for _, _, op in operations():
        assert "security" in op, op["operationId"]
        assert {"500", "default"} <= set(op["responses"]), op["operationId"]
        for media in op.get("requestBody", {}).get("content", {}).values():
            if "schema" in media and "properties" not in media["schema"]:
                assert "example" in media, op["operationId"]
    public = {op["operationId"]: op["security"] for _, _, op in operations()}
    assert public["login"] == public["register"] == public["refreshToken"] == []


def test_shared_parameters_and_headers_are_components() -> None:
    raw_ops = [op for _, _, op in operations(RAW_SPEC)]
    text = json.dumps(raw_ops)
    assert '"name": "X-Request-ID"' not in text
    assert "#/components/parameters/RequestId" in json.dumps(RAW_SPEC["paths"])
    assert "#/components/headers/RequestId" in text
    assert RAW_SPEC["components"]["headers"]["Access-Control-Allow-Origin"]


def test_every_schema_is_described_with_an_example() -> None:
    for name, schema in SCHEMAS.items():
        assert schema.get("description"), name
        if schema.get("type") == "object" and "properties" in schema:
            assert "example" in schema, name
    for _, _, op in operations():
        for status, response in op["responses"].items():
            for media_type, media in response.get("content", {}).items():
                if media_type == "application/json":
                    assert "example" in media, (op["operationId"], status)


def test_servers_name_their_audience_and_a_public_url_can_be_configured(app_factory) -> None:
    assert RAW_SPEC["servers"] == [
        {
            "url": "/",
            "description": RAW_SPEC["servers"][0]["description"],
            "x-internal": False,
        }
    ]
    app = app_factory(PUBLIC_BASE_URL="https://api.example.com/")
    served = app.test_client().get("/api/openapi.json").get_json()
    assert served["servers"][0]["url"] == "https://api.example.com"
    assert served["servers"][1]["url"] == "/"
