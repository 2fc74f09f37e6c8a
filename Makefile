# The README's commands. `make demo` sets up and starts the demo clinic; `make test` runs everything.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

# Migrate the embedded SQLite database in ./data, load the synthetic demo clinic, serve on :8000.
demo: $(STAMP)
	DEBUG=true $(BIN)/cadence demo

# The whole suite: unit, integration and browser tests (set DATABASE_URL to run on PostgreSQL).
test: $(STAMP)
	$(BIN)/pytest --create-db

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=true $(BIN)/mypy cadence
	$(BIN)/lint-imports
	DEBUG=true $(BIN)/cadence makemigrations --check --dry-run
	$(BIN)/bandit -c pyproject.toml -r cadence -q

bench: $(STAMP)
	$(BIN)/python bench/patients.py
	$(BIN)/python bench/attendance.py
	$(BIN)/python bench/notes.py
	$(BIN)/python bench/outcomes.py

clean:
	rm -rf $(VENV) data/*.sqlite3* .pytest_cache .mypy_cache .ruff_cache
