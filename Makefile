# Contentum CRM: the two commands a newcomer needs (`make run`, `make test`) and the rest.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format bench kafka-start kafka-stop clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)  ## the whole CRM in one process on http://127.0.0.1:8000
	$(BIN)/crm run

test: $(STAMP)  ## every test: real PostgreSQL (embedded) and real Kafka (started when needed)
	$(BIN)/pytest

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

kafka-start:
	deploy/local/kafka start

kafka-stop:
	deploy/local/kafka stop

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
