# Quick start: `make run` and `make test` work on a fresh clone (they create .venv).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
SEED ?= 0

.PHONY: run test install install-test lint clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PIP) install --quiet -e .
	touch $@

# the suite covers every optional surface (Parquet, plots, Dask, notebooks), so it installs them all
$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PIP) install --quiet -e ".[all]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

run: $(VENV)/.installed
	$(PY) -m tradeflow run --seed $(SEED)

test: $(VENV)/.installed-test
	$(PY) -m pytest -q

lint: $(VENV)/.installed-test
	$(PIP) install --quiet ruff
	$(VENV)/bin/ruff check tradeflow tests benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
