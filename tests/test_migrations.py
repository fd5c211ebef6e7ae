"""The Alembic migrations build exactly the schema the models declare, on SQLite and PostgreSQL.

An empty database upgraded to head must leave autogenerate nothing to do; otherwise someone
changed a model without writing its migration (or the other way round). Downgrading to base
must work too, and so must upgrading again.
"""

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import downgrade, upgrade

from models import db
from models.item_search import schema_object
from tests.helpers import MIGRATIONS, bare_app, preserved_logging
from tests.services import throwaway_database

pytestmark = [
    # SQLite cannot reflect the expression index `lower(username)`, so autogenerate (and batch
    # mode, which reflects the table it copies) skip it with these warnings.
    pytest.mark.filterwarnings("ignore:.*expression-based index.*"),
    # Flask-Migrate's stock env.py tries the Flask-SQLAlchemy 2 API first.
    pytest.mark.filterwarnings("ignore:'get_engine' is deprecated:DeprecationWarning"),
]


def schema_diff(app: Flask) -> list[Any]:
    with app.app_context(), db.engine.connect() as connection:
        opts = {"compare_type": True, "include_name": schema_object}
        context = MigrationContext.configure(connection, opts=opts)
        return compare_metadata(context, db.metadata)


def current_revision(app: Flask) -> str | None:
    with app.app_context(), db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def table_names(app: Flask) -> set[str]:
    with app.app_context():
        return set(sa.inspect(db.engine).get_table_names())


def model_table_names(app: Flask) -> set[str]:
    """The tables, less SQLite's FTS5 search tables (the migration's SQL makes those)."""
    return {name for name in table_names(app) if schema_object(name, "table", None)}


def check_round_trip(app: Flask) -> None:
    head = ScriptDirectory(MIGRATIONS).get_current_head()
    model_tables = set(db.metadata.tables)
    with preserved_logging():
        with app.app_context():
            upgrade(directory=MIGRATIONS)
        assert current_revision(app) == head
        diff = schema_diff(app)
        assert diff == [], f"models and migrations disagree; write a migration for: {diff}"
        assert model_table_names(app) == model_tables | {"alembic_version"}

        with app.app_context():  # a second upgrade (another instance starting) is a no-op
            upgrade(directory=MIGRATIONS)
        assert current_revision(app) == head

        with app.app_context():
            downgrade(directory=MIGRATIONS, revision="base")
        assert current_revision(app) is None
        assert table_names(app) <= {"alembic_version"}

        with app.app_context():
            upgrade(directory=MIGRATIONS)
        assert current_revision(app) == head
        assert schema_diff(app) == []
    with app.app_context():
        db.engine.dispose()


def test_sqlite_migrations_match_models(tmp_path: Path) -> None:
    app = bare_app(tmp_path, f"sqlite:///{tmp_path / 'migrations.db'}")
    check_round_trip(app)


def test_single_head() -> None:
    assert len(ScriptDirectory(MIGRATIONS).get_heads()) == 1, "merge the migration branches"


def test_postgresql_migrations_match_models(tmp_path: Path, postgres_url: str) -> None:
    check_round_trip(bare_app(tmp_path, postgres_url))


# --- what autogenerate cannot see: triggers, functions, FTS5 and expression indexes -------------

SCHEMA_OBJECTS = {
    "sqlite": "SELECT name, sql FROM sqlite_master WHERE type IN ('trigger', 'index') "
    "OR name LIKE 'items_search%'",
    "postgresql": "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger "
    "WHERE NOT tgisinternal "
    "UNION ALL SELECT proname, pg_get_functiondef(oid) FROM pg_proc "
    "WHERE pronamespace = 'public'::regnamespace AND prokind = 'f' "
    "UNION ALL SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'",
}


def schema_objects(app: Flask) -> dict[str, str | None]:
    with app.app_context(), db.engine.connect() as connection:
        rows = connection.exec_driver_sql(SCHEMA_OBJECTS[connection.dialect.name]).all()
    return {name: sql for name, sql in rows if "alembic_version" not in name}


def check_same_objects(tmp_path: Path, migrated_url: str, created_url: str) -> None:
    """The frozen SQL of the migrations and the models' `create_all` DDL make the same
    triggers, functions and indexes: a model change without its migration fails here."""
    migrated, created = bare_app(tmp_path, migrated_url), bare_app(tmp_path, created_url)
    with preserved_logging(), migrated.app_context():
        upgrade(directory=MIGRATIONS)
    with created.app_context():
        db.create_all()
    objects = schema_objects(migrated)
    assert "items_search_insert" in objects and "items_count_update" in objects
    assert objects == schema_objects(created)
    for app in (migrated, created):
        with app.app_context():
            db.engine.dispose()


def test_sqlite_migrations_and_create_all_make_the_same_triggers(tmp_path: Path) -> None:
    check_same_objects(
        tmp_path, f"sqlite:///{tmp_path / 'migrated.db'}", f"sqlite:///{tmp_path / 'created.db'}"
    )


def test_postgresql_migrations_and_create_all_make_the_same_triggers(
    tmp_path: Path, postgres_url: str
) -> None:
    with throwaway_database("migr_created") as created_url:
        check_same_objects(tmp_path, postgres_url, created_url)
