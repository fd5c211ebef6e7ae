"""`make bench` (webhooks): a burst of item creates, every event delivered, throughput printed.

Starts gunicorn (as `make run` does) and the delivery worker(s) on a fresh SQLite database (or
`--database-url`), a real receiver on loopback, subscribes it to `item.created`, creates
`--items` items from 8 client threads and waits until the receiver has every event. Prints the
create rate, the delivery throughput and the lag from event to receipt. Nothing is asserted on
time: the machine is shared (tests/test_webhooks_live.py asserts that all arrive, once).
"""

import argparse
import json
import statistics
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.live import start_server, stop_server  # noqa: E402
from tests.webhook_receiver import running_receiver  # noqa: E402
from tests.webhook_worker import start_worker, stop_worker  # noqa: E402

ENV = {"WEBHOOKS_ALLOW_PRIVATE": "true", "RATELIMIT_ENABLED": "false", "LOG_LEVEL": "warning"}


def _call(url: str, body: dict[str, Any], token: str | None = None) -> dict[str, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, json.dumps(body).encode(), headers, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def burst(
    data_dir: Path, *, items: int = 1000, workers: int = 1, database_url: str | None = None
) -> dict[str, Any]:
    """Create `items` items and wait for every `item.created` delivery; return the figures."""
    env = {**ENV, **({"DATABASE_URL": database_url} if database_url else {})}
    server = start_server(data_dir, **env)
    processes = [start_worker(data_dir, f"worker{n}", **env) for n in range(workers)]
    try:
        with running_receiver() as receiver:
            api = server.url + "/api"
            account = {
                "username": "burst",
                "email": "burst@example.com",
                "password": "burst-pw-Xq93-kfa8-ZZ1",
            }
            token = _call(api + "/auth/register", account)["token"]
            hook = _call(
                api + "/webhooks", {"url": receiver.url, "events": ["item.created"]}, token
            )
            started = time.monotonic()
            with ThreadPoolExecutor(8) as pool:
                list(
                    pool.map(
                        lambda n: _call(api + "/items", {"name": f"b{n}"}, token), range(items)
                    )
                )
            created = time.monotonic() - started
            receiver.wait_for(lambda r: len(r.requests) >= items, timeout=max(120, items / 5))
            delivered = time.monotonic() - started
            time.sleep(1)  # anything sent twice would arrive now
            ids = [r.headers["webhook-id"] for r in receiver.requests]
            lags = [
                (r.received_at - datetime.fromisoformat(r.json["timestamp"]).timestamp()) * 1000
                for r in receiver.requests
            ]
            for request in receiver.requests[:50]:
                request.verify(hook["secret"])
    finally:
        for process in processes:
            stop_worker(process)
        stop_server(server)
    return {
        "items": items,
        "workers": workers,
        "received": len(ids),
        "unique": len(set(ids)),
        "create_per_s": items / created,
        "delivered_per_s": items / delivered,
        "seconds_to_last_delivery": delivered,
        "lag_ms_p50": statistics.median(lags),
        "lag_ms_p99": statistics.quantiles(lags, n=100)[98] if len(lags) > 1 else lags[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=1, help="delivery worker processes")
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-webhooks-") as tmp:
        result = burst(
            Path(tmp), items=args.items, workers=args.workers, database_url=args.database_url
        )
    print(
        f"webhooks: {result['items']} item creates at {result['create_per_s']:.0f}/s; "
        f"{result['unique']} of {result['items']} events delivered "
        f"({result['received'] - result['unique']} duplicates) by {result['workers']} worker(s) "
        f"in {result['seconds_to_last_delivery']:.1f} s = {result['delivered_per_s']:.0f}/s "
        f"end to end; lag p50 {result['lag_ms_p50']:.0f} ms, p99 {result['lag_ms_p99']:.0f} ms"
    )


if __name__ == "__main__":
    main()
