"""The committed openapi.json, read once for every test module that walks it.

`SPEC` has the shared parameters, headers and responses (`components/parameters`, `headers`,
`responses`) inlined where they are referenced, so a test reads an operation's parameters and
responses directly; schema `$ref`s are left as they are (`schema_of` follows one).
"""

import json
from pathlib import Path
from typing import Any

SPEC_PATH = Path(__file__).resolve().parent.parent / "openapi.json"
RAW_SPEC: dict[str, Any] = json.loads(SPEC_PATH.read_text())
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
