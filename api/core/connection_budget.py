"""The PostgreSQL connection budget of one instance, checked once at start.

Every gunicorn worker has its own SQLAlchemy pool, and a worker never holds more connections
than it has request threads, so one instance may open up to
`workers x min(threads, DB_POOL_SIZE + DB_MAX_OVERFLOW)` connections. PostgreSQL refuses
connections beyond `max_connections` minus the slots reserved for superusers; past that point
requests fail. The README ("Connection budget") has the arithmetic for 1, 4 and 16 instances.
Behind a transaction-mode pooler (`DATABASE_POOLER=pgbouncer`) the pooler bounds the server's
connections instead, so the check does not apply.
"""

from dataclasses import dataclass

from sqlalchemy import Connection, text


@dataclass(frozen=True)
class Budget:
    instance_share: int
    server_allows: int

    @property
    def exceeded(self) -> bool:
        return self.instance_share > self.server_allows

    def warning(self) -> str:
        return (
            f"Connection budget exceeded: this instance may open {self.instance_share} "
            f"PostgreSQL connections (workers x min(threads, DB_POOL_SIZE + DB_MAX_OVERFLOW)) "
            f"but the server allows {self.server_allows} (max_connections minus "
            "superuser_reserved_connections), before counting any other instance. Lower "
            "WEB_CONCURRENCY, DB_POOL_SIZE or DB_MAX_OVERFLOW, raise max_connections, or put "
            "PgBouncer in front (DATABASE_POOLER=pgbouncer)."
        )


def instance_share(*, workers: int, threads: int, pool_size: int, max_overflow: int) -> int:
    return workers * min(threads, pool_size + max_overflow)


def server_allows(connection: Connection) -> int:
    """Connections ordinary roles may open on this server."""
    maximum = int(connection.execute(text("SHOW max_connections")).scalar_one())
    reserved = int(connection.execute(text("SHOW superuser_reserved_connections")).scalar_one())
    return maximum - reserved


def measure(
    connection: Connection, *, workers: int, threads: int, pool_size: int, max_overflow: int
) -> Budget:
    share = instance_share(
        workers=workers, threads=threads, pool_size=pool_size, max_overflow=max_overflow
    )
    return Budget(instance_share=share, server_allows=server_allows(connection))
