"""A clean database for every test, cheaply on PostgreSQL, and one PostgreSQL database per
pytest-xdist worker.

SQLite (in memory, or a file of the test's own) gets its schema made afresh: ~40 ms. On
PostgreSQL dropping and creating the schema (16 tables, their indexes and triggers) costs
0.5-1 s of DDL and fsyncs per test, and TRUNCATE nearly as much (new files for every table
and index). So on PostgreSQL the schema is made once per database and process; each test then
deletes every row, restarts every sequence and puts back the rows `create_all` seeds (the
trigger-kept item counts): ~20 ms. If a test dropped or added a table or trigger, the schema
is made afresh again.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
import sqlalchemy as sa

from models import db

# Every table and trigger present: what a reset checks before trusting the schema it made.
SCHEMA_OBJECTS = (
    "SELECT 'table ' || tablename FROM pg_tables WHERE schemaname = current_schema() "
    "UNION ALL SELECT 'trigger ' || tgname FROM pg_trigger WHERE NOT tgisinternal"
)
RESTART_SEQUENCES = (
    "SELECT setval(quote_ident(schemaname) || '.' || quote_ident(sequencename), "
    "start_value, false) FROM pg_sequences WHERE schemaname = current_schema()"
)


@dataclass
class Schema:
    objects: frozenset[str]
    seeds: list[tuple[sa.Table, list[dict[str, Any]]]]


_schemas: dict[str, Schema] = {}


def fresh_database(*, rebuild: bool = False) -> None:
    """In an app context: the app's database as `db.create_all()` leaves a new one (`rebuild`:
    made afresh on PostgreSQL too, new tables without statistics, for a test of query plans)."""
    engine = db.engine
    postgresql = engine.dialect.name == "postgresql"
    url = engine.url.render_as_string(hide_password=False)
    if postgresql and not rebuild and (known := _schemas.get(url)):
        with engine.begin() as connection:
            if _schema_objects(connection) == known.objects:
                _empty(connection, known.seeds)
                return
    db.drop_all()
    db.create_all()
    if postgresql:
        with engine.begin() as connection:
            _schemas[url] = Schema(_schema_objects(connection), _seeds(connection))


def _schema_objects(connection: sa.Connection) -> frozenset[str]:
    return frozenset(connection.exec_driver_sql(SCHEMA_OBJECTS).scalars())


def _seeds(connection: sa.Connection) -> list[tuple[sa.Table, list[dict[str, Any]]]]:
    """The rows a new schema starts with (written by `after_create` DDL, e.g. item_counts)."""
    seeds = []
    for table in db.metadata.sorted_tables:
        rows = connection.execute(table.select()).all()
        if rows:
            seeds.append((table, [{c.key: row._mapping[c] for c in table.columns} for row in rows]))
    return seeds


def _empty(connection: sa.Connection, seeds: list[tuple[sa.Table, list[dict[str, Any]]]]) -> None:
    for table in reversed(db.metadata.sorted_tables):  # children before parents
        connection.execute(table.delete())
    connection.exec_driver_sql(RESTART_SEQUENCES)
    for table, rows in seeds:
        connection.execute(table.insert(), rows)


def _admin_connection(url: sa.URL) -> psycopg.Connection[Any]:
    maintenance = url.set(drivername="postgresql", database="postgres")
    return psycopg.connect(maintenance.render_as_string(hide_password=False), autocommit=True)


@contextmanager
def worker_database(url: str, worker: str) -> Iterator[str]:
    """A database of this xdist worker's own beside `url`'s (`<name>_<worker>`), dropped after."""
    base = sa.make_url(url)
    name = f"{base.database}_{worker}"
    with _admin_connection(base) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with _admin_connection(base) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def per_worker_url() -> tuple[str, str] | None:
    """(TEST_DATABASE_URL, worker id) when xdist runs the suite on PostgreSQL, else None."""
    url, worker = os.environ.get("TEST_DATABASE_URL"), os.environ.get("PYTEST_XDIST_WORKER")
    if url and worker and sa.make_url(url).get_backend_name() == "postgresql":
        return url, worker
    return None
