"""Declarative base, the shared `db` handle and column helpers used by every model."""

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, cast

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import CursorResult, DateTime, MetaData, Table, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.dml import UpdateBase

# Ids are SQL INTEGER columns (32-bit on PostgreSQL, which also casts LIMIT/OFFSET to INTEGER):
# a larger id, or a page whose offset is larger, would make the database driver fail (a 500)
# instead of being an ordinary 400 (query) or 404 (path). The HTTP layer bounds its input by it.
MAX_ID = 2**31 - 1

# Deterministic constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    if TYPE_CHECKING:  # every model maps a table (DeclarativeBase allows any FromClause)
        __table__: ClassVar[Table]


# Sessions live for one request and commit at its end; expiring objects on commit would only
# re-read rows we just wrote (e.g. the created item for its response, the user for the log).
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})

# Every model subclasses `Model`, which is `db.Model`. Type checkers cannot take a base class
# from an attribute (python/mypy#8603), so to them it is `Base`, the class `db.Model` extends.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model


def execute_dml(statement: UpdateBase) -> CursorResult[*tuple[Any, ...]]:
    """`db.session.execute` for an UPDATE or DELETE, typed as the `CursorResult` (with its
    `rowcount`) it returns; SQLAlchemy's types promise that only for `Connection.execute`."""
    return cast(CursorResult[*tuple[Any, ...]], db.session.execute(statement))


def utcnow() -> datetime:
    return datetime.now(UTC)


def isoformat(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite hands back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
