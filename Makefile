# Two commands for a newcomer: `make demo` and `make test`. Everything else is optional.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8765
DEMO_DB ?= data/demo.db

.PHONY: demo test test-under-load lint bench canary clean-demo help

help:
	@echo "make demo   - set up, serve the bundled replica, crawl it into $(DEMO_DB), show a summary"
	@echo "make test   - set up and run the test suite"
	@echo "make lint   - ruff check"
	@echo "make test-under-load - the suite 3 times in a row with every core kept busy"

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,scale]'
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -q

# No test may depend on timing: the suite three times in a row while busy loops keep every core
# busy (started and stopped by the script, and never alive past its time limit).
test-under-load: $(STAMP)
	$(BIN)/python scripts/under_load.py --runs 3 -- $(BIN)/python -m pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check pipelines scrapers tests

demo: $(STAMP)
	$(BIN)/python scripts/demo.py --port $(PORT) --db $(DEMO_DB)

bench: $(STAMP)
	$(BIN)/python scripts/bench.py $(BENCH_ARGS)

canary: $(STAMP)
	$(BIN)/python scripts/canary.py

clean-demo:
	rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
