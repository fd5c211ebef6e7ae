"""Failed-login throttling with `limits` (the library behind Flask-Limiter).

Only failed logins count, per username and per client address. Flask-Limiter itself would add
hooks to every request of the app; this checks the login route alone. Storage is in memory per
worker, or Redis (`REDIS_URL`) to count across workers and instances.
"""

import math
import time
from dataclasses import dataclass

from flask import Flask, current_app, request
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from api.errors import ApiError


@dataclass(frozen=True)
class Window:
    limit: RateLimitItem
    key: str


class LoginThrottle:
    def init_app(self, app: Flask) -> None:
        storage = storage_from_string(app.config["RATELIMIT_STORAGE_URI"])
        app.extensions["login_throttle"] = FixedWindowRateLimiter(storage)

    @staticmethod
    def _limiter() -> FixedWindowRateLimiter:
        return current_app.extensions["login_throttle"]

    def windows(self, username: str) -> list[Window]:
        config = current_app.config
        name = username.strip().lower()[:254]
        return [
            Window(parse(config["LOGIN_RATE_LIMIT"]), f"login:user:{name}"),
            Window(parse(config["LOGIN_IP_RATE_LIMIT"]), f"login:addr:{request.remote_addr}"),
        ]

    def check(self, windows: list[Window]) -> dict[str, str]:
        """Raise 429 if any window is used up; else the rate-limit headers to send."""
        if not current_app.config["RATELIMIT_ENABLED"]:
            return {}
        for window in windows:
            if not self._limiter().test(window.limit, window.key):
                reset, _ = self._limiter().get_window_stats(window.limit, window.key)
                wait = min(window.limit.get_expiry(), max(1, math.ceil(reset - time.time())))
                headers = {**self.headers(window), "Retry-After": str(wait)}
                raise ApiError(
                    429,
                    f"Too many failed logins: limit of {window.limit} exceeded; retry later",
                    headers=headers,
                )
        return self.headers(windows[0])

    def fail(self, windows: list[Window]) -> dict[str, str]:
        """Count a failed attempt in every window; the headers after counting it."""
        if not current_app.config["RATELIMIT_ENABLED"]:
            return {}
        for window in windows:
            self._limiter().hit(window.limit, window.key)
        return self.headers(windows[0])

    def headers(self, window: Window) -> dict[str, str]:
        reset, remaining = self._limiter().get_window_stats(window.limit, window.key)
        return {
            "X-RateLimit-Limit": str(window.limit.amount),
            "X-RateLimit-Remaining": str(max(0, remaining)),
            "X-RateLimit-Reset": str(math.ceil(reset)),
        }


throttle = LoginThrottle()
