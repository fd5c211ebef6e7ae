"""Does each optimisation still pay? Each one on and off, in one run, on its own endpoint.

Issue 11 keeps an optimisation only where it saves at least 5 % on the endpoint it serves. This
measures, in process through the WSGI app (as bench/request_profile.py does: limits off, the
bench's seeded database, thread CPU time per request, interleaved rounds so drift hits both):

- compiled marshalling (api/http/marshalling.py) against `flask_restx.marshal`, on the list
  with the page cache off (where every request marshals a page) and on one item;
- the list page cache (api/http/page_cache.py) against `LIST_CACHE_BYTES=0`;
- trigger-kept item counts (models/item_search.py) against `COUNT(*)` for the list's total.

List statements built once (`_ORDERED`) saved 3.1 % on the uncached list (2026-11-30 run) and
were removed: they are now built per request (`ordered` in api/services/items.py).

The bounded bcrypt pool is measured by bench/ratelimits.py (it needs concurrent logins).

    .venv/bin/python bench/optimisations.py [--rounds 7] [--requests 300] [--record]
"""

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

from request_profile import Kind, build_app, environ_for, one_request  # noqa: E402
from run import RESULTS, seeded  # noqa: E402


@contextmanager
def restx_marshal() -> Iterator[None]:
    """Swap the compiled serializers for Flask-RESTX's own `marshal` (the "off" side)."""
    from flask_restx import marshal

    from api.http import marshalling

    original = marshalling.serializer
    marshalling.serializer = lambda model: lambda obj: marshal(obj, model)  # type: ignore[assignment]
    for module in _users_of_serializer():
        module.serializer = marshalling.serializer
    try:
        yield
    finally:
        marshalling.serializer = original
        for module in _users_of_serializer():
            module.serializer = original


def _users_of_serializer() -> list[Any]:
    from api.http import conditional, operations, pagination

    return [conditional, operations, pagination]


@contextmanager
def counted_by_scan() -> Iterator[None]:
    """Totals by `COUNT(*)` over the items (the "off" side of the trigger-kept counts)."""
    from sqlalchemy import Connection, func, select

    from api.services import item_search
    from models import Item

    original = item_search.kept_count

    def scanned(
        connection: Connection, gram: str, *, owner_id: int | None, is_active: bool | None
    ) -> int:
        conditions = item_search.scope_filters(owner_id=owner_id, is_active=is_active)
        if gram:
            conditions.append(item_search.contains(connection, gram))
        query = select(func.count()).select_from(Item).where(*conditions)
        return connection.execute(query).scalar_one()

    item_search.kept_count = scanned
    try:
        yield
    finally:
        item_search.kept_count = original


@contextmanager
def nothing() -> Iterator[None]:
    yield


def cpu_per_request(app: Any, environ: dict[str, Any], requests: int) -> float:
    start = time.thread_time()
    for _ in range(requests):
        one_request(app, environ, b"", 200)
    return (time.thread_time() - start) * 1000 / requests


def compare(
    label: str,
    on: tuple[Any, Callable[[], Any]],
    off: tuple[Any, Callable[[], Any]],
    environ: dict[str, Any],
    args: argparse.Namespace,
) -> str:
    figures: dict[str, list[float]] = {"on": [], "off": []}
    for _ in range(args.rounds):
        for side, (app, context) in (("on", on), ("off", off)):
            with context():
                cpu_per_request(app, environ, 20)  # warm
                figures[side].append(cpu_per_request(app, environ, args.requests))
    with_it, without = statistics.median(figures["on"]), statistics.median(figures["off"])
    saving = (without - with_it) / without * 100
    verdict = "keep" if saving >= 5 else "below 5 %"
    return f"| {label} | {without:.3f} | {with_it:.3f} | {saving:.1f} % | {verdict} |"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--record", action="store_true", help="append to bench/RESULTS.md")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-optimisations-"))
    database = work / "app.db"
    shutil.copy(seeded(args.rows) / "app.db", database)
    cached = build_app(database, work)
    uncached = build_app(database, work, LIST_CACHE_BYTES=0)
    page = environ_for(Kind("list", "GET", "/api/items?per_page=20"), "")
    item = environ_for(Kind("item", "GET", "/api/items/1"), "")
    rows = [
        compare("compiled marshalling: GET /api/items (cache off)",
                (uncached, nothing), (uncached, restx_marshal), page, args),
        compare("compiled marshalling: GET /api/items/<id>",
                (uncached, nothing), (uncached, restx_marshal), item, args),
        compare("list page cache: GET /api/items",
                (cached, nothing), (uncached, nothing), page, args),
        compare("trigger-kept counts: GET /api/items (cache off)",
                (uncached, nothing), (uncached, counted_by_scan), page, args),
    ]  # fmt: skip
    lines = [
        f"## {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — optimisations on and off "
        "(bench/optimisations.py)",
        "",
        f"{args.rows:,} items, SQLite, limits off, in process through the WSGI app; thread CPU "
        f"ms per request, median of {args.rounds} interleaved rounds of {args.requests}.",
        "",
        "| optimisation: endpoint | CPU ms/request without | with | saving | verdict |",
        "|---|---|---|---|---|",
        *rows,
        "",
    ]
    print("\n".join(lines))
    if args.record:
        with RESULTS.open("a") as out:
            out.write("\n" + "\n".join(lines))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
