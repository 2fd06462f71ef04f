# cnscd-api: `make run` serves the demo on http://127.0.0.1:8000, `make test` runs the suite.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Exactly what CI tested: every package pinned with its hashes (`make lock` writes them).
DEV_LOCK := requirements-dev.lock
RUNTIME_LOCK := requirements.lock
LOCK_OPTIONS := --quiet --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url \
  --no-emit-find-links
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run worker test lint fmt migrate seed openapi clean install lock browser-deps

# The lock's packages with their hashes and nothing else (--no-deps: the lock is whole),
# then the project itself, built by the locked hatchling.
$(STAMP): pyproject.toml $(DEV_LOCK)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r $(DEV_LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check
	@touch $(STAMP)

install: $(STAMP)

# After changing dependencies in pyproject.toml: `make lock` keeps every pin it can;
# `make lock UPGRADE=1` takes the newest releases the ranges allow. Then `make install`,
# run the suite, and commit both files. The runtime lock (the image's) is the dev lock's
# subset, at the same versions.
lock:
	@test -x $(BIN)/pip-compile || $(MAKE) install
	$(BIN)/pip-compile $(LOCK_OPTIONS) $(if $(UPGRADE),--upgrade) --extra dev --all-build-deps \
	  --output-file $(DEV_LOCK) pyproject.toml
	$(BIN)/pip-compile $(LOCK_OPTIONS) --build-deps-for wheel --constraint $(DEV_LOCK) \
	  --output-file $(RUNTIME_LOCK) pyproject.toml

# A local secret for development, kept in the ignored .env file; never committed.
.env:
	@echo "CNSCD_SECRET_KEY=$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(48))')" > .env
	@echo "created .env with a random CNSCD_SECRET_KEY"

migrate: $(STAMP) .env
	$(BIN)/alembic upgrade head

seed: migrate
	$(BIN)/cnscd seed --province-code 62
	$(BIN)/cnscd demo

run: seed
	$(BIN)/uvicorn --factory cnscd_api.main:create_app --host $(HOST) --port $(PORT) --no-access-log --no-server-header

# Delivers events to webhook endpoints (docs/operations.md, "Webhook worker").
worker: migrate
	$(BIN)/cnscd worker

test: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

# The dashboard's browser tests drive Debian's Chromium (Playwright's own browser download
# is not used); fonts-dejavu-core draws Vietnamese in its screenshots.
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser-deps:
	@test -x $(CHROMIUM) || { $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core; }
	@$(CHROMIUM) --version 2>/dev/null

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

fmt: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

openapi: $(STAMP)
	$(BIN)/cnscd openapi

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis build dist
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
