"""Request-side authentication: read the bearer token, load the user, enforce roles.

The decorators also document what they enforce (security requirement, 401/403 responses).
"""

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import jwt
from flask import current_app, g, request

from api.docs import ERROR_DESCRIPTIONS, document
from api.errors import ApiError
from api.schemas import error_model
from api.security import decode_access_token
from api.services import auth as auth_service
from models import Principal

F = TypeVar("F", bound=Callable[..., Any])

BEARER = "Bearer"


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "Authorization header must be 'Bearer <token>'")
    return token.strip()


def authenticate(*, required: bool) -> Principal | None:
    """Load `g.current_user` from the token; an invalid token is a 401 even where optional."""
    token = _bearer_token()
    if token is None:
        if required:
            raise ApiError(401, "Authentication required")
        return None
    try:
        config = current_app.config
        claims = decode_access_token(
            token,
            secret=config["JWT_SECRET_KEY"],
            issuer=config["JWT_ISSUER"],
            audience=config["JWT_AUDIENCE"],
        )
    except jwt.ExpiredSignatureError:
        raise ApiError(401, "Token has expired") from None
    except jwt.InvalidTokenError:
        raise ApiError(401, "Invalid token") from None
    user = auth_service.user_for_claims(claims)
    if user is None:
        raise ApiError(401, "Token is no longer valid")
    g.current_user = user
    g.token_claims = claims
    return user


def current_user() -> Principal:
    """The authenticated user as a read-only row (`id`, `username`, `is_admin`, ...)."""
    return g.current_user


def optional_user() -> Principal | None:
    return g.get("current_user")


def _responses(*codes: int) -> dict[str, Any]:
    return {str(code): (ERROR_DESCRIPTIONS[code], error_model, {}) for code in codes}


def token_required(func: F) -> F:
    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        authenticate(required=True)
        return func(*args, **kwargs)

    return document(wrapper, security=[BEARER], responses=_responses(401))


def token_optional(func: F) -> F:
    """Public operation that also recognises a caller who sends a token."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        authenticate(required=False)
        return func(*args, **kwargs)

    return document(wrapper, security=[{}, BEARER], responses=_responses(401))


def admin_required(func: F) -> F:
    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        user = authenticate(required=True)
        if user is None or not user.is_admin:
            raise ApiError(403, "Administrator privileges required")
        return func(*args, **kwargs)

    return document(wrapper, security=[BEARER], responses=_responses(401, 403))
