# leadloop — the two commands: `make up` starts the whole system, `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV_PYTHON_DOWNLOADS := never
UV_COMPILE_BYTECODE := 1
export UV_PYTHON_DOWNLOADS UV_COMPILE_BYTECODE
VENV := .venv/bin

.PHONY: help up down logs status test test-unit lint docs docs-build schemas demo screenshots bench install infra rebuild-reporting

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

up: ## install what is missing, start Kafka, PostgreSQL and the five services, wait until ready
	@deploy/up.sh

down: ## stop the services, Kafka and PostgreSQL that `make up` started
	@deploy/services.sh stop
	@deploy/kafka.sh stop
	@deploy/postgres.sh stop
	@echo "leadloop is down"

logs: ## follow every service's log (Ctrl-C to stop)
	@tail -n 50 -F .run/logs/{capture,scoring,routing,sla-monitor,reporting}.log

status: ## each service's /readyz
	@deploy/services.sh status

install: ## install dependencies only (apt, uv, Maven)
	@deploy/install.sh

infra: install ## start PostgreSQL and Kafka only
	@deploy/postgres.sh start
	@deploy/kafka.sh start

test: infra lint docs-build ## lint, build the docs strictly, then every test: unit, integration, system (starts Kafka and PostgreSQL if needed)
	@deploy/postgres.sh reset-test-dbs >/dev/null
	@$(VENV)/python -m leadkit.admin create-topics --prefix test. --privacy-window-seconds 20 >/dev/null
	@$(VENV)/pytest

test-unit: ## the pure tests only, no infrastructure
	@$(VENV)/pytest -m "not integration and not system"

lint: install ## ruff and mypy
	@$(VENV)/ruff check .
	@$(VENV)/ruff format --check .
	@$(VENV)/mypy

docs: install ## serve the reference site (docs/) at http://127.0.0.1:8000
	@NO_MKDOCS_2_WARNING=1 $(VENV)/mkdocs serve --dev-addr 127.0.0.1:8000

docs-build: install ## build the reference site with --strict: a broken link or anchor fails
	@NO_MKDOCS_2_WARNING=1 $(VENV)/mkdocs build --strict --quiet

schemas: ## regenerate the JSON Schema and AsyncAPI files from the event models
	@$(VENV)/python -m lead_schemas.generate

bench: infra ## measure throughput, latency, CPU per lead and memory → bench/results/latest.json
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
	@deploy/postgres.sh reset-bench-dbs >/dev/null
	@$(VENV)/python bench/run.py

rebuild-reporting: ## rebuild reporting's projection from the topics alone (stops and restarts reporting)
	@deploy/services.sh stop reporting
	@$(VENV)/python -m reporting.rebuild
	@$(VENV)/python -m reporting.refresh
	@deploy/services.sh start reporting

demo: ## post realistic leads and sales progress to the running system, print the funnel
	@$(VENV)/python deploy/demo.py

screenshots: ## PNGs of the console's screens from the running system (make up, make demo first) → docs/screenshots/
	@$(VENV)/python deploy/screenshots.py
