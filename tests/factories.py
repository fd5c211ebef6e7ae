"""Random test data."""

import secrets


def random_name(prefix: str = "user") -> str:
    return f"{prefix}_{secrets.token_hex(4)}"


def random_email() -> str:
    return f"{random_name('mail')}@example.com"


def random_password() -> str:
    return f"pw-{secrets.token_urlsafe(12)}"
