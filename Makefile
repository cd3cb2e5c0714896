# Two commands do all set-up on a fresh clone:
#   make report   installs into .venv, runs the offline sample of every report kind and writes
#                 reports/index.html linking the runs
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

SAMPLES := params/sample.yml params/portfolio_sample.yml params/forecast_sample.yml \
           params/forecast_industries.yml \
           params/strategy_sample.yml params/strategy_industries.yml

# exit code 3 (some units partial or failed) still lets the other samples run; the
# summary of each run says what failed, and make fails at the end if any run did
report: $(STAMP)
	@status=0; for p in $(SAMPLES); do \
	  echo "== $$p"; $(BIN)/factor-report run $$p --jobs $(JOBS) || status=$$?; \
	done; $(BIN)/factor-report index --out reports; exit $$status

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
	$(BIN)/python bench/forecast.py
	$(BIN)/python bench/strategy.py
	$(BIN)/python bench/scale.py

clean:
	rm -rf $(VENV) reports/*/ .pytest_cache .mypy_cache .ruff_cache
