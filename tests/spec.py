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


def _inline(node: Any) -> Any:
    if isinstance(node, list):
        return [_inline(item) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith(_INLINED):
        kind, name = ref.split("/")[2:4]
        return _inline(RAW_SPEC["components"][kind][name])
    return {key: _inline(value) for key, value in node.items()}


SPEC: dict[str, Any] = {**RAW_SPEC, "paths": _inline(RAW_SPEC["paths"])}


def schema_of(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema itself, following one `$ref` to a component."""
    if "$ref" in schema:
        return RAW_SPEC["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema
