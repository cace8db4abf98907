# synthaudit — the two commands a newcomer runs: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
ADULT := examples/adult

.PHONY: install browser demo test lint bench clean

# torch must come first and pinned: pip takes the local CPU build of 2.13.0 that way (anything else
# downloads gigabytes of CUDA). sentence-transformers (the `text` extra) then finds it installed.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	@# the distribution was called `synthaudit` before it became synthaudit-toolkit: drop such a development install
	$(BIN)/pip uninstall --quiet --yes synthaudit 2>/dev/null || true
	$(BIN)/pip install --quiet -e ".[all,dev,ray]"
	@# setuptools leaves an egg-info in the source tree; on sys.path (pytest, python -c) its entry points
	@# would shadow the installed ones and hide checks added later, so it goes
	rm -rf synthaudit_toolkit.egg-info
	touch $(STAMP)

install: $(STAMP)

# Audits the bundled UCI Adult example; exits 0 whatever the verdict (a failing gate is a finding),
# but fails on bad input (2) or an internal error (3).
demo: install
	@$(BIN)/synthaudit check $(ADULT)/real.csv $(ADULT)/synthetic.csv --holdout $(ADULT)/holdout.csv \
		--target income --sensitive sex --sensitive race --json synthaudit-demo.json --report synthaudit-report.html; \
	code=$$?; if [ $$code -gt 1 ]; then exit $$code; fi; \
	echo "demo finished: exit code $$code (0 = gate passed, 1 = gate failed); report in synthaudit-report.html, JSON in synthaudit-demo.json"

# Debian's chromium drives the report's browser test (playwright talks to it over pipes; no download).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else echo "chromium not installed: the browser test will be skipped"; fi; }

# Two workers, one thread each: the machines have 2 cores, and BLAS/OpenMP threads on top of two
# workers only fight each other. `--dist loadgroup` keeps each xdist_group (the Ray module shares one Ray
# instance) on one worker.
test: install browser
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/python -m pytest -q -n 2 --dist loadgroup

lint: install
	$(BIN)/ruff check audit checks reports tests benchmarks
	$(BIN)/mypy --strict --disable-error-code no-any-return audit reports

# The anchors synthaudit is measured against live in their own environments, never as dependencies.
.venv-sdmetrics/.stamp:
	$(PYTHON) -m venv .venv-sdmetrics
	.venv-sdmetrics/bin/pip install --quiet "sdmetrics>=0.18" "pandas<3"
	touch $@

.venv-anonymeter/.stamp:
	$(PYTHON) -m venv .venv-anonymeter
	.venv-anonymeter/bin/pip install --quiet anonymeter
	touch $@

# Clean-sample pass rate, the anchors (SDMetrics, Anonymeter) and per-check throughput at 10k / 100k / 1M rows
# (wall, CPU, rows/s, peak memory). Takes a while: the 1M-row audit alone runs for minutes.
bench: install .venv-sdmetrics/.stamp .venv-anonymeter/.stamp
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache synthaudit-demo.json synthaudit-report.html
