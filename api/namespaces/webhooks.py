"""Webhook subscriptions: signed event deliveries to a partner's URL, with a delivery log.

The event catalogue and payload schemas are in the OpenAPI document (`x-webhooks`, and the
OpenAPI 3.1 `webhooks` document at `/api/webhooks.json`); see api/webhooks/spec.py.
"""

from typing import Any

from flask import Response
from flask_restx import Namespace, Resource, fields

import api.webhooks.outbox  # noqa: F401  (registers the outbox's session hooks)
from api.http import settings
from api.http.auth import (
    acting_user,
    current_user,
    insufficient_scope,
    token_required,
    token_scopes,
)
from api.http.operations import errors, json_body, returns
from api.http.pagination import PAGINATION_HEADERS, page_response
from api.http.schemas import NullableDateTime, NullableString, page_model, pagination_parser
from api.services import webhooks as webhook_service
from api.webhooks import EVENT_TYPES, scopes_to_hear
from models.base import MAX_ID

ADMIN_READ = "admin:read"

ns = Namespace(
    "webhooks",
    description="Webhook subscriptions: signed event deliveries (Standard Webhooks)",
    path="/webhooks",
)


class NullableInteger(fields.Integer):
    """An integer that may be null (converted to `nullable: true` in OpenAPI 3)."""

    def schema(self) -> dict[str, Any]:
        return {**super().schema(), "x-nullable": True}


EVENTS_HELP = "Event types to receive: " + ", ".join(
    f"`{name}`{' (administrators only)' if admin else ''}"
    for name, (_, _, admin) in EVENT_TYPES.items()
)


def _events(required: bool) -> fields.List:
    return fields.List(
        fields.String(enum=list(EVENT_TYPES)),
        required=required,
        min_items=1,
        max_items=len(EVENT_TYPES),
        description=EVENTS_HELP,
        example=["item.created", "item.updated"],
    )


