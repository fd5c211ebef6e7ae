"""Where one request's time goes: a breakdown by component, in process, through the WSGI app.

Builds the app as the bench serves it (limits off unless `--limits`, JSON log line per request
at INFO, Prometheus in multiprocess mode, the page cache at its default size) on a copy of the
bench's seeded database, and calls the WSGI callable directly, as gunicorn's worker does, with
environ dicts built once per request kind. After every request it also formats gunicorn's
access-log line with gunicorn's own logger when gunicorn.conf.py has one (`--access-log`).

Each component is a set of functions wrapped with a timer that counts exclusive time: a timed
function called inside another one is taken out of the outer one's figure (a few, like the
token's user query, keep what they call). What no wrapper claims is Flask/Flask-RESTX/Werkzeug
dispatch ("other"). Time is the thread's CPU time by default (`--clock cpu`), so other load on
a shared machine does not inflate it; the wrappers add a little, so the uninstrumented CPU time
per request is measured first and printed beside the instrumented total.

    .venv/bin/python bench/request_profile.py                  # table; --record appends it
    .venv/bin/python bench/request_profile.py --cprofile me    # cProfile's top functions

The file is not named profile.py: that would shadow the standard library module cProfile uses.
"""

import argparse
import ast
import cProfile
import functools
import io
import logging
import os
import pstats
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

from run import BUILD, RESULTS, ROOT, seeded  # noqa: E402

HIGH = "1000000000 per minute"  # limits on, nothing refused (as bench/ratelimits.py)
OTHER = "other: Flask/RESTX/Werkzeug dispatch"


@dataclass
class Frame:
    category: str
    absorb: bool
    children: float = 0.0


@dataclass
class Tally:
    """Exclusive time per category over every timed call."""

    clock: Callable[[], float]
    stack: list[Frame] = field(default_factory=list)
    seconds: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    calls: Counter[str] = field(default_factory=Counter)
    enabled: bool = False

    def wrap(self, func: Callable[..., Any], category: str, absorb: bool = False) -> Any:
        clock, stack = self.clock, self.stack

        @functools.wraps(func)
        def timed(*args: Any, **kwargs: Any) -> Any:
            if not self.enabled or (stack and stack[-1].absorb):
                return func(*args, **kwargs)
            frame = Frame(category, absorb)
            stack.append(frame)
            started = clock()
            try:
                return func(*args, **kwargs)
            finally:
                elapsed = clock() - started
                stack.pop()
                self.seconds[category] += elapsed - frame.children
                self.calls[category] += 1
                if stack:
                    stack[-1].children += elapsed

        timed.__wrapped_by_tally__ = True  # type: ignore[attr-defined]
        return timed

    def patch(self, owner: Any, name: str, category: str, absorb: bool = False) -> None:
        setattr(owner, name, self.wrap(getattr(owner, name), category, absorb))

    def reset(self) -> None:
        self.seconds.clear()
        self.calls.clear()


DB_SESSION = "DB: session, pool, transaction"
DB_QUERY = "DB: execute + fetch (SQLAlchemy Core + sqlite3)"


