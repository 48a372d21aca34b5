# SalesTier: the two commands are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SALESTIER_HOME ?= $(CURDIR)/data
export SALESTIER_HOME
export DAGSTER_HOME ?= $(abspath $(SALESTIER_HOME))/dagster
export GX_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1

.PHONY: install system-deps manifest run test bench determinism lint dev clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

# Debian packages some tests need (Chromium, PostgreSQL 15, CJK fonts); idempotent, root only when missing.
system-deps:
	bash .ci/setup-system.sh

# dagster-dbt needs a parsed manifest before the definitions can be imported.
manifest: install
	cd dbt_project && ../$(BIN)/dbt parse --quiet --profiles-dir . --target-path target

run: manifest
	$(BIN)/salestier run --demo-if-empty

test: system-deps manifest
	$(BIN)/ruff check .
	$(BIN)/pytest

bench: manifest
	$(BIN)/python -m salestier_pipeline.bench $(BENCH_ARGS)

# The published tables must not depend on the thread count: the demo at 10x, DuckDB threads 1, 2 and 4.
determinism: manifest
	$(BIN)/python -m salestier_pipeline.determinism $(DETERMINISM_ARGS)

lint: install
	$(BIN)/ruff check .

dev: manifest
	mkdir -p "$(DAGSTER_HOME)"
	$(BIN)/dagster dev -w workspace.yaml

clean:
	rm -rf dbt_project/target dbt_project/logs .pytest_cache
