# SalesTier: the two commands are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# dbt in its own environment: the orchestrator calls its CLI and never imports dbt-core
# (salestier_pipeline/dbt_command.py finds it here)
DBT_VENV := .venv-dbt
DBT := $(DBT_VENV)/bin/dbt
DBT_PINS := ^(dbt-core|dbt-duckdb)==
SALESTIER_HOME ?= $(CURDIR)/data
export SALESTIER_HOME
export DAGSTER_HOME ?= $(abspath $(SALESTIER_HOME))/dagster
export GX_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1

.PHONY: install system-deps manifest run test bench determinism lint dev clean lock

install: $(VENV)/.installed $(DBT_VENV)/.installed

# Exactly the pinned environment of requirements.lock but dbt itself, then the project without resolving anything.
$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r <(grep -vE '$(DBT_PINS)' requirements.lock)
	$(BIN)/pip uninstall --quiet --yes dbt-core dbt-duckdb 2>/dev/null  # a venv from before dbt moved out
	$(BIN)/pip install --quiet --no-deps -e ".[dev]"
	touch $@

# dbt-core and its adapter at their pinned versions, every dependency held to the same lock.
$(DBT_VENV)/.installed: requirements.lock
	$(PYTHON) -m venv $(DBT_VENV)
	$(DBT_VENV)/bin/pip install --quiet --upgrade pip
	$(DBT_VENV)/bin/pip install --quiet -c requirements.lock $$(grep -E '$(DBT_PINS)' requirements.lock)
	touch $@

# Re-pin after a dependency change in pyproject.toml: resolve in a scratch venv, freeze it.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet -e ".[dev,dbt]"
	{ head -2 requirements.lock; .lock-venv/bin/pip freeze --exclude-editable | grep -v '^-e'; } > requirements.lock.new
	mv requirements.lock.new requirements.lock && rm -rf .lock-venv

# Debian packages some tests need (Chromium, PostgreSQL 15, CJK fonts); idempotent, root only when missing.
system-deps:
	bash .ci/setup-system.sh

# dagster-dbt needs a parsed manifest before the definitions can be imported.
manifest: install
	cd dbt_project && ../$(DBT) parse --quiet --profiles-dir . --target-path target

run: manifest
	$(BIN)/salestier run --demo-if-empty

test: system-deps manifest
	$(BIN)/ruff check .
	$(BIN)/pytest

bench: manifest
	$(BIN)/python -m tools.bench $(BENCH_ARGS)

# The published tables must not depend on the thread count: the demo at 10x, DuckDB threads 1, 2 and 4.
determinism: manifest
	$(BIN)/python -m tools.determinism $(DETERMINISM_ARGS)

lint: install
	$(BIN)/ruff check .

dev: manifest
	mkdir -p "$(DAGSTER_HOME)"
	$(BIN)/dagster dev -w workspace.yaml

clean:
	rm -rf dbt_project/target dbt_project/logs .pytest_cache
