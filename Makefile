# Two commands matter: `make run` (a working demo with the sandbox) and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/msp_console
TEST_REDIS_URL ?= redis://127.0.0.1:6379/9
PORT ?= 8000

.PHONY: help install run serve worker beat migrate test test-fast lint fmt check bench bench-outbound bench-latency bench-attachments bench-console bench-recovery clean

help:  ## show the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e ".[dev]"
	@test -f .env || cp .env.example .env
	touch $@

install: $(VENV)/.installed  ## create the virtualenv and install everything
	@# The .mo catalogues are built, not committed, with Babel (no system gettext needed).
	$(PY) scripts/compile_messages.py

run: install  ## migrate, seed the demo business and serve it with the sandbox on :8000
	PORT=$(PORT) scripts/dev.sh

serve: install  ## production web server on $$PORT: WEB_CONCURRENCY processes (README "Deploying")
	PORT=$(PORT) scripts/serve.sh

migrate: install  ## apply migrations (a release step: before new code serves)
	$(PY) manage.py migrate --noinput

worker: install  ## a Celery worker (run as many as the queue needs; needs REDIS_URL)
	$(VENV)/bin/celery -A msp_console worker -P threads -c $${WORKER_CONCURRENCY:-8} -l INFO --without-gossip --without-mingle

beat: install  ## Celery beat, the scheduler: exactly one per deployment
	mkdir -p build; $(VENV)/bin/celery -A msp_console beat -s $${BEAT_SCHEDULE_FILE:-build/celerybeat-schedule} -l INFO

test: install  ## the whole suite on PostgreSQL and Redis, browser tests included
	DATABASE_URL=$(TEST_DATABASE_URL) E2E_REDIS_URL=$(TEST_REDIS_URL) \
		$(VENV)/bin/pytest -p no:cacheprovider

test-fast: install  ## the suite without the end-to-end tests
	DATABASE_URL=$(TEST_DATABASE_URL) $(VENV)/bin/pytest -p no:cacheprovider -m "not e2e"

lint: install  ## ruff, the import contracts (layers), the type check and the API schema
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	DJANGO_DEBUG=True $(VENV)/bin/mypy
	DJANGO_DEBUG=True $(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null

fmt: install  ## fix what ruff can
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

check: lint test  ## lint, tests and the migrations check
	DJANGO_DEBUG=True $(PY) manage.py makemigrations --check --dry-run

bench: install  ## inbound webhook benchmark against Daphne, PostgreSQL and Redis
	$(PY) bench/inbound.py

bench-outbound: install  ## 1,000 API sends against a gateway answering after 50 ms: sent/s vs the bound
	$(PY) bench/outbound.py

bench-latency: install  ## webhook -> 10 agent sockets at 150/s: p99 and max latency; web memory growth
	$(PY) bench/latency.py --memory 18000

bench-attachments: install  ## 100 MB attachments both ways: MB/s and peak memory
	$(PY) bench/attachments.py

bench-console: install  ## console and API reads with 10,000 conversations, 100,000 messages
	$(PY) bench/console.py

bench-recovery: install  ## seconds to recover from a killed worker, a broker outage, a Redis restart
	$(PY) bench/recovery.py

clean:
	rm -rf $(VENV) build staticfiles
