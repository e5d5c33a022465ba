# The two quick-start commands are `make demo` and `make test`; everything they need is built or installed here.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PY := .venv/bin/python
CLUSTER := $(PY) tests/cluster/cluster.py

.PHONY: help venv lint types unit e2e test chromium cluster olm cluster-down cluster-status demo bench clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

venv: ## Create .venv (pinned tools, olm-gather editable); seconds when warm
	@bash hack/venv.sh

lint: venv ## ruff check, format check, and the import layering (import-linter)
	.venv/bin/ruff check src tests bench
	.venv/bin/ruff format --check src tests bench
	.venv/bin/lint-imports --no-cache

types: venv ## mypy --strict on src/
	.venv/bin/mypy

unit: venv ## Unit tests (no cluster)
	.venv/bin/pytest tests/unit -q

cluster: venv ## Start (or reuse) the local control plane; OLM=1 adds OLM and the test catalog
	$(CLUSTER) up $(if $(filter 1,$(OLM)),--olm)

olm: venv ## The local control plane with OLM and the test catalog
	$(CLUSTER) up --olm

cluster-down: venv ## Stop every process the local clusters started (also the OLM-less one of the e2e tests)
	$(CLUSTER) down
	OLM_GATHER_CLUSTER_DIR=.cluster/plain $(CLUSTER) down

cluster-status: venv ## What the local cluster runs and whether it answers
	$(CLUSTER) status

e2e: olm ## End-to-end tests against the local cluster with real OLM
	.venv/bin/pytest tests/e2e -q

test: lint types chromium ## Lint, types, unit, e2e and browser tests (builds and starts what is missing)
	$(CLUSTER) up --olm
	.venv/bin/pytest tests -q

chromium: ## Debian's chromium, for the browser test of report.html
	@test -x /usr/bin/chromium || { apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null; }

demo: olm ## Local cluster with OLM and sample operators, then a real gather and its summary
	$(PY) tests/cluster/demo.py

bench: venv ## olm-gather vs kubectl through a 25 ms proxy, on the OLM-less cluster (BENCH_ARGS="--breakdown ...")
	OLM_GATHER_CLUSTER_DIR=.cluster/plain $(CLUSTER) up
	$(PY) bench/run.py $(BENCH_ARGS)

clean: cluster-down ## Stop the cluster and remove local state
	rm -rf .cluster must-gather.local.*
