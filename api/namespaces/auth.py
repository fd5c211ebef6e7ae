from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from flask import g, request
from flask_restx import Namespace, Resource, fields
from werkzeug.exceptions import HTTPException

from api.core.passwords import MIN_PASSWORD_CHARS, password_weakness
from api.core.security import MAX_PASSWORD_BYTES
from api.http import settings
from api.http.auth import current_user, login_scope, token_required
from api.http.operations import errors, json_body, returns
from api.http.ratelimit import failed_logins, note_failed_login, signed_in_account
from api.http.schemas import message_model, user_model
from api.services import auth as auth_service
from api.services.errors import WrongCurrentPassword

ns = Namespace("auth", description="Registration, login and access tokens", path="/auth")

P = ParamSpec("P")
R = TypeVar("R")

USERNAME_PATTERN = r"^[A-Za-z0-9_.-]+$"
PASSWORD_RULES = (
    f"At least {MIN_PASSWORD_CHARS} characters and at most {MAX_PASSWORD_BYTES} bytes in UTF-8 "
    "(bcrypt's limit: a non-ASCII character takes 2-4 bytes). Common, breached and easily "
    "guessed passwords, and ones built from the username or email, are refused "
    "(NIST SP 800-63B); `errors.password` says why."
)

register_model = ns.model(
    "RegisterRequest",
    {
        "username": fields.String(
            required=True,
            min_length=3,
            max_length=80,
            pattern=USERNAME_PATTERN,
            description="3-80 characters of letters, digits, `_`, `.` and `-`",
            example="alice",
        ),
        "email": fields.String(
            required=True, max_length=254, format="email", example="alice@example.com"
        ),
        "password": fields.String(
            required=True,
            min_length=MIN_PASSWORD_CHARS,
            max_length=MAX_PASSWORD_BYTES,  # characters; the byte limit is checked by the service
            description=PASSWORD_RULES,
            example="correct horse battery",
        ),
    },
)

login_model = ns.model(
    "LoginRequest",
    {
        "username": fields.String(
            required=True,
            min_length=1,
            max_length=254,
            description="Username or email address",
            example="alice",
        ),
        "password": fields.String(
            required=True, min_length=1, max_length=1024, example="correct horse battery"
        ),
    },
)

change_password_model = ns.model(
    "ChangePasswordRequest",
    {
        "current_password": fields.String(required=True, max_length=1024, example="old secret"),
        "new_password": fields.String(
            required=True,
            min_length=MIN_PASSWORD_CHARS,
            max_length=MAX_PASSWORD_BYTES,  # characters; the byte limit is checked by the service
            description=PASSWORD_RULES + " Must differ from the current password.",
            example="new secret phrase",
        ),
    },
)


