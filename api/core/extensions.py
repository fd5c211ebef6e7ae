"""The extension objects, created unbound; `bind_extensions` in api/__init__.py binds them all."""

import sqlite3
from typing import Any

from flask_cors import CORS
from flask_migrate import Migrate

from models import db

cors = CORS()
migrate = Migrate()

__all__ = ["cors", "db", "migrate", "sqlite_pragmas"]


def sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL + busy timeout let several gunicorn workers write without 'database is locked'.

    Listened for on this app's engines only (see `bind_extensions`), never on every `Engine`.
    """
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
