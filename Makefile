# ServiceHall: two commands. `make run` sets everything up and starts the server and the
# background loop; `make test` sets up and runs the whole suite (browser tests included).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PY_STAMP := $(VENV)/.installed
JS_STAMP := node_modules/.installed
VENDOR := var/vendor/echarts.min.js var/vendor/htmx.min.js

.PHONY: run test lint bench screenshots setup browser clean

setup: $(PY_STAMP) $(VENDOR)

$(PY_STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

$(JS_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

var/vendor/echarts.min.js: $(JS_STAMP)
	mkdir -p var/vendor && cp node_modules/echarts/dist/echarts.min.js $@

var/vendor/htmx.min.js: $(JS_STAMP)
	mkdir -p var/vendor && cp node_modules/htmx.org/dist/htmx.min.js $@

run: setup
	./scripts/run

browser:
	./scripts/ensure-browser

test: setup browser lint
	$(PY) -m pytest

lint: setup
	$(VENV)/bin/ruff check servicehall bench e2e scripts conftest.py manage.py

# Every device page and printed document of the demo at its real size, into var/screenshots/.
screenshots: setup browser
	$(PY) scripts/screenshots.py

bench: setup
	$(PY) bench/run.py
	@if [[ "$${DATABASE_URL:-}" == postgres://* || "$${DATABASE_URL:-}" == postgresql://* ]]; then \
		status=0; \
		$(PY) bench/queue.py || status=$$?; \
		$(PY) bench/cases.py || status=$$?; \
		$(PY) bench/supervision.py || status=$$?; \
		$(PY) bench/attendance.py || status=$$?; \
		$(PY) bench/attendance_sheets.py || status=$$?; \
		exit $$status; \
	else \
		echo "# queue benchmark skipped: bench/queue.py needs DATABASE_URL=postgres://... (it refuses SQLite); run it with"; \
		echo "#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/servicehall make bench   (or: $(PY) bench/queue.py with that variable set)"; \
		echo "# cases benchmark skipped: bench/cases.py needs PostgreSQL too (or: $(PY) bench/cases.py with that variable set)"; \
		echo "# supervision benchmark skipped: bench/supervision.py needs PostgreSQL too"; \
		echo "# attendance benchmark skipped: bench/attendance.py needs PostgreSQL too"; \
		echo "# attendance sheets benchmark skipped: bench/attendance_sheets.py needs PostgreSQL too"; \
	fi

clean:
	rm -rf $(VENV) node_modules var
