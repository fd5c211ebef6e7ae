"""The rooms of `api/` keep their arrows (README "Layout"): checked on the import statements."""

import ast
from pathlib import Path

import pytest

from api.core.config import ROOT

API = ROOT / "api"


def imports_of(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def modules(room: str) -> list[Path]:
    return sorted((API / room).rglob("*.py"))


def imported_from(room: str, *forbidden: str) -> dict[str, list[str]]:
    bad = {}
    for path in modules(room):
        hits = sorted(
            name
            for name in imports_of(path)
            if any(name == prefix or name.startswith(prefix + ".") for prefix in forbidden)
        )
        if hits:
            bad[str(path.relative_to(ROOT))] = hits
    return bad


def test_the_rooms_exist() -> None:
    for room in ("core", "http", "services", "namespaces", "openapi"):
        assert modules(room), room


def test_services_know_nothing_of_http() -> None:
    """Werkzeug's file helpers (`secure_filename`, `FileStorage`) are allowed; Flask is not."""
    assert imported_from("services", "flask", "flask_restx", "api.http") == {}


@pytest.mark.parametrize("room", ["core", "services", "storage"])
def test_lower_rooms_never_import_the_request_layer(room: str) -> None:
    assert imported_from(room, "api.http", "api.namespaces", "api.openapi") == {}


def test_only_the_factory_and_the_webhook_catalogue_import_the_namespaces() -> None:
    """The catalogue (api/webhooks/spec.py) documents events with the namespaces' models."""
    for room in ("core", "http", "services", "storage", "openapi"):
        assert imported_from(room, "api.namespaces") == {}, room


def test_migrations_are_frozen() -> None:
    """A migration runs as it was written: it never imports the live models or the app."""
    for path in sorted((ROOT / "migrations" / "versions").glob("*.py")):
        live = {name for name in imports_of(path) if name.split(".")[0] in ("models", "api")}
        assert live == set(), path.name
