# Two commands a newcomer needs: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run serve test lint format typecheck importlint pytest bench worker beat migrate demo clean

$(STAMP): pyproject.toml requirements/constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24" "setuptools>=69" wheel
	$(BIN)/python -m pip install --quiet -c requirements/constraints.txt -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

var/secret_key:
	@mkdir -p var
	@$(BIN)/python -c "import secrets; print(secrets.token_urlsafe(50))" > var/secret_key
	@chmod 600 var/secret_key
	@echo "generated var/secret_key"

# Development server on the embedded defaults: SQLite under var/, Celery tasks eager.
# The demo's Yamanashi buses run their fullest timetable in 2019 (most services of the feed
# ended by 2020-03 or 2025-03), so the demo network covers the week from Monday 2019-12-02
# and a plan without a time defaults to 09:00 that Monday. Override either in the environment.
DEMO_HORIZON_START ?= 2019-12-02
DEMO_DEFAULT_TIME ?= 2019-12-02T09:00:00+09:00
# The demo's "now" for booking deadlines (on-demand notice periods) and live-data age.
DEMO_NOW ?= 2019-12-02T08:00:00+09:00

run: install var/secret_key
	@export DJANGO_SECRET_KEY="$$(cat var/secret_key)" DJANGO_DEBUG=$${DJANGO_DEBUG:-true} \
	SNAPSHOT_HORIZON_START=$${SNAPSHOT_HORIZON_START:-$(DEMO_HORIZON_START)} \
	PLAN_DEFAULT_TIME=$${PLAN_DEFAULT_TIME:-$(DEMO_DEFAULT_TIME)} \
	PLAN_NOW=$${PLAN_NOW:-$(DEMO_NOW)}; \
	$(BIN)/python manage.py migrate --noinput && \
	$(BIN)/python manage.py collectstatic --noinput -v0 && \
	$(BIN)/python manage.py load_demo && \
	echo "Serving on http://$(HOST):$(PORT)/ (API docs: http://$(HOST):$(PORT)/api/docs/)" && \
	$(BIN)/python manage.py runserver --noreload $(HOST):$(PORT)

migrate: install var/secret_key
	DJANGO_SECRET_KEY="$$(cat var/secret_key)" $(BIN)/python manage.py migrate --noinput

test: install lint typecheck importlint pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: install
	DJANGO_DEBUG=true $(BIN)/mypy maas operators routing tests benchmarks

importlint: install
	DJANGO_DEBUG=true $(BIN)/lint-imports

# PYTEST_ARGS lets CI or a developer narrow or widen the run.
pytest: install
	DJANGO_DEBUG=true $(BIN)/pytest $(PYTEST_ARGS)

bench: install
	DJANGO_DEBUG=true $(BIN)/python -m benchmarks

worker: install var/secret_key
	DJANGO_SECRET_KEY="$${DJANGO_SECRET_KEY:-$$(cat var/secret_key)}" \
	$(BIN)/celery -A maas worker --loglevel=INFO

beat: install var/secret_key
	DJANGO_SECRET_KEY="$${DJANGO_SECRET_KEY:-$$(cat var/secret_key)}" \
	$(BIN)/celery -A maas beat --loglevel=INFO --schedule var/celerybeat-schedule

clean:
	rm -rf $(VENV) var/static .pytest_cache .mypy_cache .ruff_cache
