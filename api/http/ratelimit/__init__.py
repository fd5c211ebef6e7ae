"""Rate limits on every route: per client address and per authenticated user, app-wide.

Every request counts against `ADDRESS_RATE_LIMIT` (per client address, IPv6 per /64) and, when
it carries a bearer token, `USER_RATE_LIMIT` (per user; a JWT counts for its user only if its
signature is ours, so nobody can spend someone else's budget with a forged token; any other
bearer token, e.g. a personal access token, counts per token). Routes added by anyone are
covered without doing anything. Some operations also count against a *named* limit
(`POLICIES`): `ROUTE_LIMITS` maps operationIds to them, and a route opts in with one line:

    @rate_limit("password_reset")      # on the Resource method (or a plain Flask view)

Failed logins are counted apart, per (account, address) with `LOGIN_RATE_LIMIT` and per address
with `LOGIN_IP_RATE_LIMIT`, so an attacker elsewhere cannot lock the owner out. A route opts in
with `@failed_logins()` (login: the account named by the `username` field, JSON or form) or
`@failed_logins(signed_in_account)` (change-password). A failure is a 401, or a call to
`note_failed_login()` (change-password's service on a wrong current password; a route whose
failures have another status, e.g. OAuth's 400 `invalid_grant`, calls it too). The account is
the user id when the name or email exists (`admin` and `admin@example.com` are one account),
else the name as typed. An attempt is counted *before* it runs and given back unless it failed,
so N concurrent wrong passwords against a limit of L let exactly L through.

Counts live in a file every worker on the host shares, or in Redis (`REDIS_URL`, with a fallback
to the file during an outage): see `api/http/ratelimit/storage.py`. Every limited response
carries the IETF `RateLimit` / `RateLimit-Policy` fields (draft-ietf-httpapi-ratelimit-headers)
and `X-RateLimit-Limit/-Remaining/-Reset` (the tightest policy); a 429 adds `Retry-After`.
`RATELIMIT_ENABLED=false` turns all of it off (no hooks at all).
"""

import base64
import hashlib
import hmac
import ipaddress
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import orjson
from flask import Flask, Response, current_app, g, request
from flask_restx import Resource
from limits import parse
from sqlalchemy import func, select

from api.core.config import RATE_LIMIT_DEFAULTS
from api.core.logs import log_event
from api.http import observability
from api.http.errors import ApiError
from api.http.operations import RETRY_AFTER, document
from api.http.ratelimit.storage import (
    Count,
    Counters,
    Hit,
    RedisCounters,
    ResilientCounters,
    SharedFileCounters,
)
from api.http.schemas import error_model
from models import User, db

F = TypeVar("F", bound=Callable[..., Any])
P = ParamSpec("P")
R = TypeVar("R")

ADDRESS, USER, ACCOUNT = "address", "user", "account"
SCOPE_TEXT = {
    ADDRESS: "per client address",
    USER: "per user",
    ACCOUNT: "per account and client address",
}


@dataclass(frozen=True)
class Policy:
    name: str  # the item name in `RateLimit` / `RateLimit-Policy`
    setting: str  # the config key holding e.g. "10 per minute"
    scope: str
    failures_only: bool = False  # counted by `failed_logins`, not on every request


