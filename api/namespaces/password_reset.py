"""Password reset by email: `POST /api/auth/password-reset` and `.../confirm`."""

import os
import threading

from flask import Flask, Response, current_app, jsonify
from flask_restx import Resource, fields

from api.core.passwords import MIN_PASSWORD_CHARS
from api.core.security import MAX_PASSWORD_BYTES
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


class Courier:
    """One thread per process drains the mail outbox, woken after each reset request. What it
    cannot send now (SMTP down or slow) stays due in the outbox and goes with a later wake-up
    or `flask deliver-mail`."""

    def __init__(self) -> None:
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._settled = threading.Condition(self._lock)
        self._apps: dict[int, Flask] = {}  # woken for, not yet served (one app in production)
        self._busy = False
        self._thread: threading.Thread | None = None
        self._pid = 0

    def wake(self, app: Flask) -> None:
        with self._lock:
            self._apps[id(app)] = app
            alive = self._thread is not None and self._thread.is_alive()
            if not alive or self._pid != os.getpid():  # none yet, or inherited over a fork
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._run, name="mail-courier", daemon=True)
                self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()  # a wake-up during the deliveries runs the loop once more
            with self._lock:
                apps, self._apps, self._busy = list(self._apps.values()), {}, True
            for app in apps:
                with app.app_context():
                    try:
                        reset_service.deliver_due(reset_service.settings_from(app.config))
                    except Exception:  # a delivery problem must never end the courier
                        app.logger.exception("Mail delivery failed")
            with self._lock:
                self._busy = False
                self._settled.notify_all()

    def settle(self, timeout: float = 10) -> None:
        """Wait until every wake-up so far has been served (a test, before it drops its app)."""
        with self._settled:
            self._settled.wait_for(lambda: not (self._apps or self._busy), timeout)


COURIER = Courier()


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
