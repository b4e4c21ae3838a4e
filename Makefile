# Two commands do everything on a fresh machine:
#   make run   — all three services on SQLite under var/ with demo data (Ctrl-C stops them)
#   make test  — the whole suite (TEST_DB=sqlite by default; TEST_DB=postgres for PostgreSQL)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test venv bench lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/cpa run

test: $(STAMP)
	TEST_DB=$${TEST_DB:-sqlite} $(BIN)/python -m pytest -n $${PYTEST_WORKERS:-2} --dist loadfile $${PYTEST_ARGS:-}

bench: $(STAMP)
	$(BIN)/python -m bench $${BENCH_ARGS:-}

lint: $(STAMP)
	$(BIN)/ruff check services shared tests bench

clean:
	rm -rf var $(VENV) .pytest_cache
