"""Migration 0006 turns the logins that exist at upgrade time into token families: a login that was
logged out or caught reusing a token before the upgrade stays dead after it, the others live."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from models import db
from tests.helpers import MIGRATIONS, bare_app, preserved_logging

pytestmark = [
    pytest.mark.filterwarnings("ignore:.*expression-based index.*"),
    pytest.mark.filterwarnings("ignore:'get_engine' is deprecated:DeprecationWarning"),
]

LATER = datetime.now(UTC) + timedelta(days=7)


def refresh_row(jti: str, family: str, *, revoked: bool = False) -> dict[str, object]:
    return {
        "jti": jti,
        "family_id": family,
        "user_id": 1,
        "expires_at": LATER,
        "created_at": datetime.now(UTC),
        "revoked": revoked,
        "version": 0,
    }


def upgrade_with_old_logins(app: Flask) -> dict[str, datetime | None]:
    """Upgrade to 0005, store the logins as the old code did, upgrade to head: the families."""
    with preserved_logging(), app.app_context():
        upgrade(directory=MIGRATIONS, revision="0005")
        tables = sa.MetaData()
        tables.reflect(db.engine, only=["users", "refresh_tokens", "revoked_tokens"])
        with db.engine.begin() as connection:
            connection.execute(
                tables.tables["users"].insert(),
                {
                    "id": 1,
                    "username": "old",
                    "email": "old@example.com",
                    "password_hash": "x",
                    "created_at": datetime.now(UTC),
                },
            )
            connection.execute(
                tables.tables["refresh_tokens"].insert(),
                [
                    refresh_row("a1", "live"),
                    refresh_row("a2", "live"),
                    refresh_row("b1", "logged-out", revoked=True),
                    refresh_row("b2", "logged-out"),  # the rotation that escaped the logout
                    refresh_row("c1", "listed"),
                ],
            )
            connection.execute(
                tables.tables["revoked_tokens"].insert(),
                {"jti": "listed", "expires_at": LATER, "revoked_at": datetime.now(UTC)},
            )
        upgrade(directory=MIGRATIONS)
        with db.engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT id, revoked_at FROM token_families"))
            families = {row.id: row.revoked_at for row in rows}
        db.engine.dispose()
    return families


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_existing_logins_become_families_and_revocations_stick(
    tmp_path: Path, request: pytest.FixtureRequest, backend: str
) -> None:
    url = (
        f"sqlite:///{tmp_path / 'old.db'}"
        if backend == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    families = upgrade_with_old_logins(bare_app(tmp_path, url))
    assert set(families) == {"live", "logged-out", "listed"}
    assert families["live"] is None
    assert families["logged-out"] is not None
    assert families["listed"] is not None
