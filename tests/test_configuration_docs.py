"""The README's configuration table and the settings the app reads are the same set.

Every environment variable `load_config` and `server_settings` (gunicorn's) read is recorded by
running them over a recording environment; the table's names are parsed from README.md.
"""

import os
import re
from collections.abc import Iterator
from typing import Any

import pytest

from api.core.config import ROOT, load_config, server_settings

# Documented because an operator sets them, but read by a library rather than by our code.
READ_BY_LIBRARIES = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}  # boto3's credential chain
# Read while loading `.env`: python-dotenv's own switch, not a setting of this app.
NOT_SETTINGS = {"PYTHON_DOTENV_DISABLED"}


class RecordingEnviron(dict[str, str]):
    def __init__(self, source: dict[str, str]) -> None:
        super().__init__(source)
        self.read: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> str:
        self.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            self.read.add(key)
        return super().__contains__(key)


@pytest.fixture
def settings_read(monkeypatch: pytest.MonkeyPatch) -> Iterator[set[str]]:
    environ = RecordingEnviron(dict(os.environ))
    monkeypatch.setattr(os, "environ", environ)
    load_config()
    server_settings()
    yield environ.read - NOT_SETTINGS


def documented_settings() -> set[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for row in section.splitlines():
        if row.startswith("| `"):
            names.update(re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split(" | ", 1)[0]))
    return names


def test_every_setting_the_app_reads_is_documented(settings_read: set[str]) -> None:
    assert settings_read - documented_settings() == set()


def test_every_documented_setting_is_read(settings_read: set[str]) -> None:
    assert documented_settings() - READ_BY_LIBRARIES - settings_read == set()


def test_the_table_is_parsed() -> None:
    """The parser finds the table (an empty set would make both tests above pass vacuously)."""
    assert {"DATABASE_URL", "SECRET_KEY", "WEBHOOKS_ROTATION_GRACE"} <= documented_settings()
