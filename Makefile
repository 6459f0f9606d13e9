# Every target builds .venv from nothing when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: serve test lint bench clean data

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip

$(VENV)/.installed: pyproject.toml $(BIN)/activate
	$(BIN)/pip install -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(BIN)/activate
	$(BIN)/pip install -e '.[test]'
	touch $(VENV)/.installed $@

serve: $(VENV)/.installed
	$(BIN)/healthcircle serve --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check analysis app tests benchmarks
	$(BIN)/ruff format --check analysis app tests benchmarks
	$(BIN)/mypy

bench: $(VENV)/.installed-test
	$(BIN)/python -m benchmarks.travel
	$(BIN)/python -m benchmarks.isochrones
	$(BIN)/python -m benchmarks.county
	$(BIN)/python -m benchmarks.county --spacing-m 21.3 --report-only
	$(BIN)/python -m benchmarks.memory
	$(BIN)/python -m benchmarks.siting
	$(BIN)/python -m benchmarks.aed
	$(BIN)/python -m benchmarks.api
	LOAD_BASELINE=1 $(BIN)/python -m benchmarks.load

data: $(VENV)/.installed
	$(BIN)/python -m analysis.build_default

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
