"""Standard Webhooks signatures (https://www.standardwebhooks.com): `webhook-id`,
`webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`."""

import base64
import hashlib
import hmac

from api.webhooks.secrets import key_bytes


def signature(secret: str, *, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(
    signing_secrets: list[str], *, msg_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """One signature per secret, space-separated (the spec's way to rotate without a gap)."""
    signatures = [
        signature(secret, msg_id=msg_id, timestamp=timestamp, body=body)
        for secret in signing_secrets
    ]
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signatures),
    }
