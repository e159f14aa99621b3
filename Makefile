# Quick start: `make run` and `make test` work on a fresh clone (they create .venv).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
SEED ?= 0
BENCH_DIR ?= bench-results
THRESHOLD ?= 0.25
METRIC ?= time

.PHONY: run test test-random install install-test lint clean clean-cache bench bench-quick bench-compare notebooks docs docs-ci

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
	$(PY) -m tradeflow run --seed $(SEED) --days 5

# the suite runs one seeded hypothesis profile, locally and in CI: the same examples every run. It runs on
# every core (pytest-xdist, one test file per worker at a time: a file's module fixtures are built once);
# the kernels are compiled into numba's disk cache first, so the workers load them instead of each
# compiling the same ones. TEST_WORKERS=0 runs it in this process.
TEST_WORKERS ?= auto
test: $(VENV)/.installed-test
	$(PY) -c "import tradeflow; tradeflow.warmup()"
	$(PY) -m pytest -q --durations=25 -n $(TEST_WORKERS) --dist loadfile

# a longer randomized hypothesis search for new counterexamples (not part of `make test`); a failure
# prints the example and a @reproduce_failure blob to pin it
test-random: $(VENV)/.installed-test
	HYPOTHESIS_PROFILE=random $(PY) -m pytest -q

# the benchmark suite: full sizes (minutes), or the quick CI smoke (well under a minute); JSON kept in $(BENCH_DIR)
bench: $(VENV)/.installed-test
	$(PY) -m benchmarks --out $(BENCH_DIR)/full.json

bench-quick: $(VENV)/.installed-test
	$(PY) -m benchmarks --quick --out $(BENCH_DIR)/quick.json

# make bench-compare OLD=a.json NEW=b.json [THRESHOLD=0.25] [METRIC=time|ratio]: non-zero exit on a regression
bench-compare: $(VENV)/.installed-test
	$(PY) -m benchmarks compare $(OLD) $(NEW) --threshold $(THRESHOLD) --metric $(METRIC)

# execute every notebook top to bottom (also part of `make test`)
notebooks: $(VENV)/.installed-test
	$(PY) -m pytest -q tests/test_notebooks.py

# the documentation site, offline, into site/: the notebooks executed first (by their tests, which keep the
# executed copies in build/notebooks/), so the site shows their tables and plots
docs: notebooks
	NO_MKDOCS_2_WARNING=1 TRADEFLOW_DOCS_REQUIRE_OUTPUTS=1 $(PY) -m mkdocs build --strict

# CI's strict build: every page, reference and API entry checked; .ci/run calls it after `make test`, which
# executed the notebooks already (TRADEFLOW_DOCS_REQUIRE_OUTPUTS=1 there: a notebook without its outputs fails)
docs-ci: $(VENV)/.installed-test
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict

lint: $(VENV)/.installed-test
	$(PIP) install --quiet ruff
	$(VENV)/bin/ruff check tradeflow tests benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build *.egg-info site
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

# Not needed any more: tradeflow keys numba's on-disk cache by every kernel source and the data model
# (tradeflow/core/numba_cache.py), so a changed kernel or code recompiles its callers by itself.
# Kept as a harmless way to free the disk space of old cache entries.
clean-cache:
	find tradeflow -name "*.nbi" -delete -o -name "*.nbc" -delete
