# The two commands the README promises: `make serve` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install serve test lint pytest bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Install everything and run the server on the embedded default (SQLite in ./var/).
serve: install
	$(BIN)/sfagent serve

## Lint, type-check and run the whole test suite.
test: lint pytest

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

# Test processes: each has its own PostgreSQL schema, role and Redis prefix (tests/conftest.py);
# files stay whole on one process so module fixtures are built once. TEST_WORKERS=0 runs in one.
TEST_WORKERS ?= 2

pytest: install
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

bench: install
	$(BIN)/python bench/http_bench.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
