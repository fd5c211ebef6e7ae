"""The connection budget: an instance warns at start when its pools alone could exhaust
PostgreSQL's `max_connections`, and says what to change. Behind PgBouncer the pooler bounds the
server's connections, so no warning."""

from pathlib import Path

import pytest

from api import create_app
from tests.live import running_server
from tests.pooler import pgbouncer, through

pytestmark = pytest.mark.slow

WARNING = "Connection budget exceeded"
# 2 workers x min(64 threads, 64 + 0) = 128 > 100 - 3 on a default PostgreSQL.
OVER_BUDGET = {"DB_POOL_SIZE": "64", "DB_MAX_OVERFLOW": "0"}


def test_over_budget_instance_warns_at_start(tmp_path: Path, module_postgres_url: str) -> None:
    env = {"DATABASE_URL": module_postgres_url, **OVER_BUDGET}
    with running_server(tmp_path, workers=2, threads=64, **env) as server:
        log = server.log()
    assert WARNING in log
    assert "this instance may open 128 PostgreSQL connections" in log
    assert "DATABASE_POOLER=pgbouncer" in log


def test_instance_within_budget_does_not_warn(tmp_path: Path, module_postgres_url: str) -> None:
    with running_server(tmp_path, workers=2, threads=4, DATABASE_URL=module_postgres_url) as server:
        log = server.log()
    assert WARNING not in log


def test_behind_pgbouncer_the_pooler_bounds_connections(
    tmp_path: Path, module_postgres_url: str
) -> None:
    with pgbouncer() as port:
        env = {
            "DATABASE_URL": through(module_postgres_url, port),
            "DATABASE_POOLER": "pgbouncer",
            **OVER_BUDGET,
        }
        with running_server(tmp_path, workers=2, threads=64, **env) as server:
            log = server.log()
    assert WARNING not in log


def test_unknown_pooler_is_refused(tmp_path: Path, module_postgres_url: str) -> None:
    config = {"SQLALCHEMY_DATABASE_URI": module_postgres_url, "DATABASE_POOLER": "pgpool-ii"}
    with pytest.raises(RuntimeError, match="DATABASE_POOLER"):
        create_app({"DATA_DIR": str(tmp_path), "SECRET_KEY": "x" * 40, **config})
