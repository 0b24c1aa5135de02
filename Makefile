# The two quick-start commands, `make demo` and `make test`, set everything up themselves.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_ARGS ?=
PYTEST_ARGS ?=

.PHONY: setup chromium test-packages demo test lint format clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Debian packages outside Python (installed when run as root, else a hint): Chromium renders
# JavaScript sites; the tests also start a real redis-server (the shared crawl frontier) and a
# real PostgreSQL server (the shared case store).
chromium:
	@bash scripts/ensure-debian-packages.sh chromium

test-packages:
	@bash scripts/ensure-debian-packages.sh chromium redis-server postgresql

setup: $(STAMP) chromium

demo: setup
	$(BIN)/lurewatch demo $(DEMO_ARGS)

test: $(STAMP) test-packages
	$(BIN)/pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
