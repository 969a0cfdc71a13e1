# Set-up and everyday commands. `make demo` and `make test` are all a fresh machine needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DAY := 2026-03-02

.PHONY: install demo test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Locked, hash-checked dependencies, then the project itself (editable).
$(VENV)/.installed: requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

install: $(VENV)/.installed

demo: install
	$(BIN)/infra-digest run --date $(DEMO_DAY) --source replay:demo

test: install
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python bench/pipeline_bench.py

clean:
	rm -rf $(VENV) data reports .dagster
