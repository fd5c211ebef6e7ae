"""Unit tests for the Swagger 2.0 -> OpenAPI 3.0.3 converter in ``api.openapi.converter``."""

import copy
from typing import Any

import pytest
from openapi_spec_validator import validate

from api.openapi.converter import to_openapi3

Json = dict[str, Any]

OK = {"200": {"description": "OK"}}


def swagger(paths: Json | None = None, **extra: Any) -> Json:
    """A minimal, valid Swagger 2.0 document shaped like Flask-RESTX output."""
    doc: Json = {
        "swagger": "2.0",
        "basePath": "/api",
        "info": {"title": "Test API", "version": "1.0"},
        "produces": ["application/json"],
        "consumes": ["application/json"],
        "paths": paths or {},
    }
    doc.update(extra)
    return doc


def convert(source: Json, **kwargs: Any) -> Json:
    """Validate the Swagger input, convert it, and validate the OpenAPI output."""
    validate(copy.deepcopy(source))
    result = to_openapi3(source, **kwargs)
    validate(copy.deepcopy(result))
    return result


def op(**fields: Any) -> Json:
    return {"responses": OK, **fields}


# --- document layout ---------------------------------------------------------------------


def test_top_level_layout_and_key_order() -> None:
    source = swagger(
        {"/ping": {"get": op()}},
        tags=[{"name": "ping", "description": "Health"}],
        definitions={"Thing": {"type": "object"}},
        securityDefinitions={"Key": {"type": "apiKey", "in": "query", "name": "key"}},
        security=[{"Key": []}],
        externalDocs={"url": "https://example.com/docs"},
        **{"x-logo": {"url": "logo.png"}},
    )
    source = {"x-first": 1, **source}  # x- keys must still end up last
    result = convert(source)

    assert list(result) == [
        "openapi",
        "info",
        "servers",
        "tags",
        "paths",
        "components",
        "security",
        "externalDocs",
        "x-first",
        "x-logo",
    ]
    assert result["openapi"] == "3.0.3"
    assert result["info"] == {"title": "Test API", "version": "1.0"}
    assert result["servers"] == [{"url": "/api"}]
    assert result["tags"] == [{"name": "ping", "description": "Health"}]
    assert list(result["components"]) == ["schemas", "securitySchemes"]
    assert result["security"] == [{"Key": []}]
    assert result["externalDocs"] == {"url": "https://example.com/docs"}
    assert "swagger" not in result and "consumes" not in result and "produces" not in result


def test_servers_default_to_root_without_base_path() -> None:
    source = swagger({"/ping": {"get": op()}})
    del source["basePath"]
    assert convert(source)["servers"] == [{"url": "/"}]


def test_servers_argument_wins_and_is_copied() -> None:
    servers = [{"url": "https://api.example.com/v1", "description": "prod"}]
    result = convert(swagger({"/ping": {"get": op()}}), servers=servers)
    assert result["servers"] == servers
    assert result["servers"] is not servers


def test_servers_built_from_host_and_schemes() -> None:
    source = swagger({"/ping": {"get": op()}}, host="api.example.com", schemes=["https", "http"])
    assert convert(source)["servers"] == [
        {"url": "https://api.example.com/api"},
        {"url": "http://api.example.com/api"},
    ]


def test_no_components_when_nothing_to_share() -> None:
    assert "components" not in convert(swagger({"/ping": {"get": op()}}))


# --- schemas -----------------------------------------------------------------------------


def test_definitions_move_to_components_and_refs_are_rewritten_everywhere() -> None:
    source = swagger(
        {
            "/pets": {
                "get": op(
                    responses={
                        "200": {
                            "description": "OK",
                            "schema": {"type": "array", "items": {"$ref": "#/definitions/Pet"}},
                        }
                    }
                )
            }
        },
        definitions={
            "Animal": {"type": "object", "properties": {"name": {"type": "string"}}},
            "Pet": {
                "allOf": [
                    {"$ref": "#/definitions/Animal"},
                    {
                        "type": "object",
                        "properties": {
                            "friends": {"type": "array", "items": {"$ref": "#/definitions/Pet"}},
                            "byName": {
                                "type": "object",
                                "additionalProperties": {"$ref": "#/definitions/Animal"},
                            },
                        },
                    },
                ]
            },
        },
    )
    result = convert(source)

    assert result["components"]["schemas"]["Pet"] == {
        "allOf": [
            {"$ref": "#/components/schemas/Animal"},
            {
                "type": "object",
                "properties": {
                    "friends": {"type": "array", "items": {"$ref": "#/components/schemas/Pet"}},
                    "byName": {
                        "type": "object",
                        "additionalProperties": {"$ref": "#/components/schemas/Animal"},
                    },
                },
            },
        ]
    }
    content = result["paths"]["/pets"]["get"]["responses"]["200"]["content"]
    assert content == {
        "application/json": {
            "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Pet"}}
        }
    }


