"""Hot read-only lookups run straight on a pooled DB-API connection.

Two reads happen on nearly every request: the token's user with its revocation check, and the
list page cache's items version. Through SQLAlchemy each cost more than the query itself: an ORM
session to begin and close, and Core's per-execute work (the version read: 80 us of CPU through
`engine.connect()`, 14 us here; bench/RESULTS.md). A `DirectRead` is one SELECT compiled once per
dialect. Each call checks a connection out of the engine's own pool for that statement alone and
converts parameters and columns with SQLAlchemy's processors for their types, so its rows hold
what Core would return, and its errors are SQLAlchemy's (a database outage stays a 503).
"""

import dataclasses
import threading
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Engine, Select
from sqlalchemy.exc import DBAPIError

Processor = Callable[[Any], Any] | None


class _Plan:
    """The statement compiled for one dialect, with its parameter order and converters."""

    def __init__(self, statement: Select[*tuple[Any, ...]], engine: Engine) -> None:
        dialect = engine.dialect
        compiled = statement.compile(dialect=dialect)
        if compiled.escaped_bind_names or any(b.expanding for b in compiled.binds.values()):
            raise ValueError("a DirectRead takes plain named parameters only")
        self.sql = compiled.string
        self.order: Sequence[str] | None = compiled.positiontup if compiled.positional else None
        self.constants = {n: b.value for n, b in compiled.binds.items() if not b.required}
        self.converters = {
            name: process
            for name, bind in compiled.binds.items()
            if (process := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None
        }
        self.columns = list(statement.selected_columns)
        # Not a tuple: Flask-RESTX would read a returned tuple as (body, status, headers).
        keys = statement.selected_columns.keys()
        self.row_type = dataclasses.make_dataclass("Row", keys, frozen=True, slots=True)
        self.results: list[Processor] | None = None  # from the first cursor's description
        self.dialect = dialect

    def parameters(self, given: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        values = {**self.constants, **given}
        for name, process in self.converters.items():
            values[name] = process(values[name])
        return [values[name] for name in self.order] if self.order is not None else values

    def row(self, raw: Sequence[Any], description: Sequence[Any]) -> Any:
        if self.results is None:
            self.results = [
                column.type.dialect_impl(self.dialect).result_processor(self.dialect, info[1])
                for column, info in zip(self.columns, description, strict=True)
            ]
        return self.row_type(
            *(value if p is None else p(value) for p, value in zip(self.results, raw, strict=True))
        )


class DirectRead:
    """One SELECT, built once at import; `first(engine, **params)` returns its first row."""

    def __init__(self, statement: Select[*tuple[Any, ...]]) -> None:
        self._statement = statement
        self._plans: weakref.WeakKeyDictionary[Engine, _Plan] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def _plan(self, engine: Engine) -> _Plan:
        plan = self._plans.get(engine)
        if plan is None:
            with self._lock:
                plan = self._plans.setdefault(engine, _Plan(self._statement, engine))
        return plan

    def first(self, engine: Engine, **params: Any) -> Any | None:
        plan = self._plan(engine)
        arguments = plan.parameters(params)
        dbapi_error = engine.dialect.loaded_dbapi.Error
        connection = None
        try:
            connection = engine.raw_connection()
            cursor = connection.cursor()
            try:
                cursor.execute(plan.sql, arguments)
                raw, description = cursor.fetchone(), cursor.description
            finally:
                cursor.close()
        except dbapi_error as error:
            driver = connection.dbapi_connection if connection is not None else None
            lost = engine.dialect.is_disconnect(error, driver, None)
            if connection is not None and lost:
                connection.invalidate(error)
            raise DBAPIError.instance(
                plan.sql, arguments, error, dbapi_error, hide_parameters=True,
                connection_invalidated=lost, dialect=engine.dialect,
            ) from error  # fmt: skip
        finally:
            if connection is not None:
                connection.close()
        return None if raw is None else plan.row(raw, description)
