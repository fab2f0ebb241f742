# Countersign: `make run` starts everything with demo data; `make test` runs the whole suite;
# `make serve` is the production stack (DEBUG=0, settings from the environment).
PYTHON ?= python3
VENV ?= .venv

.PHONY: run serve test fuzz lint format bench clean

run:
	@./scripts/run

serve:
	@./scripts/serve

test:
	@./scripts/test

fuzz:  # the policy engine's long fuzz run (README: Tests); make test builds the venv first
	@test -x $(VENV)/bin/python || { echo "make fuzz: run make test first (it builds $(VENV))"; exit 2; }
	@$(VENV)/bin/python -c "import os, sys; v = os.environ.get('FUZZ_SCALE', '1'); \
		ok = v.replace('.', '', 1).isdigit() and 0 < float(v) < 1000; \
		ok or sys.exit(f'make fuzz: FUZZ_SCALE must be a number above 0 and below 1000 (1: the full run), not {v!r}')"
	@$(VENV)/bin/python -m pytest -q -o python_files='fuzz_*.py' tests/fuzz

lint:
	@$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

format:
	@$(VENV)/bin/ruff check --fix . && $(VENV)/bin/ruff format .

clean:
	rm -rf var/broker var/*.sqlite3* var/staticfiles
