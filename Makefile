# `make run` and `make test` work on a fresh machine with Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= $(or $(FLASK_RUN_PORT),5000)
NODE_BIN := node_modules/.bin

.PHONY: bench bench-million bench-profile run dev test test-postgres fuzz lint format spec spec-check clean install install-dev npm-tools browser pooler bench-cluster bench-capacity docker-smoke java sdk

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## Serve with gunicorn on 0.0.0.0:$(PORT); migrations and the default admin run at start.
## The webhook delivery worker runs beside it (it waits for the schema) and stops with it.
run: install
	$(BIN)/python -m api.webhooks.worker --exit-with-parent & \
	FLASK_RUN_PORT=$(PORT) $(BIN)/gunicorn --config gunicorn.conf.py app:app; \
	status=$$?; kill $$! 2>/dev/null; exit $$status

## Flask's debug server with reload (development only).
dev: install
	$(BIN)/flask --app app init-db
	$(BIN)/flask --app app run --debug --host 0.0.0.0 --port $(PORT)

## Lint, then the whole test suite on SQLite, then the fast suite again on PostgreSQL, each
## pass on both cores (pytest-xdist, whole files per worker). Fast tests: an in-memory SQLite
## each. Slow ones (real servers, browser, fuzzing): own free ports, own private services and
## throwaway databases; the longest files are handed out first (tests/conftest.py). PostgreSQL:
## a database per worker (scripts/test-postgres.sh).
test: install-dev lint browser pooler
	$(BIN)/python -m pytest -m "not slow" -n 2 --dist loadfile
	$(BIN)/python -m pytest -m slow -n 2 --dist loadfile --no-loadscope-reorder
	$(MAKE) test-postgres

## The fast suite against a fresh PostgreSQL database on 127.0.0.1:5432 (skipped if unreachable,
## except in CI, where that fails).
test-postgres: install-dev
	scripts/test-postgres.sh

## A longer Schemathesis run against gunicorn (500 examples per operation, user and admin).
fuzz: install-dev
	FUZZ_EXAMPLES=500 $(BIN)/python -m pytest tests/test_fuzz.py -s

## Debian's Chromium for the Swagger UI test (Playwright never downloads its own browser).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Debian chromium for the browser test"; \
		(apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
		|| echo "WARNING: could not install chromium (needs root); the browser test will fail"; }

## Debian's PgBouncer, started by the suite in front of PostgreSQL (transaction pooling tests).
pooler:
	@command -v pgbouncer >/dev/null 2>&1 || test -x /usr/sbin/pgbouncer || { \
		echo "Installing Debian pgbouncer for the pooler tests"; \
		(apt-get update -qq && apt-get install -y -qq pgbouncer >/dev/null) \
		|| echo "WARNING: could not install pgbouncer (needs root); the pooler tests will fail"; }

## Ruff, mypy (strict; see [tool.mypy] in pyproject.toml), hadolint, and the spec gates:
## Spectral (OpenAPI + OWASP rulesets), Redocly and openapi-generator, each with 0 errors and
## 0 warnings.
lint: install-dev npm-tools java
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/hadolint Dockerfile
	$(NODE_BIN)/spectral lint --ruleset .spectral.yaml --fail-severity warn openapi.json
	$(NODE_BIN)/redocly lint --config redocly.yaml openapi.json
	scripts/check-generators.sh

## Java for openapi-generator (Debian's headless JRE).
java:
	@command -v java >/dev/null 2>&1 || { \
		echo "Installing Debian default-jre-headless for openapi-generator"; \
		(apt-get update -qq && apt-get install -y -qq default-jre-headless >/dev/null) \
		|| echo "WARNING: could not install Java (needs root); the generator check will fail"; }

## Regenerate the shipped SDKs (clients/python, clients/typescript) from openapi.json; commit.
sdk: install-dev npm-tools
	scripts/generate-sdks.sh

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Regenerate openapi.json from the code (commit the result).
spec: install
	$(BIN)/flask --app app export-openapi --output openapi.json

## Benchmark the app as `make run` serves it (wrk from Debian); results go to bench/RESULTS.md.
## Beside it, a FastAPI + SQLModel peer (bench/peer_fastapi.py; its packages are dev requirements).
## bench/ratelimits.py then measures the rate limiter's cost and logins under a registration flood;
## bench/optimisations.py measures each kept optimisation on and off on its endpoint.
## The 1,000,000-row variant: make bench BENCH_ARGS="--rows 1000000 --scale"
BENCH_ARGS ?= --scale
bench: install-dev
	@command -v wrk >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python bench/run.py $(BENCH_ARGS)
	$(BIN)/python bench/ratelimits.py
	$(BIN)/python bench/optimisations.py --record
	$(BIN)/python bench/webhooks.py

## Where one request's CPU time goes, component by component, in process (limits off unless
## PROFILE_ARGS="--limits file" or "--limits redis"; "--record" appends the table to bench/RESULTS.md).
bench-profile: install
	$(BIN)/python bench/request_profile.py $(PROFILE_ARGS)

## Every item list query at 1,000,000 rows, page cache off, on SQLite and PostgreSQL, against the
## plain page 1 (issue 16). The databases are built once under build/bench/ (bulk SQL, then the
## migrations: about 7 minutes on 2 cores), then reused. Not part of `make bench`: too long.
## Other sizes: make bench-million BENCH_MILLION_ARGS="--rows 100000"
BENCH_MILLION_ARGS ?=
bench-million: install
	$(BIN)/python bench/million.py $(BENCH_MILLION_ARGS)

## Three instances behind HAProxy, PgBouncer and Redis, mixed load through the balancer (not CI).
bench-cluster: install-dev
	@for tool in wrk haproxy pgbouncer; do \
		command -v $$tool >/dev/null 2>&1 || test -x /usr/sbin/$$tool \
		|| (apt-get update -qq && apt-get install -y -qq $$tool); done
	$(BIN)/python bench/cluster.py $(BENCH_CLUSTER_ARGS)

## CPU ms per request per endpoint and PostgreSQL insert rate: the capacity model's inputs.
bench-capacity: install-dev
	@command -v wrk >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python bench/capacity.py

## Build the image from the Dockerfile and run it for real on 127.0.0.1 (root; a private dockerd
## and a Debian stand-in base image when no daemon/registry is there; about 2-3 minutes).
docker-smoke:
	scripts/docker-smoke.sh

npm-tools: node_modules/.installed
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

clean:
	rm -rf $(VENV) node_modules build .pytest_cache .ruff_cache .mypy_cache
