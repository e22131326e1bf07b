# Everything a user runs. The first target that needs it creates .venv and installs the
# project into it (editable), so a fresh clone needs only Python 3.11+ and make.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
STAMP = $(VENV)/.installed

.PHONY: demo test serve worker scheduler simulator setup lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres,prod]'
	touch $(STAMP)

demo: $(STAMP)          ## the whole main job on the embedded default, then where to look
	$(BIN)/singlewindow demo

test: $(STAMP)          ## the test suite (DATABASE_URL / REDIS_URL select PostgreSQL / Redis)
	$(BIN)/python -m pytest

serve: $(STAMP)         ## web app + simulated agency (+ scheduler when there is no Redis)
	$(BIN)/singlewindow serve

worker: $(STAMP)        ## rq worker on every queue (needs REDIS_URL)
	$(BIN)/singlewindow worker

scheduler: $(STAMP)     ## periodic work: outbox relay and retries (production shape)
	$(BIN)/singlewindow scheduler

simulator: $(STAMP)     ## the simulated agency service on its own
	$(BIN)/singlewindow simulator

setup: $(STAMP)         ## create or upgrade the database and load reference data
	$(BIN)/singlewindow setup

bench: $(STAMP)         ## benchmarks (set BENCH_DATABASE_URL and BENCH_REDIS_URL for the production shape)
	$(BIN)/python infra/bench/provisioning.py
	$(BIN)/python infra/bench/tenant_scale.py
	$(BIN)/python infra/bench/validation.py

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) instance build dist *.egg-info test-artifacts
