# MHC Control Panel. `make run` sets up and starts everything locally; `make test` proves it.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: help install run migrate test lint typecheck pytest bench clean

help:
	@echo "make run        install, start the embedded PostgreSQL, migrate, serve http://127.0.0.1:8080"
	@echo "make test       install and run lint, type checks and the whole test suite"
	@echo "make bench      run the benchmark scripts in bench/"
	@echo "make clean      remove the virtualenv and caches (keeps .mhc/ data)"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	@rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

run: install
	$(BIN)/mhc migrate
	$(BIN)/mhc run

migrate: install
	$(BIN)/mhc migrate

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

pytest: install
	$(BIN)/pytest

test: lint typecheck pytest

bench: install
	$(BIN)/python bench/store_bench.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
