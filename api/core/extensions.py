"""The extension objects, created unbound; `bind_extensions` in api/__init__.py binds them all."""

import sqlite3
from typing import Any

from flask_cors import CORS
from flask_migrate import Migrate

from models import db

cors = CORS()
migrate = Migrate()

__all__ = ["BUSY_TIMEOUT_MS", "cors", "db", "migrate", "sqlite_pragmas"]

BUSY_TIMEOUT_MS = 30_000  # how long a SQLite write waits for the write lock before failing


def sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL + busy timeout let several gunicorn workers write without 'database is locked'.

    Listened for on this app's engines only (see `bind_extensions`), never on every `Engine`.
    """
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
