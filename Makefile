# Two commands for a new user: `make run` and `make test`. Both create the environment first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
JS := interop/js

.PHONY: run demo test lint typecheck pytest bench js clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The JavaScript reference stack, for interop tests and the benchmark; skipped where Node is absent.
js:
	@if command -v npm >/dev/null 2>&1; then \
	  if [ ! -d $(JS)/node_modules ] || [ $(JS)/package-lock.json -nt $(JS)/node_modules ]; then \
	    (cd $(JS) && npm ci --silent --no-audit --no-fund) && touch $(JS)/node_modules; \
	  fi; \
	else echo "npm not found: interop tests will skip"; fi

run: $(STAMP)
	$(BIN)/microcred serve --demo

# The offline library demo: key, credential, baked PNG, verification; no server.
demo: $(STAMP)
	$(BIN)/microcred demo --out demo-output

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy src

pytest: $(STAMP) js
	$(BIN)/pytest

test: lint typecheck pytest

bench: $(STAMP) js
	$(BIN)/python bench/run.py
	$(BIN)/python bench/unsigned_bench.py
	$(BIN)/python bench/ledger_bench.py
	$(BIN)/python bench/log_store_bench.py --quick
	$(BIN)/python bench/bulk_bench.py --count 100000
	$(BIN)/python bench/bulk_jobs_bench.py
	$(BIN)/python bench/smtp_bench.py
	$(BIN)/python bench/verify_inputs_bench.py
	$(BIN)/python bench/verify_shapes_bench.py
	$(BIN)/python bench/pages_bench.py
	$(BIN)/python bench/wallet_bench.py
	$(BIN)/python bench/europass_bench.py
	$(BIN)/python bench/pathways_bench.py
	$(BIN)/python bench/pathways_cascade_bench.py --learners 10000
	$(BIN)/python bench/careers_bench.py
	$(BIN)/python bench/hostile_canon_bench.py
	$(BIN)/python bench/lms_bench.py
	$(BIN)/python bench/employer_search_bench.py
	$(BIN)/python bench/employer_presentations_bench.py
	$(BIN)/python bench/load_bench.py
	$(BIN)/python bench/badge_bench.py
	$(BIN)/python bench/translations_bench.py

clean:
	rm -rf $(VENV) demo-output microcred-data $(JS)/node_modules
