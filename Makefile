# The README's commands. Everything a fresh clone needs is installed into .venv.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.DEFAULT_GOAL := help
.PHONY: help demo test lint typecheck bench run clean locale

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -qq -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -qq -e ".[dev]"
	touch $(VENV)/.installed $@

demo: $(VENV)/.installed ## play the bundled article quiz in the terminal
	$(BIN)/quizbot demo

run: $(VENV)/.installed ## serve Telegram by long polling (needs TELEGRAM_BOT_TOKEN)
	$(BIN)/quizbot run

lint: $(VENV)/.installed-dev ## ruff lint and format check, and vulture for dead code
	$(BIN)/ruff check bot tests bench scripts
	$(BIN)/ruff format --check bot tests bench scripts
	$(BIN)/vulture bot vulture_allowlist.py --min-confidence 60 --exclude bot/migrations

locale: $(VENV)/.installed-dev ## extract the sentences, update every catalog, compile them (bot/locale)
	$(BIN)/python -m scripts.catalogs

typecheck: $(VENV)/.installed-dev ## mypy on bot/
	$(BIN)/mypy

# Test processes: one per core (each makes its own databases); `make test WORKERS=0` runs in one.
WORKERS ?= auto

test: lint ## lint, then the whole test suite (SQLite and PostgreSQL)
	$(BIN)/pytest -n $(WORKERS)

bench: $(VENV)/.installed-dev ## run the benchmarks and print their figures
	for b in bench/bench_*.py bench/draft_recall.py bench/simulate_cohort.py; do $(BIN)/python $$b || exit 1; done

clean: ## remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
