"""CPU of the JSON depth check on the widest bodies a client may send (1 MiB, `MAX_JSON_BYTES`).

Compares `api.http.jsonio.check_depth` (level by level) with the node-by-node walk it replaced,
on the same parsed bodies, and prints ms per check (median of 5) and the parse itself:

    .venv/bin/python bench/json_depth.py
"""

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api.http.jsonio import check_depth  # noqa: E402

LIMIT = 32
BODIES = {
    "[{}, {}, ...] (340,000 empty objects)": b"[" + b",".join([b"{}"] * 340_000) + b"]",
    "[0, 0, ...] (520,000 numbers)": b"[" + b",".join([b"0"] * 520_000) + b"]",
    '{"k0": {"v": [0, {"w": null}]}, ...} (40,000 keys)': orjson.dumps(
        {f"k{i}": {"v": [i, {"w": None}]} for i in range(40_000)}
    ),
}


def node_by_node(value: Any, limit: int) -> None:
    """The walk before (a node and its depth at a time on one stack)."""
    stack: list[tuple[Any, int]] = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        node, depth = stack.pop()
        for child in node.values() if isinstance(node, dict) else node:
            if isinstance(child, dict | list):
                if depth >= limit:
                    raise ValueError("too deep")
                stack.append((child, depth + 1))


def ms(run: Callable[[], Any]) -> float:
    samples = []
    for _ in range(5):
        started = time.process_time()
        run()
        samples.append((time.process_time() - started) * 1000)
    return statistics.median(samples)


def main() -> None:
    print("| body | bytes | parse ms | node by node ms | level by level ms |")
    print("|---|---|---|---|---|")
    for label, body in BODIES.items():
        value = orjson.loads(body)
        parse = ms(lambda body=body: orjson.loads(body))
        before = ms(lambda value=value: node_by_node(value, LIMIT))
        after = ms(lambda value=value: check_depth(value, LIMIT))
        print(f"| {label} | {len(body):,} | {parse:.1f} | {before:.1f} | {after:.1f} |")


if __name__ == "__main__":
    main()
