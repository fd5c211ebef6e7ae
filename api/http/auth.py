"""Request-side authentication: read the bearer token, load the user, enforce roles and scopes.

A bearer token is either a JWT from a login (`login`, `register`, `POST /api/auth/token`) or a
personal access token (`bapi_pat_...`). The decorators also document what they enforce: the
security requirement (with the operation's OAuth2 scopes) and the 401/403 responses.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any, ParamSpec, TypeVar, overload

import jwt
from flask import current_app, g, request

from api.core.scopes import BEARER_SCHEME, OAUTH2_SCHEME, SCOPES, effective, ordered
from api.core.security import decode_access_token
from api.http.errors import ApiError
from api.http.operations import ERROR_DESCRIPTIONS, document
from api.http.schemas import error_model
from api.services import auth as auth_service
from api.services import tokens as token_service
from models import Principal

P = ParamSpec("P")
R = TypeVar("R")

BEARER = BEARER_SCHEME
# Operations only an interactive login (a JWT) may call carry this extension in the spec.
INTERACTIVE_EXTENSION = "x-interactive-login-required"
# One description for the 401 and 403 challenges (one header component in the spec).
CHALLENGE_HEADER = {
    "WWW-Authenticate": {
        "description": "The challenge (RFC 6750 §3.1): `Bearer` when no token was sent; "
        '`Bearer error="invalid_token", error_description="..."` when the token sent was '
        'refused (401); on a missing scope `Bearer error="insufficient_scope", scope="..."` '
        "naming the scopes the operation needs (403)",
        "type": "string",
    }
}
FORBIDDEN = (
    "Not allowed: the token lacks a scope this operation needs (see `WWW-Authenticate`), "
    "or the caller lacks the rights"
)


def _refused(message: str, error: str = "invalid_token") -> ApiError:
    """A 401 for a credential that was sent: the challenge says what was wrong with it."""
    challenge = f'Bearer error="{error}", error_description="{message}"'
    return ApiError(401, message, headers={"WWW-Authenticate": challenge})


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _refused("Authorization header must be 'Bearer <token>'", "invalid_request")
    return token.strip()


def authenticate(*, required: bool) -> Principal | None:
    """Load `g.current_user` from the token; an invalid token is a 401 even where optional."""
    token = _bearer_token()
    if token is None:
        if required:
            raise ApiError(401, "Authentication required")
        return None
    if token_service.looks_like_pat(token):
        found = token_service.user_for_pat(token)
        if found is None:
            raise _refused("Personal access token is invalid, expired or revoked")
        user, scopes = found
        g.token_kind, g.token_claims, g.token_scopes = "pat", None, scopes
    else:
        user, claims = _user_for_jwt(token)
        g.token_kind, g.token_claims, g.token_scopes = "jwt", claims, _claimed_scopes(claims)
    g.current_user = user
    return user


def _user_for_jwt(token: str) -> tuple[Principal, dict[str, Any]]:
    try:
        config = current_app.config
        claims = decode_access_token(
            token,
            secret=config["JWT_SECRET_KEY"],
            issuer=config["JWT_ISSUER"],
            audience=config["JWT_AUDIENCE"],
        )
    except jwt.ExpiredSignatureError:
        raise _refused("Token has expired") from None
    except jwt.InvalidTokenError:
        raise _refused("Invalid token") from None
    user = auth_service.user_for_claims(claims)
    if user is None:
        raise _refused("Token is no longer valid")
    return user, claims


def _claimed_scopes(claims: dict[str, Any]) -> list[str] | None:
    """A login's `scope` claim; a token without one has every scope of its user's role."""
    scope = claims.get("scope")
    return None if scope is None else str(scope).split()


def login_scope() -> str | None:
    """The `scope` a login's JWT was narrowed to (None: every scope of its role)."""
    claims = g.get("token_claims") or {}
    scope = claims.get("scope")
    return None if scope is None else str(scope)


def current_user() -> Principal:
    """The authenticated user as a read-only row (`id`, `username`, `is_admin`, ...)."""
    user: Principal = g.current_user
    return user


def optional_user() -> Principal | None:
    user: Principal | None = g.get("current_user")
    return user


def token_scopes() -> frozenset[str]:
    """What the current token may do: its scopes within its user's current role."""
    return effective(g.get("token_scopes"), is_admin=current_user().is_admin)


@dataclass(slots=True)
class Acting:
    """The caller as a service deciding object-level access sees it (a `Principal`)."""

    id: int
    is_admin: bool


def acting_user(admin_scope: str) -> Principal:
    """The caller, with administrator rights over other users' objects only when the token
    holds `admin_scope` (`admin:read` to see them, `admin:write` to change them): an admin's
    token narrowed to `items:write` manages the admin's own items, like anyone's."""
    user = current_user()
    return Acting(user.id, user.is_admin and admin_scope in token_scopes())


def optional_acting_user(admin_scope: str) -> Principal | None:
    """`acting_user` for operations open to anonymous callers."""
    return acting_user(admin_scope) if optional_user() is not None else None


def insufficient_scope(scopes: list[str], message: str) -> ApiError:
    """The 403 for a token without `scopes` (its challenge names them)."""
    challenge = 'Bearer error="insufficient_scope"'
    if scopes:
        challenge += f', scope="{" ".join(scopes)}"'
    return ApiError(403, message, headers={"WWW-Authenticate": challenge})