def password_reasons(field: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """A body the schema refuses still says what is wrong with the new password, in the
    policy's words (not "'hunter2' is too short", which echoes it back)."""

    def decorator(func: Callable[P, R]) -> Callable[P, R]:
        @wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return func(*args, **kwargs)
            except HTTPException as exc:
                problems = (getattr(exc, "data", None) or {}).get("errors") or {}
                body = request.get_json(silent=True)
                value = body.get(field) if isinstance(body, dict) else None
                if isinstance(value, str) and (reason := password_weakness(value)):
                    problems[field] = reason  # bundled with the other fields' errors
                raise

        return wrapper

    return decorator


token_model = ns.model(
    "AuthToken",
    {
        "token": fields.String(required=True, description="JWT access token"),
        "token_type": fields.String(required=True, enum=["Bearer"], example="Bearer"),
        "expires_in": fields.Integer(required=True, description="Seconds until expiry"),
        "refresh_token": fields.String(
            required=True, description="Single-use token for `POST /api/auth/refresh`"
        ),
        "refresh_expires_in": fields.Integer(
            required=True, description="Seconds until the refresh token expires"
        ),
        "user": fields.Nested(user_model, required=True),
    },
)

refresh_model = ns.model(
    "RefreshRequest",
    {"refresh_token": fields.String(required=True, min_length=1, max_length=4096)},
)


@ns.route("/register")
class Register(Resource):
    @ns.doc(id="register")
    @password_reasons("password")
    @json_body(ns, register_model)
    @errors(409, 503, e409="Username or email already registered")
    @returns(token_model, code=201, description="Registered; the body holds an access token")
    def post(self) -> tuple[dict[str, Any], int]:
        """Create an account and return an access token.

        Only `username`, `email` and `password` are read; anything else (e.g. `is_admin`) is
        ignored.
        """
        body = ns.payload
        config = settings.auth()
        user = auth_service.register(
            username=body["username"],
            email=body["email"],
            password=body["password"],
            rounds=config.bcrypt_rounds,
        )
        return auth_service.token_response(user, config), 201


@ns.route("/login")
class Login(Resource):
    @ns.doc(id="login")
    @json_body(ns, login_model)
    @failed_logins()
    @errors(401, 429, 503, e401="Wrong credentials or inactive account")
    @returns(token_model, description="Logged in; the body holds an access token")
    def post(self) -> dict[str, Any]:
        """Log in with a username (or email) and password.

        Failed attempts are limited per account and client address, and per client address
        (429 with `Retry-After`), so failures elsewhere never lock the owner out.
        """
        body = ns.payload
        config = settings.auth()
        user = auth_service.authenticate(
            identifier=body["username"], password=body["password"], rounds=config.bcrypt_rounds
        )
        return auth_service.token_response(user, config)


@ns.route("/refresh")
class Refresh(Resource):
    @ns.doc(id="refreshToken")
    @json_body(ns, refresh_model)
    @errors(401, e401="Refresh token invalid, expired, revoked or already used")
    @returns(token_model, description="A new access token and a new refresh token")
    def post(self) -> dict[str, Any]:
        """Exchange a refresh token for a new access token.

        Refresh tokens rotate: each is single-use and the response carries its successor.
        A client that lost the response may retry with the same token within a few seconds
        (`REFRESH_REUSE_INTERVAL`, default 5) and gets the same new pair again. Presenting a
        used token after that revokes the whole login (every token of that family), since it
        means the token was stolen. After logout, a password change or deactivation, no
        token of the login is honoured again.
        """
        return auth_service.refresh(ns.payload["refresh_token"], settings.auth())


@ns.route("/me")
class Me(Resource):
    @ns.doc(id="getCurrentUser")
    @token_required(scopes=["account"])
    @returns(user_model, description="The current user")
    def get(self) -> Any:
        """Return the current user.

        The account the bearer token belongs to.
        """
        return current_user()


@ns.route("/logout")
class Logout(Resource):
    @ns.doc(id="logout")
    @token_required(interactive=True)
    @returns(message_model, description="Logged out; the token is revoked")
    def post(self) -> dict[str, str]:
        """Log out: revoke the current access token and its refresh tokens.

        The access token and every refresh token of the same login are refused from now on,
        on every server instance.
        """
        auth_service.revoke(g.token_claims, settings.auth())
        return {"message": "Logged out"}


@ns.route("/change-password")
class ChangePassword(Resource):
    @ns.doc(id="changePassword")
    @token_required(scopes=["account"], interactive=True)
    @password_reasons("new_password")
    @failed_logins(signed_in_account)
    @json_body(ns, change_password_model)
    @errors(503)
    @returns(token_model, description="Changed; older tokens stop working, use this new one")
    def post(self) -> dict[str, Any]:
        """Change the password.

        Every token issued before the change stops working, personal access tokens included;
        the response holds a fresh one.
        """
        body, config = ns.payload, settings.auth()
        try:
            user = auth_service.change_password(
                user_id=current_user().id,
                current_password=body["current_password"],
                new_password=body["new_password"],
                rounds=config.bcrypt_rounds,
            )
        except WrongCurrentPassword:
            note_failed_login()  # a wrong current password counts like a failed login
            raise
        # The new login is as narrow as the one that asked: never wider.
        return auth_service.token_response(user, config, scope=login_scope())
