# Two commands for a newcomer: `make demo` and `make test`. Everything else is optional.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8765
DEMO_DB ?= data/demo.db

.PHONY: demo test lint bench canary clean-demo help

help:
	@echo "make demo   - set up, serve the bundled replica, crawl it into $(DEMO_DB), show a summary"
	@echo "make test   - set up and run the test suite"
	@echo "make lint   - ruff check"

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,scale]'
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -q

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
