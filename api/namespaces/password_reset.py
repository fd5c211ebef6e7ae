"""Password reset by email: `POST /api/auth/password-reset` and `.../confirm`."""

from flask import Response, current_app, jsonify
from flask_restx import Resource, fields

from api.core.passwords import MIN_PASSWORD_CHARS
from api.core.security import MAX_PASSWORD_BYTES
from api.http.courier import COURIER
from api.http.operations import errors, json_body, returns
from api.http.schemas import message_model
from api.namespaces.auth import PASSWORD_RULES, ns, password_reasons
from api.services import password_reset as reset_service

reset_request_model = ns.model(
    "PasswordResetRequest",
    {
        "email": fields.String(
            required=True, max_length=254, format="email", example="alice@example.com"
        )
    },
)
reset_confirm_model = ns.model(
    "PasswordResetConfirm",
    {
        "token": fields.String(
            required=True, min_length=1, max_length=256, description="The token from the mail"
        ),
        "new_password": fields.String(
            required=True,
            min_length=MIN_PASSWORD_CHARS,
            max_length=MAX_PASSWORD_BYTES,  # characters; the byte limit is checked by the service
            description=PASSWORD_RULES,
            example="new secret phrase",
        ),
    },
)
ACCEPTED = "If an account has this address, a reset mail is on its way"


@ns.route("/password-reset")
class PasswordReset(Resource):
    @ns.doc(id="requestPasswordReset")
    @json_body(ns, reset_request_model)
    @errors(429)
    @ns.response(202, ACCEPTED, message_model)
    def post(self) -> Response:
        """Ask for a password reset mail.

        Always 202, whether or not an account has the address (nothing tells which
        addresses are registered). The mail holds a single-use token that expires in 30
        minutes (`PASSWORD_RESET_EXPIRES`). Rate limited per client address
        (`PASSWORD_RESET_RATE_LIMIT`, shared with `confirmPasswordReset`).
        """
        reset_service.request_reset(ns.payload["email"])
        response = jsonify({"message": ACCEPTED})
        response.status_code = 202
        # Delivered once the answer is sent, by this process's courier thread: the cost never
        # shows in the response time, and a slow or hung SMTP server holds that thread, never
        # a request's. The app object itself, not its proxy (a LocalProxy method).
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        response.call_on_close(lambda: COURIER.wake(app))
        return response


@ns.route("/password-reset/confirm")
class PasswordResetConfirm(Resource):
    @ns.doc(id="confirmPasswordReset")
    @password_reasons("new_password")
    @json_body(ns, reset_confirm_model)
    @errors(
        400, 429, 503, e400="Invalid, expired or used token, or a new password the policy refuses"
    )
    @returns(message_model, description="Password changed; every session and token revoked")
    def post(self) -> dict[str, str]:
        """Set a new password with the token from the reset mail.

        The token works once. Every session, refresh token and personal access token of the
        account is revoked; log in again with the new password.
        """
        body = ns.payload
        reset_service.confirm(
            token=body["token"],
            new_password=body["new_password"],
            bcrypt_rounds=current_app.config["BCRYPT_ROUNDS"],
        )
        return {"message": "Password changed; log in with the new password"}
