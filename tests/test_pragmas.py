"""Engine settings: SQLite pragmas on every connection, a pre-pinged pool for PostgreSQL."""

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import QueuePool

from api import create_app
from api.core.config import engine_options, load_config
from models import Item, db
from tests.helpers import bare_app

SECRET = "pragma-test-secret-key-0123456789abcdef"


def pragmas(connection: sa.Connection) -> dict[str, Any]:
    names = ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
    return {name: connection.exec_driver_sql(f"PRAGMA {name}").scalar() for name in names}


EXPECTED = {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 30000, "synchronous": 1}


def test_sqlite_pragmas_on_every_connection(tmp_path: Path) -> None:
    app = bare_app(tmp_path, f"sqlite:///{tmp_path / 'pragmas.db'}")
    with app.app_context():
        try:
            # Two connections open at once (two pool entries), then a fresh one after dispose.
            with db.engine.connect() as first, db.engine.connect() as second:
                assert pragmas(first) == EXPECTED
                assert pragmas(second) == EXPECTED
            db.engine.dispose()
            with db.engine.connect() as third:
                assert pragmas(third) == EXPECTED
            assert db.session.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
        finally:
            db.session.remove()
            db.engine.dispose()


def test_sqlite_enforces_foreign_keys(tmp_path: Path) -> None:
    app = bare_app(tmp_path, f"sqlite:///{tmp_path / 'fk.db'}")
    with app.app_context():
        try:
            db.create_all()
            db.session.add(Item(name="orphan", user_id=12345))
            with pytest.raises(sa.exc.IntegrityError):
                db.session.commit()
            db.session.rollback()
        finally:
            db.session.remove()
            db.engine.dispose()


def test_sqlite_engine_options() -> None:
    options = engine_options({"SQLALCHEMY_DATABASE_URI": "sqlite:///x.db"})
    assert options == {"connect_args": {"timeout": 30}}


def test_postgres_engine_options() -> None:
    options = engine_options(
        {
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u@db/app",
            "DB_POOL_SIZE": 7,
            "DB_MAX_OVERFLOW": 3,
        }
    )
    assert options["pool_size"] == 7
    assert options["max_overflow"] == 3
    assert options["pool_pre_ping"] is True
    assert 0 < options["pool_recycle"] <= 3600


def test_postgres_pool_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine the app builds for a postgres:// URL (no connection is made)."""
    monkeypatch.setenv("DATABASE_URL", "postgres://someone@db.invalid:5432/app")
    monkeypatch.setenv("DB_POOL_SIZE", "6")
    monkeypatch.setenv("DB_MAX_OVERFLOW", "4")
    config = load_config()
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://someone@db.invalid:5432/app"
    app = create_app(
        {
            **config,
            "SECRET_KEY": SECRET,
            "DATA_DIR": str(tmp_path),
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    with app.app_context():
        engine = db.engine
        assert engine.dialect.name == "postgresql"
        assert engine.dialect.driver == "psycopg"
        pool = engine.pool
        assert isinstance(pool, QueuePool)
        assert pool.size() == 6
        assert pool._max_overflow == 4
        assert pool._pre_ping is True
        assert pool._recycle == 1800
        engine.dispose()