def instrument(tally: Tally) -> None:
    """Wrap the functions of each component; before the app is built, so it binds the wrappers
    wherever it takes a reference at start-up."""
    import flask
    import flask.ctx
    import flask_restx
    import flask_restx.reqparse
    import orjson
    import prometheus_client.metrics as metrics
    import sqlalchemy.engine
    import sqlalchemy.orm
    import werkzeug.routing
    import werkzeug.wrappers

    import api.http
    import api.http.auth
    import api.http.marshalling
    import api.http.operations
    import api.http.page_cache
    import api.http.pagination
    import api.services.auth
    import api.services.items

    patch = tally.patch
    patch(werkzeug.routing.MapAdapter, "match", "routing (Werkzeug URL map)")
    patch(werkzeug.routing.Map, "bind_to_environ", "routing (Werkzeug URL map)")
    patch(flask.ctx.RequestContext, "push", "Flask: request/app context, request object")
    patch(flask.ctx.RequestContext, "pop", "Flask: request/app context, request object")
    patch(flask_restx.reqparse.RequestParser, "parse_args", "request: query args / JSON body")
    patch(flask_restx.Model, "validate", "request: query args / JSON body")
    patch(flask.Request, "get_json", "request: query args / JSON body")
    patch(api.http.auth, "authenticate", "auth: bearer header, scopes, g")
    patch(api.http.auth, "_check_scopes", "auth: bearer header, scopes, g")
    patch(api.http.auth, "decode_access_token", "auth: JWT decode + claim checks (PyJWT)")
    patch(api.services.auth, "user_for_claims", "auth: user + revocation query (DB)", absorb=True)
    for name in ("list_items", "get_visible", "create_item"):
        patch(api.services.items, name, "service: statement building, ORM object")
    patch(api.http.page_cache.PageCache, "get_or_compute", "page cache: lookup + store")
    for name in ("connection", "close", "rollback"):
        patch(sqlalchemy.orm.Session, name, DB_SESSION)
    patch(sqlalchemy.orm.scoped_session, "remove", DB_SESSION)
    patch(sqlalchemy.engine.Engine, "connect", DB_SESSION)  # connections outside the session
    patch(sqlalchemy.engine.Connection, "close", DB_SESSION)
    patch(sqlalchemy.orm.Session, "commit", "DB: ORM insert + commit (flush, triggers, fsync)")
    patch(sqlalchemy.engine.Connection, "execute", DB_QUERY)
    for name in ("all", "first", "scalar", "one"):
        patch(sqlalchemy.engine.Result, name, DB_QUERY)
    # Compiled serializers are closures made on first use: wrap what `_compile` returns.
    compile_ = api.http.marshalling._compile
    api.http.marshalling._compile = lambda model: tally.wrap(compile_(model), "marshalling")
    patch(api.http.operations, "etag_of", "ETag (sha256 of the representation)", absorb=True)
    patch(api.http.page_cache, "render_page", "ETag (sha256 of the representation)")
    patch(orjson, "dumps", "JSON encode (orjson)")
    patch(api.http.pagination, "page_headers", "pagination headers (Link, X-Total-Count)")
    patch(flask.Flask, "make_response", "response: Response object, headers")
    patch(flask_restx.Api, "make_response", "response: Response object, headers")
    patch(werkzeug.wrappers.Response, "__call__", "response: Response object, headers")
    patch(metrics.MetricWrapperBase, "labels", "metrics (Prometheus, multiprocess files)")
    patch(metrics.Counter, "inc", "metrics (Prometheus, multiprocess files)")
    patch(metrics.Histogram, "observe", "metrics (Prometheus, multiprocess files)")
    patch(logging.Logger, "_log", "logging: JSON line (api logger)", absorb=True)


def hook_category(func: Any) -> str:
    module = getattr(func, "__module__", "") or ""
    if module.startswith("api.http.ratelimit"):
        return "rate limiter"
    if module.startswith("flask_cors"):
        return "CORS hook"
    if module.startswith("flask_sqlalchemy"):
        return DB_SESSION
    return "hooks: request id, security headers, body limit"


def instrument_hooks(tally: Tally, app: Any) -> None:
    """The app holds its before/after/teardown hooks in lists: wrap them in place."""
    for registry in (
        app.before_request_funcs,
        app.after_request_funcs,
        app.teardown_request_funcs,
        app.teardown_appcontext_funcs,
    ):
        funcs = registry.values() if isinstance(registry, dict) else [registry]
        for hooks in funcs:
            for index, hook in enumerate(hooks):
                hooks[index] = tally.wrap(hook, hook_category(hook))


def build_app(database: Path, data_dir: Path, **config: Any) -> Any:
    from api import create_app

    settings = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
        "DATA_DIR": str(data_dir),
        "SECRET_KEY": "profile-secret-key-0123456789abcdef0123456789",
        "BCRYPT_ROUNDS": 4,
        "LOG_LEVEL": "INFO",  # gunicorn.conf.py's default: one JSON line per request
        "RATELIMIT_ENABLED": False,
        **config,
    }
    return create_app(settings)


@dataclass
class Kind:
    label: str
    method: str
    path: str
    body: bytes = b""
    token: bool = False
    status: int = 200
    app: str = "default"


def environ_for(kind: Kind, token: str) -> dict[str, Any]:
    """What gunicorn hands the app for the request wrk sends (Host plus the script's headers)."""
    from werkzeug.test import EnvironBuilder

    headers = {"Host": "127.0.0.1:5811"}
    if kind.token:
        headers["Authorization"] = f"Bearer {token}"
    if kind.body:
        headers["Content-Type"] = "application/json"
    builder = EnvironBuilder(path=kind.path, method=kind.method, headers=headers, data=kind.body)
    environ = builder.get_environ()
    environ.update(
        REMOTE_ADDR="127.0.0.1",
        SERVER_PROTOCOL="HTTP/1.1",
        RAW_URI=kind.path,
        **{"wsgi.multithread": True, "wsgi.multiprocess": True},
    )
    return environ


