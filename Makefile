# Carnet: `make run` serves the demo, `make test` installs and passes everything.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PY := .venv/bin/python
VENV_STAMP := .venv/.installed-$(shell cat pyproject.toml requirements.lock | sha256sum | cut -c1-12)

.PHONY: help run test check fmt test-unit test-pg migrate bench system-deps lock clean

help: ## Show the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-12s %s\n", $$1, $$2}'

$(VENV_STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || python3 -m venv .venv
	@$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip 2>/dev/null
	@$(PY) -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev]' 2> >(grep -v "is ignored: it is neither" >&2)
	@rm -f .venv/.installed-* && touch $@

venv: $(VENV_STAMP)

run: venv ## Install, migrate, seed the demo on first start and serve on http://127.0.0.1:8000
	@$(PY) -m carnet.entrypoints.cli.main serve --demo

test: venv system-deps check ## Install everything, lint, type-check and run the whole suite
	@$(PY) -m pytest -n 2 --dist loadgroup -q $(PYTEST_ARGS); rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected"; exit 1; fi; exit $$rc

test-unit: venv ## Run only the unit tier
	@$(PY) -m pytest -q -m unit

test-pg: venv ## Run only the PostgreSQL tier (fails if no server is reachable)
	@CARNET_REQUIRE_POSTGRES=1 $(PY) -m pytest -q -m postgres

check: venv ## Format check, lint, types and the layer contracts
	@.venv/bin/ruff format --check --quiet src tests bench scripts
	@.venv/bin/ruff check --quiet src tests bench scripts
	@.venv/bin/mypy --no-error-summary
	@.venv/bin/lint-imports --no-cache --quiet 2>/dev/null || .venv/bin/lint-imports --no-cache

fmt: venv ## Format and auto-fix
	@.venv/bin/ruff format src tests bench scripts
	@.venv/bin/ruff check --fix --quiet src tests bench scripts || true

migrate: venv ## Apply database migrations (CARNET_DATABASE_URL, default SQLite under var/)
	@$(PY) -m carnet.entrypoints.cli.main db upgrade

bench: venv ## Run every benchmark; each prints one JSON line of figures last
	@for b in $$(ls bench/*.py | xargs -n1 basename | sed 's/\.py$$//' | grep -v '^_'); do echo "== bench.$$b"; $(PY) -m bench.$$b || exit 1; done

system-deps: ## Install the system packages the test tiers need (as root), or say how
	@bash scripts/system-deps.sh

lock: ## Re-resolve and pin the dependencies into requirements.lock
	@rm -rf .venv-lock && python3 -m venv .venv-lock && .venv-lock/bin/pip install --quiet -e '.[dev]' 2>/dev/null && .venv-lock/bin/pip freeze --exclude-editable | grep -v '^-e' > requirements.lock && rm -rf .venv-lock

clean: ## Remove the virtual environment and local data
	rm -rf .venv var/*.db var/*.db-* .pytest_cache .mypy_cache .ruff_cache
