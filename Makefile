# Two commands on a fresh clone: `make demo` and `make test`. Everything installs into .venv.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: demo test lint migrations-check messages install install-dev clean bench soak mutation screenshots

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(VENV)/bin/pip install -q -e '.[local]'
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(VENV)/bin/python
	$(VENV)/bin/pip install -q -e '.[local,dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Test-only JavaScript: axe-core for the browser tests' accessibility check, as package-lock.json pins it.
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --ignore-scripts --no-audit --no-fund && touch $@; \
	else echo "npm not found: the accessibility checks are skipped (CI installs npm; under CI=true they fail)"; fi

# Without DATABASE_URL, the checkout's own PostgreSQL (localdb.py, data in .pgdata/) runs while the command does.
WITH_DB = $(if $(DATABASE_URL),,$(PY) localdb.py)

# Inline Celery unless REDIS_URL says otherwise. SITE_URL is where it serves, for the links seeding stores and prints
# and for those the server sends; e-mail and SMS go to one file, .demo/outbox.txt, unless EMAIL_URL /
# SMS_GATEWAY_URL say otherwise.
demo: install
	$(WITH_DB) env SITE_URL=http://127.0.0.1:$(PORT) DEMO_OUTBOX=.demo/outbox.txt bash -c '$(PY) manage.py migrate \
	  --noinput -v 0 && $(PY) manage.py seed_demo && exec $(PY) manage.py runserver 127.0.0.1:$(PORT)'

test: install-dev node_modules/.installed
	$(WITH_DB) $(VENV)/bin/pytest

# The README's pictures (docs/screenshots/), taken by the journey tests; a plain test run keeps its own copies.
# Chinese text needs a CJK font (Debian: fonts-wqy-microhei), or it prints as boxes.
JOURNEYS = tests/e2e/test_counselor_day.py tests/e2e/test_parent_booking.py tests/e2e/test_student_form.py \
	tests/e2e/test_official_dashboard.py
screenshots: install-dev
	@fc-list :lang=zh | grep -q . || { echo "no Chinese font: apt-get install fonts-wqy-microhei"; exit 1; }
	$(WITH_DB) env SCREENSHOTS=1 $(VENV)/bin/pytest -p no:randomly $(JOURNEYS)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy portal crisis screening counseling training dashboards privacy bench localdb.py

migrations-check: install-dev
	$(WITH_DB) $(PY) manage.py makemigrations --check --dry-run

# Needs gettext (xgettext, msgfmt). The compiled .mo files are committed, so a fresh clone shows Chinese without it.
messages: install-dev
	$(PY) manage.py makemessages -l zh_Hans -l en --no-obsolete --add-location file
	$(PY) manage.py compilemessages

# Mutation testing of the scoring, the instrument definitions and the suppression ([tool.mutmut] in pyproject.toml;
# a few minutes, not part of CI). The scores and every surviving mutant are explained in docs/testing.md.
mutation: install-dev
	$(VENV)/bin/pip install -q mutmut==3.8.1  # as pinned in pyproject.toml's "mutation" extra
	rm -rf mutants
	$(VENV)/bin/mutmut run --max-children 2
	$(VENV)/bin/mutmut results --all true | awk -F': ' '{split($$1, p, ".x"); m = p[1]; gsub(/ /, "", m); n[m]++; \
	  if ($$2 == "killed" || $$2 == "timeout") k[m]++; else print "  left: " $$1 " (" $$2 ")"} \
	  END {for (m in n) printf "%s: %d of %d mutants killed (%.1f %%)\n", m, k[m], n[m], 100 * k[m] / n[m]}'

# Against PostgreSQL and Redis as in CI, in a database of its own (its generated district is kept between runs).
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/portal_bench
bench: install-dev
	@command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	createdb -h 127.0.0.1 -U postgres portal_bench 2>/dev/null || true
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/0} $(PY) -m bench

# 30 minutes of mixed traffic through gunicorn and real workers (SOAK_SECONDS to change): 0 server errors,
# p95 < 500 ms, flat memory. Same database and tools as make bench.
SOAK_SECONDS ?= 1800
soak: install-dev
	@command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	createdb -h 127.0.0.1 -U postgres portal_bench 2>/dev/null || true
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/0} $(PY) -m bench.soak $(SOAK_SECONDS)

clean:
	rm -rf $(VENV) .pgdata staticfiles node_modules
