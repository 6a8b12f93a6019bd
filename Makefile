# Everything runs in a local virtual environment that the first target creates.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
#: The suite runs on every core (pytest-xdist), one test file per worker at a time.
PYTEST_ARGS ?=
PARALLEL ?= -n auto --dist loadfile

.PHONY: demo test lint typecheck migrations-check check bench clean screenshots

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

## A complete interview on the embedded default (SQLite file, offline AI).
demo: $(STAMP)
	$(BIN)/interview-orchestrator demo

## The test suite (PostgreSQL tests run when TEST_POSTGRES_URL is set; browser tests when
## Chromium is installed).
test: $(STAMP)
	$(BIN)/python -m pytest $(PARALLEL) $(PYTEST_ARGS)

## The pages' screenshots in docs/screenshots/ (the browser tests, with Chromium installed).
screenshots: $(STAMP)
	UPDATE_SCREENSHOTS=1 $(BIN)/python -m pytest -q tests/browser

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

typecheck: $(STAMP)
	$(BIN)/mypy src

## `alembic check` on a freshly migrated SQLite database: models and migrations agree.
migrations-check: $(STAMP)
	rm -f var/migrations-check.db
	$(BIN)/interview-orchestrator --database-url sqlite:///var/migrations-check.db db upgrade
	$(BIN)/interview-orchestrator --database-url sqlite:///var/migrations-check.db db check
	INTERVIEW_DATABASE_URL=sqlite:///var/migrations-check.db $(BIN)/alembic check

check: lint typecheck migrations-check test

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis

## Evaluation quality on simulated candidates (offline; openai too when OPENAI_API_KEY is set):
## writes the "Evaluation quality" section of bench/RESULTS.md.
.PHONY: bench-eval
bench-eval: $(STAMP)
	$(BIN)/python -m bench.eval_quality --write bench/RESULTS.md

## The benchmark: bench/RESULTS.md and bench/results.json (python -m bench --help for the flags).
## PostgreSQL too with BENCH_POSTGRES_URL=postgresql://user@host:5432/db (scratch databases).
BENCH_ARGS ?=
bench: $(STAMP)
	$(BIN)/python -m bench --database-url sqlite:///bench/out/bench.db \
		$(if $(BENCH_POSTGRES_URL),--database-url $(BENCH_POSTGRES_URL)) $(BENCH_ARGS)

## The library beside two peer session stores (OpenAI Agents SDK, Google ADK), installed only
## for this benchmark in bench/.peers-venv: the "Peers" section of bench/RESULTS.md and
## bench/out/peers.json (flags: python -m bench.peers --help; PEERS_ARGS='--sessions 2000').
PEERS_VENV     ?= bench/.peers-venv
PEERS_PACKAGES ?= "openai-agents>=0.24" "google-adk>=2.13"
PEERS_ARGS     ?=
$(PEERS_VENV)/.installed-stamp:
	$(PYTHON) -m venv $(PEERS_VENV)
	$(PEERS_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(PEERS_VENV)/bin/python -m pip install --quiet $(PEERS_PACKAGES)
	touch $@

.PHONY: bench-peers
bench-peers: $(STAMP) $(PEERS_VENV)/.installed-stamp
	$(BIN)/python -m bench.peers --peers-python $(PEERS_VENV)/bin/python \
		--write bench/RESULTS.md $(PEERS_ARGS)
