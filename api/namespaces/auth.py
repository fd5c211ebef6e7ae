from typing import Any

from flask import g
from flask_restx import Namespace, Resource, fields

from api.deps import current_user, token_required
from api.docs import errors, json_body, returns
from api.errors import ApiError
from api.http import RATE_LIMIT_HEADERS
from api.schemas import message_model, user_model
from api.services import auth as auth_service
from api.throttle import throttle

ns = Namespace("auth", description="Registration, login and access tokens", path="/auth")

USERNAME_PATTERN = r"^[A-Za-z0-9_.-]+$"

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
            min_length=2,  # 8 bytes can be 2 characters; the service counts bytes
            max_length=72,
            description="8-72 bytes (UTF-8)",
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
            min_length=2,  # 8 bytes can be 2 characters; the service counts bytes
            max_length=72,
            description="8-72 bytes (UTF-8)",
            example="new secret phrase",
        ),
    },
)

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
    @json_body(ns, register_model)
    @errors(409, e409="Username or email already registered")
    @returns(token_model, code=201, description="Registered; the body holds an access token")
    def post(self) -> tuple[dict[str, Any], int]:
        """Create an account and return an access token.

        Only `username`, `email` and `password` are read; anything else (e.g. `is_admin`) is
        ignored.
        """
        body = ns.payload
        user = auth_service.register(
            username=body["username"], email=body["email"], password=body["password"]
        )
        return auth_service.token_response(user), 201


@ns.route("/login")
class Login(Resource):
    @ns.doc(id="login")
    @json_body(ns, login_model)
    @errors(401, 429, e401="Wrong credentials or inactive account")
    @returns(
        token_model,
        description="Logged in; the body holds an access token",
        headers=RATE_LIMIT_HEADERS,
    )
    def post(self) -> tuple[dict[str, Any], int, dict[str, str]]:
        """Log in with a username (or email) and password.

        Failed attempts are limited per username and per client address (429 with
        `Retry-After`).
        """
        body = ns.payload
        windows = throttle.windows(body["username"])
        headers = throttle.check(windows)
        try:
            user = auth_service.authenticate(identifier=body["username"], password=body["password"])
        except ApiError as error:
            error.headers.update(throttle.fail(windows))
            raise
        return auth_service.token_response(user), 200, headers


@ns.route("/refresh")
class Refresh(Resource):
    @ns.doc(id="refreshToken")
    @json_body(ns, refresh_model)
    @errors(401, e401="Refresh token invalid, expired, revoked or already used")
    @returns(token_model, description="A new access token and a new refresh token")
    def post(self) -> dict[str, Any]:
        """Exchange a refresh token for a new access token.

        Refresh tokens rotate: each is single-use and the response carries its successor.
        Presenting one that was already used revokes the whole login (every token of that
        family), since it means the token was stolen.
        """
        return auth_service.refresh(ns.payload["refresh_token"])


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
        auth_service.revoke(g.token_claims)
        return {"message": "Logged out"}


@ns.route("/change-password")
class ChangePassword(Resource):
    @ns.doc(id="changePassword")
    @token_required(scopes=["account"], interactive=True)
    @json_body(ns, change_password_model)
    @returns(token_model, description="Changed; older tokens stop working, use this new one")
    def post(self) -> dict[str, Any]:
        """Change the password.

        Every token issued before the change stops working; the response holds a fresh one.
        """
        body = ns.payload
        user = auth_service.change_password(
            user_id=current_user().id,
            current_password=body["current_password"],
            new_password=body["new_password"],
        )
        return auth_service.token_response(user)
