# The two set-up commands: `make run` and `make test`. Both create and reuse .venv.
# The first Python 3.11/3.12 that really runs (a pyenv shim may exist but not run).
PYTHON ?= $(shell for p in python3.11 python3.12 python3; do \
	$$p -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 12))' 2>/dev/null \
	&& { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# `make run` installs only what serving needs (no test tools, no PySpark): its own stamp.
RUN_STAMP := $(VENV)/.installed-run
LINTED := $(wildcard cds tests bench fhir_examples)

.PHONY: run test browser postgres lint typecheck audit copycheck check-build clean

run: $(RUN_STAMP)
	$(BIN)/cds serve

test: $(STAMP) lint typecheck audit copycheck browser postgres
	$(BIN)/pytest -q

# Headless Chromium for tests/review/test_report_browser.py and tests/e2e/test_sandbox.py
# (Playwright drives this Debian build; it never downloads a browser): installed when missing.
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif ! command -v apt-get >/dev/null 2>&1; then \
		echo "No /usr/bin/chromium and no apt-get: the browser tests (report.html, CDS Hooks Sandbox) will be skipped"; \
	elif [ "$$(id -u)" != 0 ]; then \
		echo "No /usr/bin/chromium and not root (run: apt-get install chromium): the browser tests (report.html, CDS Hooks Sandbox) will be skipped"; \
	else \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	fi

# PostgreSQL for the store tests (tests/support/postgres.py starts its own server from Debian's
# initdb/pg_ctl): installed when missing. With CDS_REQUIRE_POSTGRES=1 (CI) a missing server
# fails those tests instead of skipping them.
postgres:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; then :; \
	elif ! command -v apt-get >/dev/null 2>&1; then \
		echo "No PostgreSQL (initdb) and no apt-get: the PostgreSQL store tests will be skipped"; \
	elif [ "$$(id -u)" != 0 ]; then \
		echo "No PostgreSQL (initdb) and not root (run: apt-get install postgresql): the PostgreSQL store tests will be skipped"; \
	else \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql; \
	fi

# Own words: no run of 8 words may be shared with the copyrighted source sheet (the checker
# holds only hashes of the sheet's 8-word runs). Any match fails the build.
COPYCHECK ?= ../shared/tools/copycheck.py
copycheck:
	@if [ -f "$(COPYCHECK)" ]; then \
		python3 "$(COPYCHECK)"; \
	elif [ "$${CDS_REQUIRE_COPYCHECK:-0}" = 1 ]; then \
		echo "copycheck FAILED: $(COPYCHECK) not found" >&2; exit 1; \
	else \
		echo "WARNING: COPY CHECK NOT RUN: $(COPYCHECK) not found (set COPYCHECK=path/to/copycheck.py)" >&2; \
	fi

lint: $(STAMP)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/ruff check $(LINTED)

typecheck: $(STAMP)
	$(BIN)/mypy

# bandit: security lint of cds/ (skips justified in [tool.bandit], pyproject.toml). pip-audit:
# known vulnerabilities of every installed package (our editable one aside), from PyPI's
# per-release JSON API; if that cannot be reached the target fails and says so: an
# environment that could not be audited is not a pass.
AUDIT_API := https://pypi.org/pypi/pip/$$($(BIN)/python -m pip --version | cut -d' ' -f2)/json
audit: $(STAMP)
	$(BIN)/bandit -q -r cds -c pyproject.toml
	@if $(BIN)/python -c 'import sys, urllib.request as u; u.urlopen(sys.argv[1], timeout=20).close()' \
		"$(AUDIT_API)" 2>/dev/null; then \
		$(BIN)/pip-audit --strict --vulnerability-service pypi --skip-editable; \
	elif [ "$${CDS_REQUIRE_AUDIT:-0}" = 1 ]; then \
		echo "audit FAILED: PyPI's vulnerability API ($(AUDIT_API)) cannot be reached" >&2; exit 1; \
	else \
		echo "WARNING: DEPENDENCY AUDIT NOT RUN: PyPI's vulnerability API ($(AUDIT_API)) cannot be reached from this machine; set CDS_REQUIRE_AUDIT=1 to make that an error" >&2; \
	fi

check-build:
	@test -n "$(PYTHON)" || { echo "Python 3.11 or 3.12 is needed (durable-rules 2.0.28 does not import on 3.13)" >&2; exit 2; }
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; sys.exit(0 if (3, 11) <= v <= (3, 12) else "Python 3.11 or 3.12 is needed (durable-rules 2.0.28 does not import on 3.13); found %d.%d" % v)'
	@command -v cc >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1 || { echo "A C compiler is needed to build durable-rules from its sdist: install gcc (Debian: apt-get install gcc)" >&2; exit 2; }
	@$(PYTHON) -c 'import sysconfig, os, sys; h = os.path.join(sysconfig.get_paths()["include"], "Python.h"); sys.exit(0 if os.path.exists(h) else "Python headers are needed to build durable-rules (Debian: apt-get install python3-dev)")'

$(RUN_STAMP): pyproject.toml | check-build
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	touch $(RUN_STAMP)

# The tests also need the test tools and the `spark` extra (the Spark engine's tests).
$(STAMP): pyproject.toml | check-build
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,spark]'
	touch $(STAMP) $(RUN_STAMP)

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
