"""Webhooks: events written to an outbox with the change that caused them, delivered by a worker.

* `outbox`: ORM session hooks that write an event (and its deliveries) in the same transaction.
* `ssrf`: which URLs may be called (checked at subscription time and again at each delivery).
* `signing`: Standard Webhooks signatures; `secrets`: signing secrets, encrypted at rest.
* `delivery`: one signed POST to the checked address; `worker`: claims due deliveries, retries.
* `spec`: the event payload schemas, in the OpenAPI document.
"""

# type -> (what happened, resource schema, admin subscriptions only)
EVENT_TYPES: dict[str, tuple[str, str, bool]] = {
    "item.created": ("An item was created", "Item", False),
    "item.updated": ("An item's name or description changed", "Item", False),
    "item.deleted": ("An item was deleted (soft: it became inactive)", "Item", False),
    "item.restored": ("A soft-deleted item became active again", "Item", False),
    "upload.created": ("A file was uploaded", "Upload", False),
    "upload.deleted": ("An upload was deleted", "Upload", False),
    "user.deactivated": ("A user account was deactivated", "User", True),
}
ADMIN_ONLY_EVENTS = frozenset(name for name, (_, _, admin) in EVENT_TYPES.items() if admin)
# An event carries its resource: hearing it takes the scope that reads it (else a token narrowed
# to `account` could read items and uploads through a subscription).
READ_SCOPES = {"Item": "items:read", "Upload": "uploads:read", "User": "admin:read"}


def scopes_to_hear(events: list[str]) -> dict[str, list[str]]:
    """Scope -> the `events` a token needs it for (unknown events are refused elsewhere)."""
    needed: dict[str, list[str]] = {}
    for event in dict.fromkeys(events):
        if event in EVENT_TYPES:
            needed.setdefault(READ_SCOPES[EVENT_TYPES[event][1]], []).append(event)
    return needed


# Sent by `POST /api/webhooks/<id>/ping` to that subscription only; never subscribed to.
PING_EVENT = "ping"
# Audit-log actions of the webhook operations (api/services/webhooks.py).
WEBHOOK_AUDIT_ACTIONS = (
    "webhook.create",
    "webhook.update",
    "webhook.delete",
    "webhook.rotate_secret",
    "webhook.ping",
    "webhook.redeliver",
)