def test_schema_keyword_fixes_and_kept_keywords() -> None:
    source = swagger(
        {"/ping": {"get": op()}},
        definitions={
            "Upload": {
                "type": "object",
                "title": "Upload",
                "description": "An upload",
                "required": ["kind", "name"],
                "discriminator": "kind",
                "properties": {
                    "kind": {"type": "string", "enum": ["a", "b"], "example": "a"},
                    "name": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": 10,
                        "pattern": "^[a-z]+$",
                        "x-nullable": True,
                    },
                    "id": {"type": "integer", "format": "int64", "readOnly": True},
                    "size": {"type": "number", "minimum": 0, "maximum": 5, "default": 1},
                    "note": {"type": "string", "x-nullable": False},
                    "blob": {"type": "file"},
                    "tags": {
                        "type": "array",
                        "items": {"type": "string", "x-nullable": True},
                    },
                },
            }
        },
    )
    # "type: file" is only legal on Swagger 2 parameters, so skip validating that input.
    result = to_openapi3(source)
    validate(result)

    assert result["components"]["schemas"]["Upload"] == {
        "type": "object",
        "title": "Upload",
        "description": "An upload",
        "required": ["kind", "name"],
        "discriminator": {"propertyName": "kind"},
        "properties": {
            "kind": {"type": "string", "enum": ["a", "b"], "example": "a"},
            "name": {
                "type": "string",
                "minLength": 1,
                "maxLength": 10,
                "pattern": "^[a-z]+$",
                "nullable": True,
            },
            "id": {"type": "integer", "format": "int64", "readOnly": True},
            "size": {"type": "number", "minimum": 0, "maximum": 5, "default": 1},
            "note": {"type": "string"},
            "blob": {"type": "string", "format": "binary"},
            "tags": {"type": "array", "items": {"type": "string", "nullable": True}},
        },
    }


def test_nullable_ref_is_wrapped_in_all_of() -> None:
    source = swagger(
        {"/ping": {"get": op()}},
        definitions={
            "Owner": {"type": "object"},
            "Pet": {
                "type": "object",
                "properties": {"owner": {"$ref": "#/definitions/Owner", "x-nullable": True}},
            },
        },
    )
    result = convert(source)
    assert result["components"]["schemas"]["Pet"]["properties"]["owner"] == {
        "allOf": [{"$ref": "#/components/schemas/Owner"}],
        "nullable": True,
    }


def test_flask_restx_nested_nullable_any_of_null_becomes_nullable() -> None:
    # fields.Nested(..., nullable=True) emits JSON-Schema style anyOf + {"type": "null"},
    # which is invalid in both Swagger 2 and OpenAPI 3.0, so only the output is validated.
    source = swagger(
        {"/ping": {"get": op()}},
        definitions={
            "Owner": {"type": "object"},
            "Pet": {
                "type": "object",
                "properties": {
                    "owner": {"anyOf": [{"$ref": "#/definitions/Owner"}, {"type": "null"}]},
                    "owners": {
                        "description": "All owners",
                        "anyOf": [
                            {"type": "array", "items": {"$ref": "#/definitions/Owner"}},
                            {"type": "null"},
                        ],
                    },
                    "code": {"type": ["string", "null"]},
                },
            },
        },
    )
    result = to_openapi3(source)
    validate(result)
    assert result["components"]["schemas"]["Pet"]["properties"] == {
        "owner": {"allOf": [{"$ref": "#/components/schemas/Owner"}], "nullable": True},
        "owners": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/Owner"},
            "description": "All owners",
            "nullable": True,
        },
        "code": {"type": "string", "nullable": True},
    }


