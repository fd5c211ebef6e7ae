"""The committed openapi.json, read once for every test module that walks it (and for the
contract check of every response, tests/contract.py).

`SPEC` has the shared parameters, headers and responses (`components/parameters`, `headers`,
`responses`) inlined where they are referenced, so a test reads an operation's parameters and
responses directly; schema `$ref`s are left as they are (`schema_of` follows one).
"""

import json
from pathlib import Path
from typing import Any

SPEC_PATH = Path(__file__).resolve().parent.parent / "openapi.json"
RAW_SPEC: dict[str, Any] = json.loads(SPEC_PATH.read_text())
METHODS = ("get", "put", "post", "patch", "delete")
_INLINED = ("#/components/parameters/", "#/components/headers/", "#/components/responses/")


def _inline(node: Any, components: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_inline(item, components) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith(_INLINED):
        kind, name = ref.split("/")[2:4]
        return _inline(components[kind][name], components)
    return {key: _inline(value, components) for key, value in node.items()}


def inline_shared(document: dict[str, Any]) -> dict[str, Any]:
    """`document` (e.g. as served) with its shared parameters, headers and responses inlined."""
    return {**document, "paths": _inline(document["paths"], document.get("components", {}))}


SPEC: dict[str, Any] = inline_shared(RAW_SPEC)


def schema_of(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema itself, following one `$ref` to a component."""
    if "$ref" in schema:
        return RAW_SPEC["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def operations(document: dict[str, Any] = SPEC) -> list[tuple[str, str, dict[str, Any]]]:
    """(path, method, operation) of every operation in `document` (the committed spec unless
    another, e.g. the served one, is given), in the document's order."""
    return [
        (path, method, op)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def operation(path: str, method: str) -> dict[str, Any]:
    """The operation at `method` `path` of the committed spec."""
    return SPEC["paths"][path][method]


def header_params(op: dict[str, Any]) -> set[str]:
    """The names of the headers an operation declares as parameters."""
    return {p["name"] for p in op.get("parameters", []) if p.get("in") == "header"}


def operation_by_id(operation_id: str) -> dict[str, Any]:
    return next(op for _, _, op in operations() if op["operationId"] == operation_id)
