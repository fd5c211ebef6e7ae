"""The event catalogue in the OpenAPI documents.

* `openapi.json` (OpenAPI 3.0): the payload schemas are components (`WebhookItemEvent`, ...)
  and each event is described under the `x-webhooks` extension, which ReDoc (and Redocly's
  tools) render as a "Webhooks" section; 3.0 has no standard place for them.
* `/api/webhooks.json` (OpenAPI 3.1): the same events under the standard `webhooks` field, with
  the schemas they need, for tools that read 3.1 (Swagger UI 5, ReDoc, Redocly CLI). Code
  generators (openapi-generator, openapi-python-client) ignore webhooks either way; partners
  can generate models from the component schemas.
"""

import copy
import json
from typing import Any

from flask import Response, current_app

from api.webhooks import EVENT_TYPES, PING_EVENT

SIGNATURE_HEADERS = {
    "webhook-id": "The event id: the same on every retry, so you can de-duplicate",
    "webhook-timestamp": "Unix time of this attempt; reject values far from your clock",
    "webhook-signature": "`v1,<base64 HMAC-SHA256 of '<webhook-id>.<webhook-timestamp>.<body>'>` "
    "keyed with your `whsec_` secret (several, space-separated, may be sent)",
}
EVENT_SCHEMAS = {
    "Item": "WebhookItemEvent",
    "Upload": "WebhookUploadEvent",
    "User": "WebhookUserEvent",
}
PING_SCHEMA = "WebhookPingEvent"


def _envelope(types: list[str], data: dict[str, Any], ref_prefix: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": "The body of a webhook delivery",
        "required": ["id", "type", "timestamp", "data"],
        "properties": {
            "id": {
                "type": "string",
                "description": "Event id, equal to the `webhook-id` header",
                "example": "msg_5b0e1c9f0d6a4f7c9a2e3b4d5f6a7b8c",
            },
            "type": {"type": "string", "enum": types, "example": types[0]},
            "timestamp": {
                "type": "string",
                "format": "date-time",
                "description": "When the change happened (ISO 8601, UTC)",
            },
            "data": data,
        },
    }


def event_schemas(ref_prefix: str) -> dict[str, dict[str, Any]]:
    schemas = {}
    for resource, name in EVENT_SCHEMAS.items():
        types = [t for t, (_, schema, _) in EVENT_TYPES.items() if schema == resource]
        data = {"$ref": f"{ref_prefix}{resource}"}
        schemas[name] = _envelope(types, data, ref_prefix)
    ping = {
        "type": "object",
        "required": ["subscription_id", "url"],
        "properties": {"subscription_id": {"type": "integer"}, "url": {"type": "string"}},
    }
    schemas[PING_SCHEMA] = _envelope([PING_EVENT], ping, ref_prefix)
    return schemas


def _path_item(event: str, summary: str, schema: str, ref_prefix: str) -> dict[str, Any]:
    admin_only = event in EVENT_TYPES and EVENT_TYPES[event][2]
    audience = (
        "Sent to administrators' subscriptions only."
        if admin_only
        else "Sent to subscriptions of the resource's owner and of administrators."
    )
    return {
        "post": {
            "operationId": "webhook_" + event.replace(".", "_"),
            "summary": summary,
            "description": f"`{event}`. {audience} Verify the Standard Webhooks signature "
            "before trusting the body; answer 2xx within the timeout, or it is retried with "
            "exponential backoff (over a day) with the same `webhook-id`.",
            "tags": ["webhooks"],
            "parameters": [
                {
                    "name": name,
                    "in": "header",
                    "required": True,
                    "description": text,
                    "schema": {"type": "string"},
                }
                for name, text in SIGNATURE_HEADERS.items()
            ],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": ref_prefix + schema}}},
            },
            "responses": {
                "200": {"description": "Received (any 2xx); anything else is retried"},
            },
        }
    }


def _webhooks(ref_prefix: str) -> dict[str, Any]:
    hooks = {
        event: _path_item(event, summary, EVENT_SCHEMAS[resource], ref_prefix)
        for event, (summary, resource, _) in EVENT_TYPES.items()
    }
    hooks[PING_EVENT] = _path_item(
        PING_EVENT, "A test event sent by pingWebhook", PING_SCHEMA, ref_prefix
    )
    return hooks


def add_to_openapi3(document: dict[str, Any]) -> None:
    """Add the event schemas and `x-webhooks` to the OpenAPI 3.0 document."""
    document["components"]["schemas"].update(event_schemas("#/components/schemas/"))
    document["x-webhooks"] = _webhooks("#/components/schemas/")


def _to_31(schema: Any) -> Any:
    """3.0 `nullable: true` becomes a JSON Schema type list in 3.1."""
    if isinstance(schema, dict):
        schema = {key: _to_31(value) for key, value in schema.items()}
        if schema.pop("nullable", False) and isinstance(schema.get("type"), str):
            schema["type"] = [schema["type"], "null"]
        return schema
    if isinstance(schema, list):
        return [_to_31(value) for value in schema]
    return schema


def openapi31(document: dict[str, Any]) -> dict[str, Any]:
    """The 3.1 webhooks document, built from the 3.0 one (same schemas, same info)."""
    schemas = document["components"]["schemas"]
    needed = {name: copy.deepcopy(schemas[name]) for name in EVENT_SCHEMAS}
    return {
        "openapi": "3.1.0",
        "info": {
            **document["info"],
            "title": document["info"]["title"] + " webhooks",
            "description": "The events the API POSTs to webhook subscriptions "
            "(`POST /api/webhooks`), signed per Standard Webhooks.",
        },
        "webhooks": _webhooks("#/components/schemas/"),
        "components": {"schemas": _to_31({**needed, **event_schemas("#/components/schemas/")})},
    }


def serve() -> Response:
    """`GET /api/webhooks.json`: rendered once per app, like /api/openapi.json."""
    rendered = current_app.extensions.get("webhooks_openapi_json")
    if rendered is None:
        from api.namespaces import openapi_document

        # Set by `create_api_blueprint` (Flask's Blueprint type has no `extensions`).
        api = current_app.blueprints["api"].extensions["restx_api"]  # type: ignore[attr-defined]
        document = openapi31(openapi_document(api))
        rendered = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        current_app.extensions["webhooks_openapi_json"] = rendered
    return Response(rendered, mimetype="application/json")