# --- parameters --------------------------------------------------------------------------


def test_query_header_and_path_parameters_move_type_keys_into_schema() -> None:
    parameters = [
        {
            "name": "limit",
            "in": "query",
            "description": "Page size",
            "type": "integer",
            "minimum": 1,
            "maximum": 100,
            "default": 20,
            "x-order": 1,
        },
        {"name": "status", "in": "query", "type": "string", "enum": ["open", "closed"]},
        {
            "name": "q",
            "in": "query",
            "required": True,
            "type": "string",
            "minLength": 2,
            "maxLength": 50,
            "pattern": "^\\w+$",
            "allowEmptyValue": False,
        },
        {"name": "X-Request-Id", "in": "header", "type": "string", "format": "uuid"},
        {"name": "id", "in": "path", "required": True, "type": "integer", "format": "int64"},
    ]
    result = convert(swagger({"/items/{id}": {"get": op(parameters=parameters)}}))

    assert result["paths"]["/items/{id}"]["get"]["parameters"] == [
        {
            "name": "limit",
            "in": "query",
            "description": "Page size",
            "required": False,
            "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
            "x-order": 1,
        },
        {
            "name": "status",
            "in": "query",
            "required": False,
            "schema": {"type": "string", "enum": ["open", "closed"]},
        },
        {
            "name": "q",
            "in": "query",
            "required": True,
            "allowEmptyValue": False,
            "schema": {"type": "string", "minLength": 2, "maxLength": 50, "pattern": "^\\w+$"},
        },
        {
            "name": "X-Request-Id",
            "in": "header",
            "required": False,
            "schema": {"type": "string", "format": "uuid"},
        },
        {
            "name": "id",
            "in": "path",
            "required": True,
            "schema": {"type": "integer", "format": "int64"},
        },
    ]


def test_parameter_example_stays_on_parameter() -> None:
    # "example" is not legal on Swagger 2 non-body parameters, so only the output is validated.
    source = swagger(
        {"/items": {"get": op(parameters=[{"name": "q", "in": "query", "type": "string"}])}}
    )
    source["paths"]["/items"]["get"]["parameters"][0]["example"] = "shoes"
    result = to_openapi3(source)
    validate(result)
    assert result["paths"]["/items"]["get"]["parameters"] == [
        {
            "name": "q",
            "in": "query",
            "required": False,
            "schema": {"type": "string"},
            "example": "shoes",
        }
    ]


@pytest.mark.parametrize(
    ("collection_format", "style"),
    [
        ("multi", {"style": "form", "explode": True}),
        ("csv", {"explode": False}),
        (None, {"explode": False}),  # Swagger 2 default is csv
        ("ssv", {"style": "spaceDelimited", "explode": False}),
        ("pipes", {"style": "pipeDelimited", "explode": False}),
    ],
)
def test_array_query_parameter_collection_formats(
    collection_format: str | None, style: Json
) -> None:
    param: Json = {
        "name": "ids",
        "in": "query",
        "type": "array",
        "items": {"type": "integer", "minimum": 1},
    }
    if collection_format:
        param["collectionFormat"] = collection_format
    result = convert(swagger({"/items": {"get": op(parameters=[param])}}))

    assert result["paths"]["/items"]["get"]["parameters"] == [
        {
            "name": "ids",
            "in": "query",
            "required": False,
            **style,
            "schema": {"type": "array", "items": {"type": "integer", "minimum": 1}},
        }
    ]


def test_path_level_parameters_are_kept_on_path_item_and_always_required() -> None:
    source = swagger(
        {
            "/items/{id}": {
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "type": "string"},
                ],
                "get": op(),
            }
        }
    )
    # OpenAPI 3 path parameters must be required even if the source forgot to say so.
    source_unrequired = copy.deepcopy(source)
    del source_unrequired["paths"]["/items/{id}"]["parameters"][0]["required"]

    expected = [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]
    assert convert(source)["paths"]["/items/{id}"]["parameters"] == expected
    result = to_openapi3(source_unrequired)
    validate(result)
    assert result["paths"]["/items/{id}"]["parameters"] == expected
    assert list(result["paths"]["/items/{id}"]) == ["parameters", "get"]


# --- request bodies ----------------------------------------------------------------------


