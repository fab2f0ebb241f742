# Countersign: `make run` starts everything with demo data; `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv

.PHONY: run test lint format bench clean

run:
	@./scripts/run

test:
	@./scripts/test

lint:
	@$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

format:
	@$(VENV)/bin/ruff check --fix . && $(VENV)/bin/ruff format .

clean:
	rm -rf var/broker var/*.sqlite3*
