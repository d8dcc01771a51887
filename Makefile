# Two commands matter: `make run` (the bot) and `make test` (the suite).
# Both create .venv with the pinned dependencies on first use.
# bash for pipefail: pip's exit status must survive the progress filter.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
# The first Python 3.11+ found; override with `make PYTHON=/path/to/python3.11`.
PYTHON ?= $(shell for p in python3.11 python3.12 python3.13 python3; do \
	command -v $$p >/dev/null 2>&1 && { echo $$p; exit; }; done; echo python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SETUP_LOG := $(VENV)/setup.log
# `make run ARGS=--resume` continues the last console conversation.
ARGS ?=
PIP := $(BIN)/python -m pip install --disable-pip-version-check
# Lines of pip output that mean the package index could not be reached.
NO_INDEX := NewConnectionError|Failed to establish a new connection|Temporary failure in name resolution|Name or service not known|Network is unreachable|ConnectTimeout|ProxyError|Max retries exceeded|Could not fetch URL|SSLError

.PHONY: run test lint bench clean

# requirements.lock is what the bot runs on (the Docker image installs only it);
# requirements-dev.lock adds the test and lint tools.
LOCKS := requirements.lock requirements-dev.lock

$(STAMP): pyproject.toml $(LOCKS)
	@ver=$$($(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2]); sys.exit(sys.version_info < (3, 11))' 2>/dev/null) \
	|| { what=$${ver:+is Python $$ver}; echo "make: Python 3.11 or newer is needed; '$(PYTHON)' $${what:-was not found or does not run}: install python3.11 and python3.11-venv, or run make PYTHON=/path/to/python3.11" >&2; exit 1; }
	@echo "Setting up $(VENV) with $$($(PYTHON) -V) (first run, or the dependencies changed): usually 1-2 minutes, log in $(SETUP_LOG)"
	@if ! test -x $(BIN)/python; then \
		out=$$($(PYTHON) -m venv $(VENV) 2>&1) || { rm -rf $(VENV); echo "make: '$(PYTHON) -m venv' failed ($$(echo "$$out" | grep -v '^$$' | tail -n1)); on Debian or Ubuntu install python3.11-venv" >&2; exit 1; }; fi
	@start=$$(date +%s); total=$$(cat $(LOCKS) | grep -c '=='); tty=$$(test -t 1 && echo 1); \
	$(PIP) $(addprefix -r ,$(LOCKS)) 2>&1 | tee $(SETUP_LOG) | awk -v total=$$total -v tty=$$tty ' \
		/^(Collecting|Processing) .*from -r requirements/ { \
			n++; name = $$2; sub(/.*\//, "", name); if (name ~ /\.whl$$/) { split(name, p, "-"); name = p[1] "==" p[2] } \
			if (tty) printf "\r  fetching %d/%d: %-40s", n, total, name; \
			else if (n % 10 == 1 || n == total) printf "  fetching %d/%d: %s\n", n, total, name; fflush() } \
		/^Installing collected packages/ { if (tty) printf "\r%-70s\r", ""; print "  installing " n " packages..."; fflush() }' \
	|| { if grep -qE '$(NO_INDEX)' $(SETUP_LOG); then \
		echo "make: cannot reach the package index (pypi.org, or PIP_INDEX_URL); check the network or proxy and run make again (details: $(SETUP_LOG))" >&2; \
	     else echo "make: installing the dependencies failed; the end of $(SETUP_LOG) says why" >&2; fi; exit 1; }; \
	$(PIP) --no-deps -e . >>$(SETUP_LOG) 2>&1 || { echo "make: installing this project into $(VENV) failed (details: $(SETUP_LOG))" >&2; exit 1; }; \
	echo "  $(VENV) ready in $$(( $$(date +%s) - start )) s"
	@touch $(STAMP)

run: $(STAMP)
	@$(BIN)/python -m bot run $(ARGS)

# Two pytest workers a core (pytest-xdist, tests/conftest.py), handed one test at a time: the
# multi-process tests, collected first, spread over the workers instead of queueing on one.
# Bytecode is cached even where the environment says not to (PYTHONDONTWRITEBYTECODE): every
# worker, fork server and `python -m bot` the tests start would otherwise compile the project
# and rewrite the test modules again, about 7 s of CPU each.
test: $(STAMP)
	@$(BIN)/python -m bot content check
	@$(BIN)/ruff check .
	@echo "Running the test suite: about 2 minutes on 2 cores ($$(test -n "$$TEST_DATABASE_URL" && echo "with PostgreSQL at TEST_DATABASE_URL" || echo "PostgreSQL tests skipped: TEST_DATABASE_URL is not set"))"
	@env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m pytest -q -n auto --maxschedchunk=1

lint: $(STAMP)
	@$(BIN)/ruff check .

bench: $(STAMP)
	@$(BIN)/python benchmarks/qa_speed.py

clean:
	rm -rf $(VENV)