def test_body_parameter_becomes_request_body_for_each_consumed_type() -> None:
    body = {
        "name": "payload",
        "in": "body",
        "required": True,
        "description": "The new item",
        "schema": {"$ref": "#/definitions/Item"},
    }
    source = swagger(
        {
            "/items": {
                "post": op(
                    parameters=[body],
                    consumes=["application/json", "application/xml"],
                )
            }
        },
        definitions={"Item": {"type": "object", "properties": {"name": {"type": "string"}}}},
    )
    operation = convert(source)["paths"]["/items"]["post"]

    assert "parameters" not in operation and "consumes" not in operation
    assert operation["requestBody"] == {
        "required": True,
        "description": "The new item",
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Item"}},
            "application/xml": {"schema": {"$ref": "#/components/schemas/Item"}},
        },
    }


def test_body_schema_example_is_copied_to_media_type_and_global_consumes_used() -> None:
    schema = {
        "type": "object",
        "example": {"name": "x"},
        "properties": {"name": {"type": "string"}},
    }
    body = {"name": "payload", "in": "body", "schema": schema}
    source = swagger({"/items": {"put": op(parameters=[body])}})
    source["consumes"] = ["application/merge-patch+json"]
    operation = convert(source)["paths"]["/items"]["put"]

    assert operation["requestBody"] == {
        "required": False,
        "content": {
            "application/merge-patch+json": {"schema": schema, "example": {"name": "x"}},
        },
    }


def test_form_data_with_file_becomes_multipart_request_body() -> None:
    parameters = [
        {"name": "file", "in": "formData", "type": "file", "required": True, "description": "CSV"},
        {"name": "note", "in": "formData", "type": "string", "maxLength": 200},
        {"name": "X-Trace", "in": "header", "type": "string"},
    ]
    source = swagger({"/upload": {"post": op(parameters=parameters)}})
    operation = convert(source)["paths"]["/upload"]["post"]

    assert operation["parameters"] == [
        {"name": "X-Trace", "in": "header", "required": False, "schema": {"type": "string"}}
    ]
    assert operation["requestBody"] == {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": "CSV"},
                        "note": {"type": "string", "maxLength": 200},
                    },
                    "required": ["file"],
                }
            }
        },
    }


def test_form_data_without_file_is_urlencoded() -> None:
    parameters = [{"name": "name", "in": "formData", "type": "string"}]
    operation = convert(swagger({"/form": {"post": op(parameters=parameters)}}))["paths"]["/form"]
    assert operation["post"]["requestBody"] == {
        "required": False,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {"type": "object", "properties": {"name": {"type": "string"}}}
            }
        },
    }


def test_form_data_uses_form_media_types_declared_in_consumes() -> None:
    # Flask-RESTX declares both form encodings for forms without files.
    parameters = [{"name": "age", "in": "formData", "type": "integer", "required": True}]
    consumes = ["application/x-www-form-urlencoded", "multipart/form-data"]
    source = swagger({"/form": {"post": op(parameters=parameters, consumes=consumes)}})
    body = convert(source)["paths"]["/form"]["post"]["requestBody"]

    schema = {"type": "object", "properties": {"age": {"type": "integer"}}, "required": ["age"]}
    assert body == {"required": True, "content": {media: {"schema": schema} for media in consumes}}


def test_path_level_body_parameter_moves_into_each_operation() -> None:
    source = swagger(
        {
            "/items": {
                "parameters": [{"name": "payload", "in": "body", "schema": {"type": "object"}}],
                "post": op(),
                "put": op(
                    parameters=[{"name": "payload", "in": "body", "schema": {"type": "string"}}]
                ),
            }
        }
    )
    item = convert(source)["paths"]["/items"]

    assert "parameters" not in item
    assert item["post"]["requestBody"]["content"]["application/json"] == {
        "schema": {"type": "object"}
    }
    assert item["put"]["requestBody"]["content"]["application/json"] == {
        "schema": {"type": "string"}
    }


# --- responses ---------------------------------------------------------------------------


