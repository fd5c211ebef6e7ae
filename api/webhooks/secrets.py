"""Signing secrets: generated as Standard Webhooks `whsec_<base64>`, stored encrypted.

The worker must sign every delivery with the secret itself, so a one-way hash (as for passwords
and access tokens) cannot do. The secret is encrypted with Fernet (AES-128-CBC + HMAC-SHA256,
from the maintained `cryptography` package) under a key derived by HKDF from the server's
`SECRET_KEY`: a database dump alone does not reveal it. Changing `SECRET_KEY` makes the stored
secrets unreadable; deliveries then fail with a clear error until each secret is rotated.
"""

import base64
import secrets

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "whsec_"
SECRET_BYTES = 32


class SecretUnreadable(Exception):
    """The stored secret was encrypted under another `SECRET_KEY`."""


def generate() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def key_bytes(secret: str) -> bytes:
    """The HMAC key a `whsec_...` secret stands for (Standard Webhooks: base64 after the prefix)."""
    return base64.b64decode(secret.removeprefix(PREFIX))


def _fernet(server_key: str) -> Fernet:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"webhook-signing-secrets"
    ).derive(server_key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt(secret: str, *, server_key: str) -> str:
    return _fernet(server_key).encrypt(secret.encode()).decode()


def decrypt(token: str, *, server_key: str) -> str:
    try:
        return _fernet(server_key).decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable("the signing secret cannot be decrypted; rotate it") from None
