#!/usr/bin/env bash
# Run the fast test suite (everything not marked slow) against a fresh PostgreSQL database.
#
#   scripts/test-postgres.sh [pytest args...]
#
# PG_HOST / PG_PORT / PG_USER select the server (default postgres@127.0.0.1:5432, trust auth);
# TEST_PYTHON the interpreter (default .venv/bin/python); TEST_WORKERS the pytest-xdist workers
# (default 2, one per core; each works in a database of its own, `<db>_gw<n>`, made and
# dropped by tests/conftest.py).
# If the server is down it is started (root only) with the machine's documented command.
# Unreachable PostgreSQL: a message and exit 0 locally, exit 1 when CI is set.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_HOST=${PG_HOST:-127.0.0.1}
PG_PORT=${PG_PORT:-5432}
PG_USER=${PG_USER:-postgres}
PYTHON=${TEST_PYTHON:-.venv/bin/python}
DB="api_test_$$_$(date +%s)"

unreachable() {
    echo "test-postgres: PostgreSQL is not reachable on ${PG_HOST}:${PG_PORT}: $*" >&2
    if [ -n "${CI:-}" ]; then
        echo "test-postgres: FAILED (CI must run the suite against PostgreSQL)" >&2
        exit 1
    fi
    echo "test-postgres: SKIPPED the PostgreSQL run (start PostgreSQL to include it)" >&2
    exit 0
}

is_ready() {
    if command -v pg_isready >/dev/null 2>&1; then
        pg_isready -q -h "$PG_HOST" -p "$PG_PORT" -t 3
    else
        "$PYTHON" - "$PG_HOST" "$PG_PORT" <<'PY'
import socket, sys
socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3).close()
PY
    fi
}

psql_admin() {
    psql -X -q -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres "$@"
}

if ! is_ready; then
    if [ "$(id -u)" = 0 ] && command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
        echo "test-postgres: starting PostgreSQL" >&2
        pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | tail -n 1)" main start \
            || true
        for _ in $(seq 1 30); do is_ready && break; sleep 0.5; done
    fi
    is_ready || unreachable "pg_isready failed"
fi
command -v psql >/dev/null 2>&1 || unreachable "psql (the PostgreSQL client) is not installed"

psql_admin -c "CREATE DATABASE \"$DB\"" || unreachable "cannot create database $DB as $PG_USER"
cleanup() {
    # The workers drop their own databases; one is left here only if its worker died.
    local name workers
    workers=$(psql_admin -At -c "SELECT datname FROM pg_database WHERE datname ~ '^${DB}_gw[0-9]+$'")
    for name in "$DB" $workers; do
        psql_admin -c "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)" \
            || echo "test-postgres: could not drop database $name" >&2
    done
}
trap cleanup EXIT

echo "test-postgres: running the suite against postgresql://${PG_USER}@${PG_HOST}:${PG_PORT}/${DB}"
export TEST_DATABASE_URL="postgresql+psycopg://${PG_USER}@${PG_HOST}:${PG_PORT}/${DB}"
"$PYTHON" -m pytest -m "not slow" -q -p no:cacheprovider -n "${TEST_WORKERS:-2}" --dist loadfile "$@"