def test_responses_content_headers_examples_and_descriptions() -> None:
    responses = {
        "200": {
            "description": "Found",
            "schema": {"$ref": "#/definitions/Item"},
            "headers": {
                "X-Total": {"description": "Total count", "type": "integer", "minimum": 0},
                "X-Tags": {"type": "array", "items": {"type": "string"}},
            },
            "examples": {"application/json": {"name": "widget"}},
        },
        "204": {"description": ""},
        "404": {"description": "Not found", "x-internal": True},
        "default": {"description": ""},
    }
    source = swagger(
        {"/items": {"get": {"responses": responses, "produces": ["application/json", "text/csv"]}}},
        definitions={"Item": {"type": "object"}},
    )
    result = convert(source)["paths"]["/items"]["get"]["responses"]

    assert result == {
        "200": {
            "description": "Found",
            "content": {
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/Item"},
                    "example": {"name": "widget"},
                },
            },
            "headers": {
                "X-Total": {
                    "description": "Total count",
                    "schema": {"type": "integer", "minimum": 0},
                },
                "X-Tags": {"schema": {"type": "array", "items": {"type": "string"}}},
            },
        },
        "204": {"description": "No Content"},
        "404": {"description": "Not found", "x-internal": True},
        "default": {"description": "Default response"},
    }


def test_response_without_description_and_integer_codes() -> None:
    # Hand-built dicts may use int codes or omit descriptions; neither is valid Swagger 2.
    source = swagger(
        {"/items": {"delete": {"responses": {204: {}, 418: {"description": None}}}}},
    )
    result = to_openapi3(source)
    validate(result)
    assert result["paths"]["/items"]["delete"]["responses"] == {
        "204": {"description": "No Content"},
        "418": {"description": "I'm a Teapot"},
    }


def test_operation_without_responses_gets_default_response() -> None:
    source = swagger({"/items": {"get": {"operationId": "list"}}})
    result = to_openapi3(source)
    validate(result)
    assert result["paths"]["/items"]["get"]["responses"] == {
        "default": {"description": "Default response"}
    }


def test_shared_responses_and_parameters_become_components() -> None:
    source = swagger(
        {
            "/items": {
                "get": {
                    "parameters": [{"$ref": "#/parameters/Limit"}],
                    "responses": {"200": OK["200"], "400": {"$ref": "#/responses/ParseError"}},
                },
                "post": op(parameters=[{"$ref": "#/parameters/Payload"}]),
            }
        },
        definitions={"Error": {"type": "object"}},
        responses={
            "ParseError": {"description": "Bad mask", "schema": {"$ref": "#/definitions/Error"}},
            "MaskError": {"description": ""},
        },
        parameters={
            "Limit": {"name": "limit", "in": "query", "type": "integer"},
            "Payload": {
                "name": "payload",
                "in": "body",
                "required": True,
                "schema": {"$ref": "#/definitions/Error"},
            },
        },
    )
    result = convert(source)

    assert result["components"]["responses"] == {
        "ParseError": {
            "description": "Bad mask",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        },
        "MaskError": {"description": "MaskError"},
    }
    assert result["components"]["parameters"] == {
        "Limit": {"name": "limit", "in": "query", "required": False, "schema": {"type": "integer"}}
    }
    get, post = result["paths"]["/items"]["get"], result["paths"]["/items"]["post"]
    assert get["parameters"] == [{"$ref": "#/components/parameters/Limit"}]
    assert get["responses"]["400"] == {"$ref": "#/components/responses/ParseError"}
    # A shared body parameter cannot be a components.parameters entry, so it is inlined.
    assert "parameters" not in post
    assert post["requestBody"] == {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


# --- security and operations -------------------------------------------------------------


def test_security_definitions_become_security_schemes() -> None:
    definitions = {
        "Bearer": {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "JWT: 'Bearer <token>'",
        },
        "ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
        "Basic": {"type": "basic", "description": "user/password"},
        "Implicit": {
            "type": "oauth2",
            "flow": "implicit",
            "authorizationUrl": "https://auth.example.com/authorize",
            "scopes": {"read": "Read access"},
        },
        "Password": {
            "type": "oauth2",
            "flow": "password",
            "tokenUrl": "https://auth.example.com/token",
            "scopes": {},
        },
        "Application": {
            "type": "oauth2",
            "flow": "application",
            "tokenUrl": "https://auth.example.com/token",
            "scopes": {"admin": "Admin"},
        },
        "AccessCode": {
            "type": "oauth2",
            "flow": "accessCode",
            "authorizationUrl": "https://auth.example.com/authorize",
            "tokenUrl": "https://auth.example.com/token",
            "scopes": {},
        },
    }
    result = convert(swagger({"/ping": {"get": op()}}, securityDefinitions=definitions))

    assert result["components"]["securitySchemes"] == {
        "Bearer": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "JWT: 'Bearer <token>'",
        },
        "ApiKey": {"type": "apiKey", "name": "X-API-Key", "in": "header"},
        "Basic": {"type": "http", "scheme": "basic", "description": "user/password"},
        "Implicit": {
            "type": "oauth2",
            "flows": {
                "implicit": {
                    "authorizationUrl": "https://auth.example.com/authorize",
                    "scopes": {"read": "Read access"},
                }
            },
        },
        "Password": {
            "type": "oauth2",
            "flows": {"password": {"tokenUrl": "https://auth.example.com/token", "scopes": {}}},
        },
        "Application": {
            "type": "oauth2",
            "flows": {
                "clientCredentials": {
                    "tokenUrl": "https://auth.example.com/token",
                    "scopes": {"admin": "Admin"},
                }
            },
        },
        "AccessCode": {
            "type": "oauth2",
            "flows": {
                "authorizationCode": {
                    "authorizationUrl": "https://auth.example.com/authorize",
                    "tokenUrl": "https://auth.example.com/token",
                    "scopes": {},
                }
            },
        },
    }


