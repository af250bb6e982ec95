# Two commands: `make run` and `make test`. Both create the virtualenv when it is missing.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test venv node lint fmt clean

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit("Pledgeproof needs Python 3.11 or newer; set PYTHON=...") if sys.version_info < (3, 11) else None'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# axe-core for the accessibility test (tests/browser/test_accessibility.py), pinned in package-lock.json.
node: node_modules/.installed

node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else \
		echo "npm not found: the accessibility test will skip (and fail under CI=true)"; \
	fi

# DEBUG is off unless set (config/settings.py); a local run wants it on: the development secret key,
# static files served by runserver, and seed_demo's known demo passwords. The periodic jobs (deadline
# reminders, the stuck-PDF sweep) run in run_scheduler beside runserver, in one shell that stops it
# however runserver ends; with no broker, nothing else would run them.
run: export DEBUG = 1
run: export EMAIL_FILE_PATH ?= var/emails
run: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py init_signing_key
	$(PY) manage.py load_frameworks
	$(PY) manage.py seed_demo
	@echo "Serving on http://$(HOST):$(PORT)/ with the periodic jobs (run_scheduler) beside it (Ctrl-C stops both)"
	@echo "Emails are written to $(EMAIL_FILE_PATH)/ (one file per process run), not sent."
	@$(PY) manage.py run_scheduler & scheduler=$$!; \
	trap 'kill $$scheduler 2>/dev/null; wait $$scheduler 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver $(HOST):$(PORT)

# Two test processes (pytest-xdist), one per core of the machines this runs on; PYTEST_WORKERS=0 runs
# the suite in one process.
PYTEST_WORKERS ?= 2

test: venv node
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache
