"""`POST /api/auth/token`: the OAuth2 token endpoint (RFC 6749 §4.3 password grant, §6
refresh), form-encoded, so Swagger UI's Authorize dialog and OAuth2 client libraries log in."""

from typing import Any

import jwt
from flask import current_app, request
from flask_restx import Resource, fields, reqparse

from api.core.scopes import SCOPES, ScopeError, as_string, grant, parse
from api.http import settings
from api.http.errors import json_error
from api.http.operations import errors, returns
from api.http.ratelimit import failed_logins, note_failed_login
from api.http.schemas import BoundedStr
from api.namespaces.auth import ns
from api.services import auth as auth_service
from api.services.errors import NotAuthenticated

GRANT_TYPES = ("password", "refresh_token")
OAUTH_ERRORS = ("invalid_request", "invalid_grant", "unsupported_grant_type", "invalid_scope")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# Each parameter at most once (RFC 6749 §3.1), and this long.
LIMITS = {
    "grant_type": 100,
    "username": 254,
    "password": 1024,
    "refresh_token": 4096,
    "scope": 1000,
}

# Documentation only (the form is read by `_form`, which answers in OAuth2's error format).
token_form = reqparse.RequestParser()
token_form.add_argument(
    "grant_type",
    type=BoundedStr(LIMITS["grant_type"]),
    location="form",
    required=True,
    choices=GRANT_TYPES,
    help="The grant",
)
for _name, _help in (
    ("username", "`password` grant: username or email address"),
    ("password", "`password` grant: the password"),
    ("refresh_token", "`refresh_token` grant: the refresh token"),
    (
        "scope",
        "Space-delimited scopes to narrow the token to (default: every scope of your role; "
        "a refresh may only narrow further): " + ", ".join(SCOPES),
    ),
):
    token_form.add_argument(_name, type=BoundedStr(LIMITS[_name]), location="form", help=_help)

oauth_token_model = ns.model(
    "OAuthToken",
    {
        "access_token": fields.String(required=True, description="JWT access token"),
        "token_type": fields.String(required=True, enum=["Bearer"], example="Bearer"),
        "expires_in": fields.Integer(required=True, description="Seconds until expiry"),
        "refresh_token": fields.String(
            required=True, description="Single-use; exchange it with `grant_type=refresh_token`"
        ),
        "refresh_expires_in": fields.Integer(
            required=True, description="Seconds until the refresh token expires"
        ),
        "scope": fields.String(
            required=True, description="Granted scopes, space-delimited", example="items:read"
        ),
    },
)
oauth_error_model = ns.model(
    "OAuthError",
    {
        "error": fields.String(required=True, enum=list(OAUTH_ERRORS), example="invalid_grant"),
        "error_description": fields.String(required=True, example="Invalid username or password"),
        "request_id": fields.String(description="The request's `X-Request-ID`"),
    },
)


class OAuthError(Exception):
    def __init__(self, code: str, description: str, headers: dict[str, str] | None = None):
        super().__init__(description)
        self.code, self.description, self.headers = code, description, headers or {}


@ns.route("/token")
class Token(Resource):
    @ns.doc(id="oauthToken")
    @ns.expect(token_form)
    @ns.response(
        400,
        "RFC 6749 §5.2 error: `invalid_request`, `invalid_grant` (wrong credentials, inactive "
        "account, bad refresh token), `unsupported_grant_type` or `invalid_scope`",
        oauth_error_model,
    )
    @errors(413, 429)
    @failed_logins()
    @returns(
        oauth_token_model,
        description="RFC 6749 §5.1 access token response",
    )
    def post(self) -> Any:
        """Get an access token (OAuth2 password or refresh-token grant).

        Form-encoded as RFC 6749 says: `grant_type=password` with `username` and `password`
        (and optionally `scope`), or `grant_type=refresh_token` with `refresh_token`. Failed
        password grants count like failed logins (429 with `Retry-After`). Unknown parameters
        are ignored (RFC 6749 §3.2).
        """
        try:
            form = _form()
            if form["grant_type"] == "password":
                return _password_grant(form)
            return _refresh_grant(form)
        except OAuthError as error:
            response = json_error(400, error.code, headers=error.headers)
            body = response.get_json()
            body["error_description"] = error.description
            response.set_data(current_app.json.dumps(body))
            return response