def test_operation_fields_kept_and_swagger_only_fields_dropped() -> None:
    public = op(
        tags=["auth"],
        summary="Log in",
        description="Exchange credentials for a token",
        operationId="login",
        deprecated=True,
        security=[],
        schemes=["https"],
        consumes=["application/json"],
        produces=["application/json"],
        externalDocs={"url": "https://example.com/login"},
        **{"x-rate-limit": "5/minute"},
    )
    source = swagger(
        {"/login": {"post": public, "get": op(security=[{"Bearer": []}])}},
        securityDefinitions={
            "Bearer": {"type": "apiKey", "in": "header", "name": "Authorization"},
        },
        security=[{"Bearer": []}],
    )
    result = convert(source)
    operation = result["paths"]["/login"]["post"]

    assert operation == {
        "tags": ["auth"],
        "summary": "Log in",
        "description": "Exchange credentials for a token",
        "externalDocs": {"url": "https://example.com/login"},
        "operationId": "login",
        "responses": {"200": {"description": "OK"}},
        "deprecated": True,
        "security": [],
        "x-rate-limit": "5/minute",
    }
    assert result["paths"]["/login"]["get"]["security"] == [{"Bearer": []}]
    assert result["security"] == [{"Bearer": []}]


def test_vendor_extensions_on_paths_and_path_items_are_kept() -> None:
    source = swagger({"/ping": {"get": op(), "x-owner": "ops"}, "x-generated": {"by": "restx"}})
    result = convert(source)
    assert result["paths"] == {
        "/ping": {"get": {"responses": {"200": {"description": "OK"}}}, "x-owner": "ops"},
        "x-generated": {"by": "restx"},
    }


def test_input_is_not_mutated() -> None:
    source = swagger(
        {
            "/items/{id}": {
                "parameters": [{"name": "id", "in": "path", "required": True, "type": "string"}],
                "post": {
                    "consumes": ["multipart/form-data"],
                    "parameters": [{"name": "f", "in": "formData", "type": "file"}],
                    "responses": {
                        "201": {"description": "", "schema": {"$ref": "#/definitions/A"}}
                    },
                },
            }
        },
        definitions={
            "A": {
                "type": "object",
                "discriminator": "kind",
                "required": ["kind"],
                "properties": {
                    "kind": {"type": "string"},
                    "b": {"$ref": "#/definitions/A", "x-nullable": True},
                },
            }
        },
        securityDefinitions={"Bearer": {"type": "apiKey", "in": "header", "name": "Authorization"}},
    )
    snapshot = copy.deepcopy(source)
    result = convert(source)

    assert source == snapshot
    # The result must not share mutable containers with the input either.
    result["components"]["schemas"]["A"]["properties"]["kind"]["type"] = "integer"
    result["info"]["title"] = "changed"
    assert source == snapshot


