"""Every call of the identity routes (OAuth2 token endpoint, password reset) to the limiter.

They use the failed-login throttle of `api/throttle.py`, kept behind these few functions so the
app-wide limiter can replace it in one place.
"""

from collections.abc import Callable
from typing import TypeVar

from flask import current_app, request
from limits import parse

from api.errors import ApiError
from api.throttle import Window, throttle

T = TypeVar("T")


def failed_logins_counted(username: str, attempt: Callable[[], T]) -> T:
    """Run a password check under the login throttle: a failure counts like a failed login
    (per username and per address), and a used-up window answers 429 before checking."""
    windows = throttle.windows(username)
    throttle.check(windows)
    try:
        return attempt()
    except ApiError as error:
        error.headers.update(throttle.fail(windows))
        raise


def password_reset_counted() -> None:
    """Count one password-reset request (either route) against `PASSWORD_RESET_RATE_LIMIT`
    per client address: 429 once it is used up. Per address, not per account, so an attacker
    elsewhere cannot use up the limit of the account's owner."""
    limit = parse(current_app.config["PASSWORD_RESET_RATE_LIMIT"])
    windows = [Window(limit, f"reset:addr:{request.remote_addr}")]
    try:
        throttle.check(windows)
    except ApiError as error:
        raise ApiError(
            429,
            f"Too many password reset requests: limit of {limit} exceeded; retry later",
            headers=error.headers,
        ) from None
    throttle.fail(windows)