def _form() -> dict[str, str]:
    if request.mimetype not in FORM_TYPES:
        raise OAuthError("invalid_request", "Send the parameters form-encoded (RFC 6749 §4.3.2)")
    form = request.form
    for name, limit in LIMITS.items():
        values = form.getlist(name)
        if len(values) > 1:
            raise OAuthError("invalid_request", f"{name} is repeated")
        if values and (len(values[0]) > limit or "\x00" in values[0]):
            raise OAuthError("invalid_request", f"{name} is too long or malformed")
    grant_type = form.get("grant_type", "")
    if not grant_type:
        raise OAuthError("invalid_request", "grant_type is required")
    if grant_type not in GRANT_TYPES:
        raise OAuthError("unsupported_grant_type", f"Supported: {', '.join(GRANT_TYPES)}")
    return {name: form.get(name, "") for name in LIMITS}


def _required(form: dict[str, str], *names: str) -> None:
    if missing := [name for name in names if not form[name]]:
        raise OAuthError("invalid_request", f"{', '.join(missing)} required")


def _password_grant(form: dict[str, str]) -> tuple[dict[str, Any], int, dict[str, str]]:
    _required(form, "username", "password")
    scopes = parse(form["scope"])

    try:
        user = auth_service.authenticate(
            identifier=form["username"],
            password=form["password"],
            rounds=settings.auth().bcrypt_rounds,
        )
    except NotAuthenticated as error:
        note_failed_login()  # a 400 invalid_grant counts like a failed login's 401
        raise OAuthError("invalid_grant", error.message) from None
    try:
        scope = as_string(grant(scopes, is_admin=user.is_admin))
    except ScopeError as error:
        raise OAuthError("invalid_scope", str(error)) from None
    return _token_body(auth_service.token_response(user, settings.auth(), scope=scope))


def _refresh_grant(form: dict[str, str]) -> tuple[dict[str, Any], int, dict[str, str]]:
    _required(form, "refresh_token")
    scope = None
    if (requested := parse(form["scope"])) is not None:
        scope = _narrowed(form["refresh_token"], requested)
    try:
        issued = auth_service.refresh(form["refresh_token"], settings.auth(), scope=scope)
    except NotAuthenticated as error:
        raise OAuthError("invalid_grant", error.message) from None
    return _token_body(issued)


def _narrowed(refresh_token: str, requested: list[str]) -> str:
    """The requested scopes, if within those of the refresh token (RFC 6749 §6)."""
    try:
        claims = auth_service.decode_refresh_token(refresh_token, settings.auth())
    except jwt.InvalidTokenError:
        raise OAuthError("invalid_grant", "Invalid or expired refresh token") from None
    # Within the user's role as it is now (a demoted admin's grant holds no admin scope); a
    # login without a `scope` claim holds every scope of that role.
    held = auth_service.role_scopes_of(int(claims["sub"]))
    if "scope" in claims:
        held &= frozenset(claims["scope"].split())
    if unknown := [s for s in requested if s not in SCOPES]:
        raise OAuthError("invalid_scope", f"unknown scope(s): {', '.join(sorted(set(unknown)))}")
    if beyond := [s for s in requested if s not in held]:
        detail = ", ".join(beyond)
        raise OAuthError("invalid_scope", f"beyond the original grant or your role: {detail}")
    return as_string(requested)


def _token_body(issued: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    body = {
        "access_token": issued["token"],
        "token_type": "Bearer",
        "expires_in": issued["expires_in"],
        "refresh_token": issued["refresh_token"],
        "refresh_expires_in": issued["refresh_expires_in"],
        "scope": issued["scope"],
    }
    return body, 200, {"Cache-Control": "no-store", "Pragma": "no-cache"}
