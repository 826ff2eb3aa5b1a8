# Digital Academy — two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
export ACADEMY_ENV_NAME ?= development
DEMO_LEARNERS ?= 200
HOST ?= 127.0.0.1
PORT ?= 5000
# Debian packages: WeasyPrint's fast font subsetting, Chromium for browser tests, poppler for PDF checks.
SYSTEM_PACKAGES := libharfbuzz-subset0 chromium poppler-utils libpango-1.0-0 libpangoft2-1.0-0

.PHONY: i18n-update lint run test test-sqlite test-postgres bench system-deps install db catalog demo translations clean oidc-provider static ralph

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $@

install: $(VENV)/.installed

# Installs what is missing when we may (root or passwordless sudo); otherwise says what is missing.
system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  elif sudo -n true 2>/dev/null; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "Thiếu gói hệ thống (missing system packages):$$missing — apt-get install$$missing"; fi; \
	fi

# The OpenID provider the single sign-on tests start (npm package oidc-provider, pinned in
# tests/oidc/package-lock.json), installed when missing or when the lock file changed. Without
# Node.js those tests skip and say why.
OIDC_DIR := tests/oidc
oidc-provider:
	@if ! command -v npm >/dev/null 2>&1; then \
	  echo "Không có Node.js/npm: bỏ qua các kiểm thử đăng nhập một lần (single sign-on tests skip)."; \
	elif [ ! -f $(OIDC_DIR)/node_modules/.package-lock.json ] \
	  || [ $(OIDC_DIR)/package-lock.json -nt $(OIDC_DIR)/node_modules/.package-lock.json ]; then \
	  cd $(OIDC_DIR) && npm ci --no-audit --no-fund --loglevel=error; \
	fi

# The Learning Record Store the xAPI tests start (Ralph, PyPI ralph-malph), in a venv of its own
# (its FastAPI/pydantic pins are not ours). Without it those tests skip and say why.
RALPH_VENV := .venv-ralph
RALPH_SPEC := ralph-malph[backend-fs,cli,lrs]==5.1.0
ralph: $(RALPH_VENV)/.installed-5.1.0

$(RALPH_VENV)/.installed-5.1.0:
	$(PYTHON) -m venv $(RALPH_VENV)
	$(RALPH_VENV)/bin/pip install --quiet --upgrade pip
	$(RALPH_VENV)/bin/pip install --quiet '$(RALPH_SPEC)' 'requests>=2.31'
	touch $@

translations: install
	$(BIN)/pybabel compile -d academy/translations
	$(BIN)/pybabel compile -D wtforms -d academy/translations

# After adding strings: refresh the English catalogue, then translate the new entries.
i18n-update: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o /tmp/academy-messages.pot academy
	$(BIN)/pybabel update -N -i /tmp/academy-messages.pot -d academy/translations

db: install
	mkdir -p instance
	$(FLASK) db upgrade

catalog: db
	$(FLASK) courses import courses/

demo: catalog
	$(FLASK) demo seed --learners $(DEMO_LEARNERS)
	$(FLASK) certificates issue
	$(FLASK) recommender train

# Static files under content-hashed names with .gz/.br beside them, into instance/static-build
# (git-ignored); without it the app serves the plain names. Cheap: rerun on every `make run`.
static: install
	$(FLASK) static build

run: system-deps translations demo static
	@echo ""
	@echo "  Học viện Số đang chạy tại http://$(HOST):$(PORT)  (Ctrl+C để dừng)"
	@echo ""
	$(FLASK) run --host $(HOST) --port $(PORT)

# ruff (pyproject.toml) and the import contracts in setup.cfg ([importlinter]): features import one
# way, no circles. Both run before the tests, so CI fails on a violation.
lint: install
	$(BIN)/ruff check academy tests bench wsgi.py
	$(BIN)/ruff format --check academy tests bench wsgi.py
	$(BIN)/lint-imports

test: system-deps translations lint oidc-provider ralph
	$(MAKE) test-sqlite
	@if [ -n "$$ACADEMY_TEST_DATABASE_URL" ]; then $(MAKE) test-postgres; \
	else echo "ACADEMY_TEST_DATABASE_URL chưa đặt: bỏ qua lượt chạy trên PostgreSQL."; fi

test-sqlite: install oidc-provider ralph
	env -u ACADEMY_TEST_DATABASE_URL ACADEMY_ENV_NAME=testing $(BIN)/pytest $(PYTEST_ARGS)

test-postgres: install oidc-provider ralph
	ACADEMY_ENV_NAME=testing $(BIN)/pytest $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

# Nested cross-validation of the recommender on ../shared/data/learners/*.csv; tables into README.md.
.PHONY: recommender-tables
recommender-tables: install
	$(BIN)/python -m bench.recommender_tables

clean:
	rm -rf $(VENV) instance .pytest_cache build *.egg-info