# --- end to end with a real Flask-RESTX app ----------------------------------------------


def test_real_flask_restx_app_schema_converts_and_validates() -> None:
    from flask import Flask
    from flask_restx import Api, Namespace, Resource, fields, reqparse
    from werkzeug.datastructures import FileStorage

    app = Flask(__name__)
    api = Api(
        app,
        title="Demo",
        version="1.0",
        authorizations={"Bearer": {"type": "apiKey", "in": "header", "name": "Authorization"}},
        security="Bearer",
    )
    ns = Namespace("widgets", description="Widget operations")
    widget = ns.model(
        "Widget",
        {
            "id": fields.Integer(readonly=True, example=1),
            "name": fields.String(required=True, min_length=1, max_length=80, example="Gear"),
            "price": fields.Float(min=0),
            "tags": fields.List(fields.String),
        },
    )
    upload = reqparse.RequestParser()
    upload.add_argument("file", location="files", type=FileStorage, required=True, help="Image")
    search = reqparse.RequestParser()
    search.add_argument("q", type=str, location="args", help="Search text")
    search.add_argument("limit", type=int, default=20, choices=[10, 20, 50], location="args")

    @ns.route("/")
    class WidgetList(Resource):
        @ns.expect(search)
        @ns.marshal_list_with(widget)
        @ns.doc(security=[])
        def get(self) -> list[Json]:
            return []

        @ns.expect(widget, validate=True)
        @ns.marshal_with(widget, code=201)
        def post(self) -> Json:
            return {}

    @ns.route("/<int:widget_id>/image")
    class WidgetImage(Resource):
        @ns.expect(upload)
        @ns.response(204, "Image stored")
        def post(self, widget_id: int) -> tuple[str, int]:
            return "", 204

    api.add_namespace(ns)
    with app.test_request_context():
        source = api.__schema__
    result = convert(source, servers=[{"url": "http://localhost:5000"}])

    assert result["openapi"] == "3.0.3"
    assert result["servers"] == [{"url": "http://localhost:5000"}]
    assert result["components"]["securitySchemes"]["Bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    assert result["security"] == [{"Bearer": []}]
    assert result["components"]["schemas"]["Widget"]["properties"]["name"] == {
        "type": "string",
        "example": "Gear",
        "minLength": 1,
        "maxLength": 80,
    }

    listing = result["paths"]["/widgets/"]["get"]
    assert listing["security"] == []
    assert {"name": "q", "in": "query", "description": "Search text", "required": False} == {
        k: v for k, v in listing["parameters"][0].items() if k != "schema"
    }
    assert listing["parameters"][1]["schema"] == {
        "type": "integer",
        "default": 20,
        "enum": [10, 20, 50],
    }
    assert listing["responses"]["200"]["content"]["application/json"]["schema"] == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/Widget"},
    }

    create = result["paths"]["/widgets/"]["post"]
    assert create["requestBody"] == {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Widget"}}},
    }
    assert "201" in create["responses"]

    image = result["paths"]["/widgets/{widget_id}/image"]
    assert image["parameters"] == [
        {"name": "widget_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    ]
    assert image["post"]["requestBody"] == {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": "Image"}
                    },
                    "required": ["file"],
                }
            }
        },
    }
    assert image["post"]["responses"]["204"] == {"description": "Image stored"}


def test_file_download_gets_non_json_types_and_errors_get_json() -> None:
    source = swagger(
        {
            "/files/{name}": {
                "get": {
                    "parameters": [
                        {"name": "name", "in": "path", "required": True, "type": "string"}
                    ],
                    "produces": ["application/json", "*/*"],
                    "responses": {
                        "200": {
                            "description": "The file",
                            "schema": {"type": "string", "format": "binary"},
                        },
                        "404": {"description": "Missing", "schema": {"$ref": "#/definitions/E"}},
                    },
                }
            }
        },
        definitions={"E": {"type": "object"}},
    )
    result = convert(source)["paths"]["/files/{name}"]["get"]["responses"]

    assert result["200"]["content"] == {"*/*": {"schema": {"type": "string", "format": "binary"}}}
    assert result["404"]["content"] == {
        "application/json": {"schema": {"$ref": "#/components/schemas/E"}}
    }
