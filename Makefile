# The two commands: `make run` (the site with demo data) and `make test` (the whole suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test install bench migrate clean

$(PY):
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	@touch $(STAMP)

install: $(STAMP)

## make run: web + worker + beat on SQLite with demo data at http://localhost:8000
run: $(STAMP)
	$(PY) scripts/run.py

## make test: the whole suite (PostgreSQL when DATABASE_URL points at one; .ci/run does)
test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

## make bench: every benchmark in bench/, printing figures
bench: $(STAMP)
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) db.sqlite3 var