URL_FIELD = {
    "description": "Where events are POSTed: http(s), resolving to a public address. A name "
    "that does not resolve, or one reserved for documentation (example.com, .test, .invalid, "
    "...), like the example's, is a 400: use your receiver's own URL",
    "example": "https://partner.example.com/hooks/backend",
    "max_length": 2048,
}
webhook_create_model = ns.model(
    "WebhookCreate",
    {
        "url": fields.String(required=True, min_length=1, **URL_FIELD),
        "events": _events(required=True),
        "description": fields.String(max_length=500, example="Sync to our CRM"),
    },
)
webhook_update_model = ns.model(
    "WebhookUpdate",
    {
        "url": fields.String(min_length=1, **URL_FIELD),
        "events": _events(required=False),
        "description": fields.String(max_length=500),
        "enabled": fields.Boolean(description="`true` re-enables (and resets `failure_count`)"),
    },
)
WEBHOOK_FIELDS = {
    "id": fields.Integer(required=True, readonly=True, example=1),
    "user_id": fields.Integer(required=True, description="Owner's user id", example=1),
    "url": fields.String(required=True, example="https://partner.example.com/hooks/backend"),
    "events": fields.List(fields.String(enum=list(EVENT_TYPES)), required=True, default=[]),
    "description": fields.String(required=True, example="Sync to our CRM"),
    "enabled": fields.Boolean(required=True, description="False: nothing is delivered"),
    "failure_count": fields.Integer(
        required=True,
        description="Consecutive failed attempts; the subscription is disabled "
        "when it reaches the configured limit",
    ),  # fmt: skip
    "disabled_reason": NullableString(description="Why it was disabled; null while enabled"),
    "created_at": fields.DateTime(required=True, description="ISO 8601, UTC"),
    "updated_at": fields.DateTime(required=True, description="ISO 8601, UTC"),
}
webhook_model = ns.model("Webhook", WEBHOOK_FIELDS)
webhook_secret_model = ns.model(
    "WebhookWithSecret",
    {
        **WEBHOOK_FIELDS,
        "secret": fields.String(
            required=True,
            description="Signing secret (Standard Webhooks `whsec_...`): shown only now; "
            "store it to verify `webhook-signature`",
            example="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        ),
    },
)
webhook_page_model = ns.add_model("WebhookPage", page_model("WebhookPage", webhook_model))
delivery_model = ns.model(
    "WebhookDelivery",
    {
        "id": fields.Integer(required=True, example=1),
        "event_id": fields.String(
            required=True,
            description="The `webhook-id` header (same on every retry)",
            example="msg_5b0e1c9f0d6a4f7c9a2e3b4d5f6a7b8c",
        ),  # fmt: skip
        "event_type": fields.String(required=True, example="item.created"),
        "subscription_id": fields.Integer(required=True),
        "status": fields.String(required=True, enum=list(webhook_service.DELIVERY_STATUSES)),
        "attempts": fields.Integer(required=True, description="Attempts made so far"),
        "next_attempt_at": fields.DateTime(
            required=True, description="When a pending delivery is tried next (ISO 8601, UTC)"
        ),
        "last_attempt_at": NullableDateTime(description="ISO 8601, UTC; null before the first"),
        "response_status": NullableInteger(description="HTTP status of the last attempt"),
        "latency_ms": NullableInteger(description="Duration of the last attempt"),
        "last_error": NullableString(description="Why the last attempt failed"),
        "created_at": fields.DateTime(required=True, description="ISO 8601, UTC"),
    },
)
delivery_page_model = ns.add_model(
    "WebhookDeliveryPage", page_model("WebhookDeliveryPage", delivery_model)
)
delivery_parser = pagination_parser()
delivery_parser.add_argument(
    "status",
    choices=webhook_service.DELIVERY_STATUSES,
    location="args",
    help="Only deliveries in this state",
)
webhooks_parser = pagination_parser()


def _require_scopes_to_hear(events: list[str], *, everyone: bool = False) -> None:
    """Checked here, not by `token_required`: which scopes depends on the body (or on the
    subscription being changed: `everyone`, one that hears every user's events)."""
    needed = scopes_to_hear(events)
    if not current_user().is_admin:  # no scope lets a user hear admin-only events: the service
        needed.pop(ADMIN_READ, None)  # refuses them as such
    if everyone:
        needed.setdefault(ADMIN_READ, []).append("every user's events")
    if missing := [scope for scope in needed if scope not in token_scopes()]:
        heard = ", ".join(event for scope in missing for event in needed[scope])
        message = f"The token lacks the scope {' '.join(missing)} needed to hear {heard}"
        raise insufficient_scope(sorted(needed), message)


def _require_scopes_to_change(webhook_id: int, events: list[str] | None = None) -> None:
    """Redirecting a subscription (its URL, its secret, its events) is hearing what it hears:
    the same scopes as creating it. A missing or foreign subscription is a 404 first."""
    subscription = webhook_service.get(webhook_id, actor=acting_user("admin:write"))
    heard = subscription.events if events is None else events
    _require_scopes_to_hear(heard, everyone=subscription.hears_everyone)


EVENTS_FORBIDDEN = (
    "The token lacks the scope that reads an event's resource (`insufficient_scope`), or an "
    "administrator-only event was requested"
)


@ns.route("")
class WebhookList(Resource):
    @ns.doc(id="listWebhooks")
    @ns.expect(webhooks_parser)
    @token_required(scopes=["account"])
    @errors(400)
    @returns(
        webhook_page_model,
        description="Your subscriptions (administrators: everyone's), newest first",
        headers=PAGINATION_HEADERS,
    )
    def get(self) -> tuple[dict[str, Any], int, dict[str, str]]:
        """List webhook subscriptions.

        Your own subscriptions; administrators see everyone's. Newest first, paginated.
        """
        args = webhooks_parser.parse_args()
        return page_response(
            webhook_service.list_subscriptions(actor=acting_user("admin:read"), **args)
        )

    @ns.doc(id="createWebhook")
    @token_required(scopes=["account"])
    @json_body(ns, webhook_create_model)
    @errors(403, 409, e403=EVENTS_FORBIDDEN, e409="Too many subscriptions")
    @returns(
        webhook_secret_model,
        code=201,
        description="Created; the secret is shown only now",
        location="/api/webhooks/{id}",
    )
    def post(self) -> tuple[dict[str, Any], int]:
        """Subscribe a URL to events.

        You receive events about your own items and uploads; administrators receive events
        about everyone's, and may subscribe to `user.deactivated`. An event carries what it is
        about, so the token needs the scope that reads it: `items:read` for `item.*`,
        `uploads:read` for `upload.*`, `admin:read` (an administrator's) for `user.*` and for
        everyone's events. The URL must resolve to a public address. Each delivery is a `POST`
        signed per Standard Webhooks with the returned `secret` (`webhook-id`,
        `webhook-timestamp`, `webhook-signature`).
        """
        body = ns.payload
        _require_scopes_to_hear(body["events"])
        subscription, secret = webhook_service.create(
            actor=acting_user("admin:write"),
            hears_everyone=acting_user("admin:read").is_admin,
            url=body["url"],
            events=body["events"],
            description=body.get("description"),
            settings=settings.webhooks(),
        )
        return {**subscription.to_dict(), "secret": secret}, 201


@ns.route("/<int:webhook_id>")
@ns.param("webhook_id", "Subscription id", minimum=1, maximum=MAX_ID)
class WebhookDetail(Resource):
    @ns.doc(id="getWebhook")
    @token_required(scopes=["account"])
    @errors(404, e404="No such subscription, or not yours")
    @returns(webhook_model, description="The subscription")
    def get(self, webhook_id: int) -> Any:
        """Get a webhook subscription.

        Owner or admin only. `disabled_reason` says why a subscription stopped delivering.
        """
        return webhook_service.get(webhook_id, actor=acting_user("admin:read"))

    @ns.doc(id="updateWebhook")
    @token_required(scopes=["account"])
    @json_body(ns, webhook_update_model)
    @errors(403, 404, e403=EVENTS_FORBIDDEN)
    @returns(webhook_model, description="The updated subscription")
    def patch(self, webhook_id: int) -> Any:
        """Update a webhook subscription.

        Change its URL, events, description or `enabled` (owner or admin). Any change needs
        the scopes `createWebhook` lists for the events it will hear. Re-enabling a
        subscription disabled after failures resets its failure count; its pending deliveries
        then go out.
        """
        body = ns.payload
        _require_scopes_to_change(webhook_id, body.get("events"))
        return webhook_service.update(
            webhook_id,
            actor=acting_user("admin:write"),
            settings=settings.webhooks(),
            url=body.get("url"),
            events=body.get("events"),
            description=body.get("description"),
            enabled=body.get("enabled"),
        )

    @ns.doc(id="deleteWebhook")
    @token_required(scopes=["account"])
    @errors(404)
    @ns.response(204, "Deleted, with its pending deliveries")
    def delete(self, webhook_id: int) -> Response:
        """Delete a webhook subscription.

        Owner or admin only. Pending deliveries are dropped with it.
        """
        webhook_service.delete(webhook_id, actor=acting_user("admin:write"))
        return Response(status=204)


@ns.route("/<int:webhook_id>/rotate-secret")
@ns.param("webhook_id", "Subscription id", minimum=1, maximum=MAX_ID)
class WebhookSecret(Resource):
    @ns.doc(id="rotateWebhookSecret")
    @token_required(scopes=["account"])
    @errors(403, 404, e403=EVENTS_FORBIDDEN)
    @returns(webhook_secret_model, description="The new secret, shown only now")
    def post(self, webhook_id: int) -> dict[str, Any]:
        """Rotate the signing secret.

        The new secret is returned only in this response. For a grace period (24 hours by
        default) deliveries carry two signatures, one per secret, so you can switch without
        rejecting any; then only the new one signs. Owner or admin only, with the scopes
        `createWebhook` lists for the subscription's events.
        """
        _require_scopes_to_change(webhook_id)
        subscription, secret = webhook_service.rotate_secret(
            webhook_id, actor=acting_user("admin:write"), settings=settings.webhooks()
        )
        return {**subscription.to_dict(), "secret": secret}


@ns.route("/<int:webhook_id>/ping")
@ns.param("webhook_id", "Subscription id", minimum=1, maximum=MAX_ID)
class WebhookPing(Resource):
    @ns.doc(id="pingWebhook")
    @token_required(scopes=["account"])
    @errors(404, 409, e409="The subscription is disabled")
    @returns(delivery_model, code=202, description="A `ping` event queued for delivery")
    def post(self, webhook_id: int) -> tuple[dict[str, Any], int]:
        """Send a test event.

        Queues a signed `ping` event for this subscription only; the worker delivers it and
        the delivery log shows the outcome.
        """
        queued = webhook_service.ping(webhook_id, actor=acting_user("admin:write"))
        return webhook_service.describe([queued])[0], 202


@ns.route("/<int:webhook_id>/deliveries")
@ns.param("webhook_id", "Subscription id", minimum=1, maximum=MAX_ID)
class WebhookDeliveries(Resource):
    @ns.doc(id="listWebhookDeliveries")
    @ns.expect(delivery_parser)
    @token_required(scopes=["account"])
    @errors(400, 404)
    @returns(
        delivery_page_model,
        description="The delivery log, newest first",
        headers=PAGINATION_HEADERS,
    )
    def get(self, webhook_id: int) -> tuple[dict[str, Any], int, dict[str, str]]:
        """List a subscription's deliveries.

        The delivery log, newest first: status, attempts, the last response code, latency and
        error, and when a pending delivery is tried next. Filter with `status`.
        """
        args = delivery_parser.parse_args()
        return page_response(
            webhook_service.list_deliveries(webhook_id, actor=acting_user("admin:read"), **args)
        )


@ns.route("/<int:webhook_id>/deliveries/<int:delivery_id>/redeliver")
@ns.param("webhook_id", "Subscription id", minimum=1, maximum=MAX_ID)
@ns.param("delivery_id", "Delivery id", minimum=1, maximum=MAX_ID)
class WebhookRedeliver(Resource):
    @ns.doc(id="redeliverWebhookDelivery")
    @token_required(scopes=["account"])
    @errors(404, 409, e409="The delivery is still pending, or the subscription is disabled")
    @returns(delivery_model, code=202, description="A new delivery of the same event, queued")
    def post(self, webhook_id: int, delivery_id: int) -> tuple[dict[str, Any], int]:
        """Deliver an event again.

        Queues a new delivery of the same event with the same `webhook-id` (receivers can
        de-duplicate), with a fresh set of attempts. Not for a delivery still pending.
        """
        queued = webhook_service.redeliver(
            webhook_id, delivery_id, actor=acting_user("admin:write")
        )
        return webhook_service.describe([queued])[0], 202
