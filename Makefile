# Two commands do everything on a fresh machine:
#   make run   — all three services on SQLite under var/ with demo data (Ctrl-C stops them)
#   make test  — the whole suite (TEST_DB=sqlite by default; TEST_DB=postgres for PostgreSQL)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Installs come from the hashed lock (requirements/, exported from uv.lock by `make lock`), never from
# pyproject's ranges: `make run` gets the runtime alone, `make test` adds the test extra (Playwright, ...).
RUNTIME_STAMP := $(VENV)/.installed-runtime
TEST_STAMP    := $(VENV)/.installed-test
UV_VERSION    := 0.13.9
PIP           := $(BIN)/python -m pip install -q --disable-pip-version-check

.PHONY: run test venv bench lint lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip

$(RUNTIME_STAMP): requirements/runtime.txt pyproject.toml | $(BIN)/python
	$(PIP) --require-hashes -r requirements/runtime.txt
	$(PIP) --no-deps -e .
	touch $@

$(TEST_STAMP): requirements/test.txt pyproject.toml | $(BIN)/python
	$(PIP) --require-hashes -r requirements/test.txt
	$(PIP) --no-deps -e .
	touch $@

venv: $(TEST_STAMP)

run: $(RUNTIME_STAMP)
	$(BIN)/cpa run

test: $(TEST_STAMP)
	TEST_DB=$${TEST_DB:-sqlite} $(BIN)/python -m pytest -n $${PYTEST_WORKERS:-2} --dist loadfile $${PYTEST_ARGS:-}

bench: $(RUNTIME_STAMP)
	$(BIN)/python -m bench $${BENCH_ARGS:-}

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

# Re-resolve after editing pyproject's dependencies (pins that still fit are kept; LOCK_ARGS=--upgrade
# moves everything to the newest allowed), then commit uv.lock and requirements/. tests/test_lock.py fails
# until this has been run. uv reads PyPI only, never the machine's pip configuration.
lock: | $(BIN)/python
	$(PIP) uv==$(UV_VERSION)
	UV_PYTHON_DOWNLOADS=never $(BIN)/uv lock $${LOCK_ARGS:-}
	$(BIN)/uv export --frozen --no-emit-project --no-dev --format requirements-txt -q \
	  -o requirements/runtime.txt
	$(BIN)/uv export --frozen --no-emit-project --no-dev --extra test --format requirements-txt -q \
	  -o requirements/test.txt

clean:
	rm -rf var $(VENV) .pytest_cache .ruff_cache .hypothesis
