# The two commands a newcomer needs: `make serve` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PG_HOST ?= 127.0.0.1
PG_PORT ?= 5432

.PHONY: install serve test lint

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[server,dev]'
	touch $@

install: $(VENV)/.installed

## Serve the platform on the embedded default (SQLite in ./omneo.db); prints an admin token on first run.
serve: install
	$(VENV)/bin/omneo-server serve

lint: install
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy

## Lint, type-check, then the whole suite on SQLite, and again on PostgreSQL when one answers.
test: lint
	$(VENV)/bin/pytest -q
	@if $(PY) -c "import socket; socket.create_connection(('$(PG_HOST)', $(PG_PORT)), 1)" 2>/dev/null; then \
		echo "PostgreSQL answers at $(PG_HOST):$(PG_PORT): running the server and end-to-end suites on it"; \
		OMNEO_TEST_DATABASE=postgresql OMNEO_TEST_PG=postgres@$(PG_HOST):$(PG_PORT) $(VENV)/bin/pytest -q tests/server tests/e2e; \
	else \
		echo "No PostgreSQL at $(PG_HOST):$(PG_PORT): SQLite only"; \
	fi