POLICIES = {
    policy.name: policy
    for policy in (
        Policy("address", "ADDRESS_RATE_LIMIT", ADDRESS),
        Policy("user", "USER_RATE_LIMIT", USER),
        Policy("register", "REGISTER_RATE_LIMIT", ADDRESS),
        Policy("refresh", "REFRESH_RATE_LIMIT", ADDRESS),
        Policy("change_password", "CHANGE_PASSWORD_RATE_LIMIT", USER),
        Policy("upload", "UPLOAD_RATE_LIMIT", USER),
        Policy("password_reset", "PASSWORD_RESET_RATE_LIMIT", ADDRESS),
        Policy("login_account", "LOGIN_RATE_LIMIT", ACCOUNT, failures_only=True),
        Policy("login_address", "LOGIN_IP_RATE_LIMIT", ADDRESS, failures_only=True),
    )
}
DEFAULT_POLICIES = ("address", "user")
# Per-operation overrides, by operationId: named limits counted on top of the defaults.
ROUTE_LIMITS: dict[str, tuple[str, ...]] = {
    "register": ("register",),
    "refreshToken": ("refresh",),
    "changePassword": ("change_password",),
    "uploadFile": ("upload",),
    "createDirectUpload": ("upload",),  # each start lets one file into the store's staging area
    "oauthToken": ("refresh",),
    "requestPasswordReset": ("password_reset",),
    "confirmPasswordReset": ("password_reset",),
}
LOGIN_POLICIES = ("login_account", "login_address")
# The counters of the tight limits, evicted last from the shared file (storage.py): those of an
# address, or of a user whose JWT verified. Not those of a personal access token (any string a
# client sends is one until it is checked) nor the default limits, whose keys anyone can mint.
PROTECTED_KEYS = tuple(
    f"{policy.name}:" if policy.scope != USER else f"{policy.name}:user:"
    for policy in POLICIES.values()
    if policy.name not in DEFAULT_POLICIES
)
# Methods counted under their own name; any other (a client may send made-up ones) is one.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

log = logging.getLogger("api.http.ratelimit")


@dataclass(frozen=True)
class Window:
    quota: int
    milliseconds: int
    text: str  # "10 per 1 minute"
    item: str  # its `RateLimit-Policy` item, e.g. '"address";q=6000;w=60'


