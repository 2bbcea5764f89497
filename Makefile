# threadsearch: two commands on a fresh machine.
#   make serve   create .venv, install, index the bundled sample, serve on 127.0.0.1:8000
#   make test    install the test extras and run the whole suite
#   make lint    ruff, and mypy --strict on the package as it installs (CI runs it too)
#   make cluster-up / cluster-down   a 3-node OpenSearch cluster on loopback (needs Java 17, Maven)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
INDEX  ?= index_data/index
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: serve test index lint bench bench-abuse bench-faults bench-load fuzz clean screenshots cluster-up cluster-down

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $@

index: $(VENV)/.installed
	$(BIN)/threadsearch ingest index_data/ --index $(INDEX) --quiet

serve: index
	@echo
	@echo "Serving threadsearch on http://$(HOST):$(PORT)  (Ctrl-C stops it). Try:"
	@echo "  the search page: http://$(HOST):$(PORT)/ in a browser"
	@echo "  curl '$(HOST):$(PORT)/search?q=bounty+hunters&facet=kind'"
	@echo "  curl '$(HOST):$(PORT)/search?q=&facet=day&since=2005-10-02&until=2005-10-02'"
	@echo
	$(BIN)/threadsearch serve --index $(INDEX) --host $(HOST) --port $(PORT)

test: $(VENV)/.installed
	$(BIN)/python -m pytest

# mypy reads the package under its installed name: build/typing/threadsearch holds links to
# search/'s files and to api/, as the wheel lays them out.
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check search api tests bench examples cluster
	rm -rf build/typing && mkdir -p build/typing/threadsearch
	ln -s $(CURDIR)/search/* build/typing/threadsearch/
	ln -s $(CURDIR)/api build/typing/threadsearch/api
	MYPYPATH=build/typing $(BIN)/mypy -p threadsearch

# The browser tests, writing the README's screenshots into docs/screenshots/.
screenshots: $(VENV)/.installed
	THREADSEARCH_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest -q tests/test_page_browser.py

bench: $(VENV)/.installed-bench
	$(BIN)/python -m bench $(BENCH_ARGS)

# For development and tests only; production runs the official OpenSearch distribution.
# CLUSTER_PORT is the first node's HTTP port; transport ports are 100 above.
CLUSTER_PORT ?= 9200
cluster-up:
	$(PYTHON) -m cluster.launch up --port $(CLUSTER_PORT)

cluster-down:
	$(PYTHON) -m cluster.launch down

# Hostile queries against a real server on R-help 2005 (see bench/abuse.py).
bench-abuse: $(VENV)/.installed
	$(BIN)/python -m bench.abuse $(BENCH_ARGS)

# Faults and load (README "Faults and limits"); R-help from ../shared/corpora/bulk.
#   make bench-faults   re-run after an ingest killed at 90% vs a clean run
#   make bench-load     8 clients: requests/s, p50/p99, alone and during a 50,000-entry ingest
#   make fuzz           every parser fuzzed FUZZ_MINUTES minutes, and its growth with size
FUZZ_MINUTES ?= 10
LOAD_ARGS    ?= --glob 'r-help-1999-*' --more 'r-help-200[3-5]-*' --seconds 60

bench-faults: $(VENV)/.installed
	$(BIN)/python -m bench.faults $(BENCH_ARGS)

bench-load: $(VENV)/.installed
	$(BIN)/python -m bench.load $(LOAD_ARGS)

fuzz: $(VENV)/.installed
	FUZZ_MINUTES=$(FUZZ_MINUTES) $(BIN)/python -m bench.fuzz

clean:
	rm -rf $(VENV) $(INDEX) bench/out bench/scratch .pytest_cache cluster/target cluster/run
