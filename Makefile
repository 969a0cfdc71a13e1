# Set-up and everyday commands. `make demo` and `make test` are all a fresh machine needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DAY := 2026-03-02

.PHONY: install demo test test-fast bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Locked, hash-checked dependencies, then the project itself (editable).
$(VENV)/.installed: requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

install: $(VENV)/.installed

# The demo is its own world: data/demo.duckdb and reports/demo/ (the default history never holds demo rows).
demo: install
	$(BIN)/infra-digest run --date $(DEMO_DAY) --source replay:demo --db data/demo.duckdb --out reports/demo

# The whole suite (what .ci/run calls): needs PostgreSQL and Redis on 127.0.0.1, starts Dagster's daemon.
test: install
	$(BIN)/python -m pytest -q

# No PostgreSQL, Redis or daemon: the tests marked slow are left out.
test-fast: install
	$(BIN)/python -m pytest -q -m "not slow"

bench: install
	$(BIN)/python bench/pipeline_bench.py

clean:
	rm -rf $(VENV) data reports .dagster
