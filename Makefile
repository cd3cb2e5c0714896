# Two commands do all set-up on a fresh clone:
#   make report   installs into .venv and runs the offline sample report
#   make test     installs (plus Chromium and poppler-utils for the end-to-end tests) and runs the tests
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
JOBS   ?= 2
STAMP  := $(VENV)/.installed

.PHONY: install report test lint typecheck bench clean system-deps

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[test]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (factor-report)" >/dev/null
	touch $@

install: $(STAMP)

report: $(STAMP)
	$(BIN)/factor-report run params/sample.yml --jobs $(JOBS)

system-deps:
	bash scripts/system-deps.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

test: $(STAMP) system-deps lint typecheck
	$(BIN)/python -m pytest -n $(JOBS) --durations=15

bench: $(STAMP)
	$(BIN)/python bench/rolling_betas.py
	$(BIN)/python bench/report_pipeline.py
	$(BIN)/python bench/scale.py

clean:
	rm -rf $(VENV) reports/*/ .pytest_cache .mypy_cache .ruff_cache