def gunicorn_access_log() -> bool:
    """Whether gunicorn.conf.py has gunicorn write an access line per request."""
    tree = ast.parse((ROOT / "gunicorn.conf.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "accesslog" for target in node.targets
        ):
            return not (isinstance(node.value, ast.Constant) and node.value.value is None)
    return False


class AccessLog:
    """gunicorn's access-log line for each request, formatted and written by gunicorn's logger
    (when gunicorn.conf.py has one)."""

    def __init__(self, path: Path, enabled: bool) -> None:
        from gunicorn.config import Config
        from gunicorn.glogging import Logger

        self.enabled = enabled
        config = Config()
        config.set("accesslog", str(path))
        config.set("loglevel", "info")
        self.logger = Logger(config)

    def write(self, environ: dict[str, Any], status: str, headers: list, sent: int) -> None:
        if not self.enabled:
            return
        request_headers = [
            (key[5:].replace("_", "-"), value)
            for key, value in environ.items()
            if key.startswith("HTTP_")
        ]
        response = SimpleNamespace(status=status, headers=headers, sent=sent)
        request = SimpleNamespace(headers=request_headers)
        self.logger.access(response, request, environ, timedelta(microseconds=900))


def one_request(app: Any, base: dict[str, Any], body: bytes, expected: int) -> tuple:
    environ = dict(base)
    environ["wsgi.input"] = io.BytesIO(body)
    answer: list[Any] = []

    def start_response(status: str, headers: list, exc_info: Any = None) -> None:
        answer[:] = [status, headers]

    result = app(environ, start_response)
    sent = len(b"".join(result))
    if hasattr(result, "close"):
        result.close()
    if not answer[0].startswith(str(expected)):
        raise RuntimeError(f"{environ['PATH_INFO']}: {answer[0]}")
    return environ, answer[0], answer[1], sent


@contextmanager
def logs_to(path: Path) -> Iterator[None]:
    """The app's JSON log handler writes to sys.stderr as it is when the app is built: a file,
    as in the bench, where gunicorn's output goes to its log file."""
    saved, stream = sys.stderr, path.open("a")
    sys.stderr = stream
    try:
        yield
    finally:
        sys.stderr = saved


def prepare(args: argparse.Namespace, tally: Tally) -> tuple[dict[str, Any], dict[str, Any]]:
    """Apps (limits as asked; a second with the page cache off) on a copy of the seeded data."""
    work = BUILD / "profile"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    source = seeded(args.rows) / "app.db"
    shutil.copy(source, work / "app.db")
    limits: dict[str, Any] = {}
    if args.limits != "off":
        limits = {"RATELIMIT_ENABLED": True, "ADDRESS_RATE_LIMIT": HIGH, "USER_RATE_LIMIT": HIGH}
        if args.limits == "redis":
            limits["RATELIMIT_STORAGE_URI"] = "redis://127.0.0.1:6379/13"
    instrument(tally)
    with logs_to(work / "app.log"):
        apps = {
            "default": build_app(work / "app.db", work, **limits),
            "cache off": build_app(work / "app.db", work, LIST_CACHE_BYTES=0, **limits),
        }
    for app in apps.values():
        instrument_hooks(tally, app)
    client = apps["default"].test_client()
    user = {"username": "profile", "email": "profile@example.com", "password": "profile-pass-1"}
    token = client.post("/api/auth/register", json=user).get_json()["token"]
    item_id = client.get("/api/items?per_page=1").get_json()["items"][0]["id"]
    return apps, {"token": token, "item_id": item_id, "work": work}


def kinds(item_id: int) -> list[Kind]:
    body = b'{"name": "bench item", "description": "created by wrk"}'
    return [
        Kind("GET /api/items", "GET", "/api/items?per_page=20"),
        Kind("GET /api/items (cache off)", "GET", "/api/items?per_page=20", app="cache off"),
        Kind("GET /api/auth/me", "GET", "/api/auth/me", token=True),
        Kind("GET /api/items/<id>", "GET", f"/api/items/{item_id}"),
        Kind("POST /api/items", "POST", "/api/items", body=body, token=True, status=201),
    ]


def run_kind(
    kind: Kind, apps: dict, context: dict, tally: Tally, args: argparse.Namespace
) -> dict[str, Any]:
    app, access = apps[kind.app], context["access"]
    base = environ_for(kind, context["token"])
    clock = tally.clock

    def send() -> tuple:
        return one_request(app, base, kind.body, kind.status)

    for _ in range(args.warmup):
        send()
    # Uninstrumented first: the true cost per request, wrappers switched off.
    started = clock()
    for _ in range(args.requests):
        environ, status, headers, sent = send()
        access.write(environ, status, headers, sent)
    plain = (clock() - started) / args.requests
    tally.reset()
    tally.enabled = True
    total = access_total = 0.0
    for _ in range(args.requests):
        started = clock()
        environ, status, headers, sent = send()
        middle = clock()
        tally.enabled = False  # gunicorn's logger is timed here as a whole
        access.write(environ, status, headers, sent)
        tally.enabled = True
        ended = clock()
        total += ended - started
        access_total += ended - middle
    tally.enabled = False
    seconds = dict(tally.seconds)
    if access.enabled:
        seconds["logging: access line (gunicorn)"] = access_total
    seconds[OTHER] = total - sum(seconds.values())
    per_request = {name: value / args.requests * 1000 for name, value in seconds.items()}
    return {"plain_ms": plain * 1000, "total_ms": total / args.requests * 1000, "ms": per_request}


def table(results: dict[str, dict]) -> list[str]:
    labels = list(results)
    names: dict[str, float] = defaultdict(float)
    for result in results.values():
        for name, ms in result["ms"].items():
            names[name] += ms
    ordered = sorted((n for n in names if n != OTHER), key=lambda n: -names[n]) + [OTHER]
    lines = [
        "| component | " + " | ".join(f"{label}: ms (share)" for label in labels) + " |",
        "|---|" + "---|" * len(labels),
    ]
    for name in ordered:
        cells = []
        for label in labels:
            result = results[label]
            ms = result["ms"].get(name, 0.0)
            cells.append(f"{ms:.3f} ({ms / result['total_ms'] * 100:.0f} %)" if ms else "")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append(
        "| **total, instrumented** | "
        + " | ".join(f"**{results[label]['total_ms']:.3f}**" for label in labels)
        + " |"
    )
    lines.append(
        "| total, uninstrumented | "
        + " | ".join(f"{results[label]['plain_ms']:.3f}" for label in labels)
        + " |"
    )
    return lines


def cprofile(kind: Kind, apps: dict, context: dict, args: argparse.Namespace) -> None:
    app, access = apps[kind.app], context["access"]
    base = environ_for(kind, context["token"])
    for _ in range(args.warmup):
        one_request(app, base, kind.body, kind.status)
    profiler = cProfile.Profile(time.thread_time if args.clock == "cpu" else time.perf_counter)
    profiler.enable()
    for _ in range(args.requests):
        environ, status, headers, sent = one_request(app, base, kind.body, kind.status)
        access.write(environ, status, headers, sent)
    profiler.disable()
    stats = pstats.Stats(profiler).sort_stats(args.sort)
    stats.print_stats(args.top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="items in the database")
    parser.add_argument("--requests", type=int, default=2000, help="per request kind")
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--clock", choices=["cpu", "wall"], default="cpu")
    parser.add_argument("--limits", choices=["off", "file", "redis"], default="off")
    parser.add_argument(
        "--access-log",
        choices=["auto", "on", "off"],
        default="auto",
        help="gunicorn's access line per request (auto: as gunicorn.conf.py says)",
    )
    parser.add_argument("--only", help="request kinds whose label contains this")
    parser.add_argument("--cprofile", metavar="KIND", help="cProfile one kind instead")
    parser.add_argument("--sort", default="tottime", help="cProfile sort key")
    parser.add_argument("--top", type=int, default=35, help="cProfile rows")
    parser.add_argument("--record", action="store_true", help="append to bench/RESULTS.md")
    parser.add_argument("--note", default="")
    args = parser.parse_args()
    # Set before prometheus_client is imported, as gunicorn.conf.py does for the workers.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="profile-metrics-")
    tally = Tally(time.thread_time if args.clock == "cpu" else time.perf_counter)
    apps, context = prepare(args, tally)
    access_log = gunicorn_access_log() if args.access_log == "auto" else args.access_log == "on"
    context["access"] = AccessLog(context["work"] / "access.log", access_log)
    all_kinds = kinds(context["item_id"])
    if args.cprofile:
        chosen = [k for k in all_kinds if args.cprofile in k.label]
        cprofile(chosen[0], apps, context, args)
        return
    chosen = [k for k in all_kinds if not args.only or args.only in k.label]
    results = {}
    for kind in chosen:
        results[kind.label] = run_kind(kind, apps, context, tally, args)
        print(
            f"  {kind.label:<28} {results[kind.label]['plain_ms']:.3f} ms/request "
            f"({args.clock} time, uninstrumented)",
            flush=True,
        )
    lines = table(results)
    print("\n".join(lines))
    shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
    if args.record:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        header = [
            f"\n## {stamp} — where one request's time goes (bench/request_profile.py)\n",
            f"{args.rows:,} items, SQLite, limits {args.limits}, gunicorn access line "
            f"{'on' if access_log else 'off'}, {args.requests} requests per "
            f"kind after {args.warmup} warm-up, {args.clock} time per request in ms, in process "
            f"through the WSGI app (no HTTP server). {args.note}\n",
        ]
        with RESULTS.open("a") as out:
            out.write("\n".join(header + lines) + "\n")
        print(f"Appended to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