@dataclass
class Usage:
    policy: Policy
    window: Window
    count: int
    ttl_ms: int

    @property
    def remaining(self) -> int:
        left = self.window.quota - self.count
        return left if left > 0 else 0

    @property
    def reset_seconds(self) -> int:
        return -(-self.ttl_ms // 1000) or 1  # ceil, at least 1


# One counted failed-login attempt: where it was counted, what, and what the response reports.
Reservation = tuple[Counters, Hit, Usage]


def rate_limit(*names: str) -> Callable[[F], F]:
    """Count this operation against the named limits too (on top of address and user)."""
    unknown = [name for name in names if name not in POLICIES]
    if unknown:
        raise ValueError(f"unknown rate limits {unknown}; known: {sorted(POLICIES)}")

    def decorator(func: F) -> F:
        # A function attribute (read back by `policies_of`), which callables are not typed with.
        func.__rate_limits__ = (*getattr(func, "__rate_limits__", ()), *names)  # type: ignore[attr-defined]
        return func

    return decorator


def policies_of(view: Callable[..., Any]) -> tuple[Policy, ...]:
    """Every policy an operation counts against: defaults, its decorators, ROUTE_LIMITS."""
    operation_id: str = getattr(view, "__apidoc__", {}).get("id", "")
    names = [
        *DEFAULT_POLICIES,
        *getattr(view, "__rate_limits__", ()),
        *ROUTE_LIMITS.get(operation_id, ()),
    ]
    return tuple(POLICIES[name] for name in dict.fromkeys(names))


def client_address(address: str | None = None) -> str:
    """The client's address (after ProxyFix); IPv6 clients are one client per /64."""
    address = address or request.remote_addr or "-"
    if ":" in address:
        try:
            return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
        except ValueError:
            return address
    return address


def signed_in_account() -> str | None:
    """The failed-login account of the authenticated user (for change-password)."""
    user = g.get("current_user")
    return f"user:{user.id}" if user is not None else None


def login_account() -> str | None:
    """The account a login names: its user id when it exists, else the name as typed. Both
    paths run one query, so the answer does not reveal whether the account exists."""
    body: Any = request.get_json(silent=True) if request.is_json else request.form
    identifier = body.get("username") if isinstance(body, Mapping) else None
    if not isinstance(identifier, str):  # refused by validation, before any password check
        return None
    # A blank name is an account like any other: its password is still checked (and fails),
    # so it must count against the address's failed logins too.
    name = identifier.strip().lower()[:254]
    if "\x00" in name:  # no such account, and PostgreSQL refuses NUL in a query
        return f"name:{name}"
    column = User.email if "@" in name else func.lower(User.username)
    user_id = db.session.scalar(select(User.id).where(column == name))
    return f"user:{user_id}" if user_id is not None else f"name:{name}"


def failed_logins(
    account: Callable[[], str | None] = login_account,
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Count this operation's failures (a 401, or `note_failed_login()`) as failed logins."""

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            limiter: Limiter | None = current_app.extensions.get("ratelimit")
            if limiter is not None:
                limiter.reserve_login(account())
            return view(*args, **kwargs)

        return rate_limit(*LOGIN_POLICIES)(wrapper)

    return decorator


def note_failed_login() -> None:
    """Called by a service when a password check failed in a `failed_logins` operation."""
    g.failed_login = True


class Limiter:
    def __init__(self, app: Flask) -> None:
        config = app.config
        self.windows = {name: _window(name, config[p.setting]) for name, p in POLICIES.items()}
        self.secret = config["JWT_SECRET_KEY"].encode()
        self.counters = _counters(config)
        self._routes: dict[tuple[str | None, str], list[tuple[Policy, Window]]] = {}

    # --- every request ---------------------------------------------------------------------

    def before_request(self) -> None:
        # This runs on every request: the proxies (`request`, `g`) are resolved once
        # (`_get_current_object` is a LocalProxy method, absent from Flask's types).
        req = request._get_current_object()  # type: ignore[attr-defined]
        method = req.method if req.method in _METHODS else "OTHER"  # bounds `_routes`
        route = (req.endpoint, method)
        policies = self._routes.get(route) or self._route_policies(*route)
        address = client_address(req.remote_addr)
        principal = self._principal(req.headers.get("Authorization"))
        hits: list[Hit] = []
        applied: list[tuple[Policy, Window]] = []
        for policy, window in policies:
            subject = address if policy.scope == ADDRESS else principal
            if subject is not None:
                hits.append((f"{policy.name}:{subject}", window.milliseconds, 1))
                applied.append((policy, window))
        counts, store = self._incr(hits)
        usages = [Usage(p, w, *c) for (p, w), c in zip(applied, counts, strict=True)]
        state = g._get_current_object()
        state.rate_limits = usages
        if principal is not None:  # given back if the token is refused (`after_request`)
            state.rate_limit_user = (store, hits, usages)
        _refuse_if_over(usages, "Too many requests")

    def after_request(self, response: Response) -> Response:
        state = g._get_current_object()
        usages: list[Usage] | None = getattr(state, "rate_limits", None)
        if not usages:
            return response
        reservation = state.__dict__.pop("login_reservation", None)
        failed = response.status_code == 401 or getattr(state, "failed_login", False)
        if reservation is not None and not failed:
            self._give_back(reservation)
        counted_for_user = state.__dict__.pop("rate_limit_user", None)
        if counted_for_user is not None and response.status_code == 401:
            if getattr(state, "current_user", None) is None:
                self._give_back_user(*counted_for_user)
        # Appended, not set: none of these is set elsewhere, and `set` scans every header.
        response.headers.extend(_headers(usages))
        return response

    def _route_policies(self, endpoint: str | None, method: str) -> list[tuple[Policy, Window]]:
        view = current_app.view_functions.get(endpoint) if endpoint else None
        view_class = getattr(view, "view_class", None)
        if view_class is not None:
            verb = "get" if method == "HEAD" else method.lower()
            view = getattr(view_class, verb, None)
        policies = policies_of(view) if view is not None else policies_of(_no_view)
        counted = [(p, self.windows[p.name]) for p in policies if not p.failures_only]
        self._routes[(endpoint, method)] = counted
        return counted

    def _principal(self, header: str | None) -> str | None:
        if not header:
            return None
        scheme, _, token = header.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None
        if token.count(".") != 2:  # not a JWT (e.g. a personal access token): per token
            return "token:" + hashlib.sha256(token.encode()).hexdigest()[:32]
        return self._jwt_user(token)

    def _jwt_user(self, token: str) -> str | None:
        """The user of a JWT signed with our key and not expired, else None (address only).
        Only picks a counter: authentication itself is `api/http/auth.py`'s job."""
        try:
            signing_input, _, signature = token.rpartition(".")
            expected = hmac.new(self.secret, signing_input.encode(), hashlib.sha256).digest()
            if not hmac.compare_digest(expected, _b64decode(signature)):
                return None
            claims = orjson.loads(_b64decode(signing_input.partition(".")[2]))
            if float(claims.get("exp", 0)) < time.time():
                return None
            return f"user:{claims['sub']}"
        except (ValueError, TypeError, AttributeError, KeyError):
            return None

    # --- failed logins ---------------------------------------------------------------------

    def reserve_login(self, account: str | None) -> None:
        if account is None:
            return
        address = client_address()
        # The address first, on its own: past its limit no per-account counter is made, so a
        # client cannot mint them (one per made-up name) as fast as it can send.
        steps = [
            ("login_address", f"login_address:{address}"),
            ("login_account", f"login_account:{account}|{address}"),
        ]
        reserved: list[Reservation] = []
        usages: list[Usage] = []
        for name, key in steps:
            policy, window = POLICIES[name], self.windows[name]
            hit: Hit = (key, window.milliseconds, 1)
            counts, store = self._incr([hit])
            usage = Usage(policy, window, *counts[0])
            reserved.append((store, hit, usage))
            usages.insert(0, usage)  # reported as LOGIN_POLICIES orders them
            if usage.count > window.quota:
                break
        g.rate_limits = [*g.get("rate_limits", []), *usages]
        g.login_reservation = reserved
        _refuse_if_over(usages, "Too many failed logins")

    def _give_back(self, reservation: list[Reservation]) -> None:
        for store, (key, window, amount), usage in reservation:
            try:
                store.incr([(key, window, -amount)])
            except Exception:  # noqa: BLE001 - a lost refund only over-counts; never fail for it
                continue
            usage.count = max(0, usage.count - 1)

    def _give_back_user(self, store: Counters, hits: list[Hit], usages: list[Usage]) -> None:
        """A token refused by authentication (revoked, logged out, a refresh token sent as a
        bearer: its signature is ours, so the limiter counted it for its user) spends nothing
        of that user's limits: whoever holds a dead credential cannot lock its owner out."""
        pairs = zip(hits, usages, strict=True)
        self._give_back([(store, hit, usage) for hit, usage in pairs if usage.policy.scope == USER])

    def _incr(self, hits: list[Hit]) -> tuple[list[Count], Counters]:
        if not hits:
            return [], self.counters
        if isinstance(self.counters, ResilientCounters):
            return self.counters.incr_with(hits)
        return self.counters.incr(hits), self.counters


def _no_view() -> None:
    """Stands for requests that match no route (404s): the default limits apply."""


def _b64decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _window(name: str, value: str) -> Window:
    limit = parse(value)
    seconds = limit.get_expiry()
    return Window(
        limit.amount, seconds * 1000, str(limit), f'"{name}";q={limit.amount};w={seconds}'
    )


def _refuse_if_over(usages: list[Usage], message: str) -> None:
    exceeded = [u for u in usages if u.count > u.window.quota]
    if exceeded:
        wait = max(u.reset_seconds for u in exceeded)
        detail = "; ".join(f"{u.window.text} {SCOPE_TEXT[u.policy.scope]}" for u in exceeded)
        raise ApiError(
            429, f"{message} ({detail}); retry in {wait} s", headers={"Retry-After": str(wait)}
        )


def _headers(usages: list[Usage]) -> list[tuple[str, str]]:
    """Written for speed (every response): one pass, no intermediate objects."""
    tightest, items = usages[0], []
    for usage in usages:
        items.append(f'"{usage.policy.name}";r={usage.remaining};t={usage.reset_seconds}')
        if (usage.remaining, usage.window.quota) < (tightest.remaining, tightest.window.quota):
            tightest = usage
    return [
        ("RateLimit-Policy", ", ".join([usage.window.item for usage in usages])),
        ("RateLimit", ", ".join(items)),
        ("X-RateLimit-Limit", str(tightest.window.quota)),
        ("X-RateLimit-Remaining", str(tightest.remaining)),
        ("X-RateLimit-Reset", str(int(time.time()) + tightest.reset_seconds)),
    ]


def _counters(config: Mapping[str, Any]) -> Counters:
    local = SharedFileCounters(Path(config["DATA_DIR"]) / "ratelimits.bin", PROTECTED_KEYS)
    url = config.get("RATELIMIT_STORAGE_URI") or ""
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return local
    observability.RATELIMIT_REDIS_UP.set(1)
    return ResilientCounters(RedisCounters(url), local, _storage_changed)


def _storage_changed(redis_up: bool, first_to_notice: bool, reason: str) -> None:
    """Logged and counted once per outage across this host's workers (a shared flag)."""
    observability.RATELIMIT_REDIS_UP.set(1 if redis_up else 0)
    if not first_to_notice:
        return
    if redis_up:
        log_event("ratelimit_redis_recovered", logging.WARNING)
    else:
        observability.RATELIMIT_REDIS_OUTAGES.inc()
        log_event(
            "ratelimit_redis_unavailable",
            logging.WARNING,
            reason=reason[:200],
            fallback="counting on this host until Redis answers again",
        )


def init_app(app: Flask) -> None:
    if not app.config["RATELIMIT_ENABLED"]:
        return
    limiter = Limiter(app)
    app.extensions["ratelimit"] = limiter
    app.before_request(limiter.before_request)
    app.after_request(limiter.after_request)


# --- the spec -------------------------------------------------------------------------------

RATE_LIMIT_HEADERS = {
    "RateLimit": {
        "description": "IETF draft `RateLimit`: per policy, requests remaining (`r`) and "
        'seconds until its window resets (`t`), e.g. `"address";r=5999;t=60`',
        "type": "string",
    },
    "RateLimit-Policy": {
        "description": "IETF draft `RateLimit-Policy`: the policies counting this request, "
        'with quota (`q`) and window in seconds (`w`), e.g. `"address";q=6000;w=60`',
        "type": "string",
    },
    "X-RateLimit-Limit": {"description": "Quota of the tightest policy", "type": "integer"},
    "X-RateLimit-Remaining": {
        "description": "Requests left in the tightest policy's window",
        "type": "integer",
    },
    "X-RateLimit-Reset": {
        "description": "Unix time the tightest policy's window resets",
        "type": "integer",
    },
}


def describe(policies: tuple[Policy, ...]) -> str:
    parts = [
        f"{'failed logins: ' if p.failures_only else ''}{RATE_LIMIT_DEFAULTS[p.setting]} "
        f"{SCOPE_TEXT[p.scope]} (`{p.setting}`)"
        for p in policies
    ]
    return "Too many requests; retry after `Retry-After` seconds. Limits: " + "; ".join(parts)


def document_limits(resource: type[Resource]) -> None:
    """Declare the rate-limit headers on every response of `resource` and, per method, a 429
    listing the limits it counts against (their defaults: the values are settings)."""
    document(resource, headers=RATE_LIMIT_HEADERS)
    for method in resource.methods or ():
        view = getattr(resource, method.lower())
        text = describe(policies_of(view))
        document(view, responses={"429": (text, error_model, {"headers": dict(RETRY_AFTER)})})
