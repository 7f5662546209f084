# Two commands on a fresh machine: `make run` and `make test`. Then `make ui`.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DAGSTER_HOME ?= $(CURDIR)/data/dagster

.PHONY: setup system run lint test ui serve bench clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

# Debian packages for PDF charts (chromium for kaleido), Chinese fonts and the browser tests.
system:
	@if ! command -v chromium >/dev/null || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk poppler-utils >/dev/null; \
		else echo "please install: chromium fonts-noto-cjk poppler-utils (apt-get)"; fi; \
	fi

run: setup system
	$(BIN)/scorecard run

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: setup system lint
	$(BIN)/pytest -q

ui: setup
	mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml
	DAGSTER_HOME=$(DAGSTER_HOME) $(BIN)/dagster dev -w workspace.yaml

serve: setup
	$(BIN)/scorecard serve --host 127.0.0.1 --port 8080

bench: setup system
	$(BIN)/python -m bench.run

clean:
	rm -rf data/warehouse/*.duckdb data/reports data/dagster