def _check_scopes(scopes: list[str], *, interactive: bool) -> None:
    if missing := [scope for scope in scopes if scope not in token_scopes()]:
        raise insufficient_scope(scopes, f"The token lacks the scope {' '.join(missing)}")
    if interactive and g.get("token_kind") != "jwt":
        # No `scope` in the challenge: the token has them, and a client that asked for them
        # again would loop. The description says what would help.
        message = (
            "This operation needs an interactive login (a token from `login` or "
            "`POST /api/auth/token`); personal access tokens cannot call it"
        )
        challenge = 'Bearer error="insufficient_scope", error_description="interactive login"'
        raise ApiError(403, message, headers={"WWW-Authenticate": challenge})


def require_token_scopes(scopes: list[str]) -> None:
    """Inside a `token_optional` operation: the caller must show a token with `scopes` after
    all (401 without one, 403 `insufficient_scope` with a token that lacks them)."""
    authenticate(required=True)
    _check_scopes(_known(scopes), interactive=False)


def _responses(*codes: int) -> dict[str, Any]:
    docs = {}
    for code in codes:
        if code == 403:
            docs["403"] = (FORBIDDEN, error_model, {"headers": CHALLENGE_HEADER})
        elif code == 401:
            docs["401"] = (ERROR_DESCRIPTIONS[401], error_model, {"headers": CHALLENGE_HEADER})
        else:
            docs[str(code)] = (ERROR_DESCRIPTIONS[code], error_model, {})
    return docs


def _security(scopes: list[str], *, public: bool = False) -> list[Any]:
    """Anonymous (if public), any bearer token, or an OAuth2 token with these scopes."""
    return [*([{}] if public else []), {BEARER: []}, {OAUTH2_SCHEME: scopes}]


def _known(scopes: Iterable[str]) -> list[str]:
    wanted = list(scopes)
    if unknown := set(wanted) - set(SCOPES):
        raise ValueError(f"unknown scopes {sorted(unknown)}")
    return ordered(wanted)


def _decorator(
    func: Callable[P, R] | None, build: Callable[[Callable[P, R]], Callable[P, R]]
) -> Callable[P, R] | Callable[[Callable[P, R]], Callable[P, R]]:
    """Usable bare (`@token_required`) or with arguments (`@token_required(scopes=[...])`)."""
    return build(func) if func is not None else build


@overload
def token_required(
    func: Callable[P, R], *, scopes: Iterable[str] = (), interactive: bool = False
) -> Callable[P, R]: ...
@overload
def token_required(
    func: None = None, *, scopes: Iterable[str] = (), interactive: bool = False
) -> Callable[[Callable[P, R]], Callable[P, R]]: ...
def token_required(
    func: Callable[P, R] | None = None, *, scopes: Iterable[str] = (), interactive: bool = False
) -> Callable[P, R] | Callable[[Callable[P, R]], Callable[P, R]]:
    """A valid token holding every scope in `scopes`; `interactive`: a login JWT, never a
    personal access token (creating tokens, changing the password)."""
    needed = _known(scopes)

    def build(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            authenticate(required=True)
            _check_scopes(needed, interactive=interactive)
            return view(*args, **kwargs)

        codes = (401, 403) if needed or interactive else (401,)
        doc: dict[str, Any] = {"security": _security(needed), "responses": _responses(*codes)}
        if interactive:
            doc["vendor"] = {INTERACTIVE_EXTENSION: True}
        return document(wrapper, **doc)

    return _decorator(func, build)


@overload
def token_optional(func: Callable[P, R], *, scopes: Iterable[str] = ()) -> Callable[P, R]: ...
@overload
def token_optional(
    func: None = None, *, scopes: Iterable[str] = ()
) -> Callable[[Callable[P, R]], Callable[P, R]]: ...
def token_optional(
    func: Callable[P, R] | None = None, *, scopes: Iterable[str] = ()
) -> Callable[P, R] | Callable[[Callable[P, R]], Callable[P, R]]:
    """Public operation that also recognises a caller who sends a token.

    A valid token without `scopes` is served as an anonymous caller would be: it does not
    lend its user's identity (e.g. to see the user's inactive items) to what it may not read.
    """
    needed = _known(scopes)

    def build(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            user = authenticate(required=False)
            if user is not None and not set(needed) <= token_scopes():
                g.current_user = None
            return view(*args, **kwargs)

        return document(wrapper, security=_security(needed, public=True), responses=_responses(401))

    return _decorator(func, build)


@overload
def admin_required(
    func: Callable[P, R], *, scopes: Iterable[str] | None = None
) -> Callable[P, R]: ...
@overload
def admin_required(
    func: None = None, *, scopes: Iterable[str] | None = None
) -> Callable[[Callable[P, R]], Callable[P, R]]: ...
def admin_required(
    func: Callable[P, R] | None = None, *, scopes: Iterable[str] | None = None
) -> Callable[P, R] | Callable[[Callable[P, R]], Callable[P, R]]:
    """An administrator's token with `scopes`; by default `admin:read` for GET and
    `admin:write` for every other method (read from the view's name)."""

    def build(view: Callable[P, R]) -> Callable[P, R]:
        default = ["admin:read"] if view.__name__ in ("get", "head") else ["admin:write"]
        needed = _known(default if scopes is None else scopes)

        @wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            user = authenticate(required=True)
            if user is None or not user.is_admin:
                raise ApiError(403, "Administrator privileges required")
            _check_scopes(needed, interactive=False)
            return view(*args, **kwargs)

        return document(wrapper, security=_security(needed), responses=_responses(401, 403))

    return _decorator(func, build)
