"""OAuth2 scopes: what a token may do, and what each role may grant itself.

Pure data and set arithmetic (no Flask): `api/http/auth.py` enforces and documents them, the token
services (`api/services/tokens.py`, `api/services/auth.py`) decide what a token receives.
"""

from collections.abc import Iterable

SCOPES: dict[str, str] = {
    "items:read": "Read items, your own inactive ones included",
    "items:write": "Create, change and delete your items",
    "uploads:read": "Download your uploaded files",
    "uploads:write": "Upload files",
    "account": "Read your account; list and revoke your personal access tokens",
    "admin:read": "Administrators: read every item, user, token and the audit log",
    "admin:write": "Administrators: moderate items, manage users, revoke any token",
}
ADMIN_ONLY = frozenset({"admin:read", "admin:write"})
USER_SCOPES = frozenset(SCOPES) - ADMIN_ONLY
ADMIN_SCOPES = frozenset(SCOPES)
# The security scheme names in the spec (see api/namespaces/__init__.py).
OAUTH2_SCHEME = "OAuth2"
BEARER_SCHEME = "Bearer"


class ScopeError(ValueError):
    """A requested scope is unknown or beyond the user's role (OAuth2 `invalid_scope`)."""


def role_scopes(*, is_admin: bool) -> frozenset[str]:
    return ADMIN_SCOPES if is_admin else USER_SCOPES


def ordered(scopes: Iterable[str]) -> list[str]:
    """Scopes in their canonical (declaration) order, without duplicates."""
    wanted = set(scopes)
    return [scope for scope in SCOPES if scope in wanted]


def as_string(scopes: Iterable[str]) -> str:
    """The RFC 6749 form: space-delimited."""
    return " ".join(ordered(scopes))


def parse(value: str | None) -> list[str] | None:
    """Split an RFC 6749 `scope` parameter; None or blank means "not asked for"."""
    if value is None or not value.strip():
        return None
    return value.split()


def grant(requested: Iterable[str] | None, *, is_admin: bool) -> list[str]:
    """The scopes a new token gets: all of the role's unless fewer were asked for.

    Raises `ScopeError` for an unknown scope or one the role does not have.
    """
    allowed = role_scopes(is_admin=is_admin)
    if requested is None:
        return ordered(allowed)
    requested = list(requested)
    if unknown := [scope for scope in requested if scope not in SCOPES]:
        raise ScopeError(f"unknown scope(s): {', '.join(sorted(set(unknown)))}")
    if beyond := [scope for scope in requested if scope not in allowed]:
        raise ScopeError(f"not allowed for your role: {', '.join(ordered(beyond))}")
    return ordered(requested)


def effective(token_scopes: Iterable[str] | None, *, is_admin: bool) -> frozenset[str]:
    """What a token may do now: its scopes within the user's current role (a demoted admin's
    tokens lose their admin scopes at once). None (a token without a `scope` claim) = the role's."""
    allowed = role_scopes(is_admin=is_admin)
    return allowed if token_scopes is None else allowed & frozenset(token_scopes)
