# Betang — two commands: `make demo` and `make test`. Everything else is installed by these targets.
PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
FUZZ_VENV := .venv-fuzz
FUZZ_EXAMPLES ?= 200
PG_URL ?= postgres://postgres@127.0.0.1:5432/betang

export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: install demo serve test test-sqlite test-pg stress lint format bench chromium postgres messages clean fuzz-api

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

$(VENV)/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --python $(PYTHON)
	@touch $@

install: $(VENV)/.installed  ## the virtualenv, exactly as locked

demo: install  ## build the Kalimantan Tengah demo on SQLite and serve it at http://127.0.0.1:8000
	$(BIN)/betang demo

serve: install
	$(BIN)/betang serve

test: install chromium  ## the whole suite on SQLite (and on PostgreSQL: make test-pg)
	$(BIN)/pytest

test-sqlite: test

test-pg: install chromium postgres  ## the same suite on PostgreSQL
	DATABASE_URL=$(PG_URL) $(BIN)/pytest

lint: install  ## ruff, import-linter layers, migrations up to date, bandit (high findings fail)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	BETANG_VAR_DIR=$$(mktemp -d) $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/bandit --quiet --recursive betang config --severity-level high

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

STRESS_TESTS := tests/ledger/test_concurrency.py tests/aid/test_card_concurrency.py

stress: install postgres  ## 100,000 concurrent payment attempts on hot wallets (ledger) and hot cards (card_pay), SQLite and PostgreSQL
	BETANG_STRESS_ATTEMPTS=100000 $(BIN)/pytest -s -q $(STRESS_TESTS)
	BETANG_STRESS_ATTEMPTS=100000 DATABASE_URL=$(PG_URL) $(BIN)/pytest -s -q $(STRESS_TESTS)

bench: install postgres  ## benchmarks on SQLite and PostgreSQL; table printed, JSON in bench/results/
	$(BIN)/python -m bench

# Its own virtualenv (the dev group and the pinned `fuzz` group): `make test` never needs schemathesis,
# and .venv stays exactly as locked. In process over WSGI on a fresh SQLite test database in a temp var dir.
fuzz-api: | $(UV)  ## schemathesis over the OpenAPI document: any 5xx or response not as documented fails
	UV_PROJECT_ENVIRONMENT=$(FUZZ_VENV) $(UV) sync --locked --group fuzz --python $(PYTHON)
	BETANG_VAR_DIR=$$(mktemp -d) BETANG_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(FUZZ_VENV)/bin/pytest -p no:cacheprovider -q fuzz

messages: install  ## extract and compile the Indonesian catalogue (needs gettext for extraction)
	$(BIN)/python manage.py makemessages -l id --ignore=.venv --ignore=.venv-fuzz --ignore=.tools --ignore=var
	$(BIN)/python manage.py compilemessages -l id --ignore=.venv --ignore=.venv-fuzz --ignore=.tools

chromium:  ## Debian's chromium for the browser tests (installed when missing and we are root)
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium missing and not root: browser tests will skip (outside CI)"; fi; \
	fi

postgres:  ## start the local PostgreSQL cluster if it is not running
	@if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
	  pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start; \
	  for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; \
	fi

clean:
	rm -rf $(VENV) $(FUZZ_VENV) $(TOOLS) var .pytest_cache .ruff_cache test-artifacts
