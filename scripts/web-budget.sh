#!/usr/bin/env bash
# Benchmark of the web UI's time to usable (not part of `make test`: timing
# checks never go into the tests). Serves the demo with the built binary,
# loads the report page RUNS times (default 3) under an emulated slow 4G
# network and prints each run and the median in ms; writes
# test-artifacts/web-budget-bench.json. The budgets that do not depend on
# the machine's speed (bytes, requests, chain depth, origins) are asserted
# by the browser tests (tests/browser/caseloop.test.mjs).
#
#   make build && RUNS=3 bash scripts/web-budget.sh
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x "${CIVICGRID_BIN:-bin/civicgrid}" ] || { echo "web-budget: build first (make build)" >&2; exit 1; }
bash scripts/install-browser-deps.sh
CIVICGRID_BIN=${CIVICGRID_BIN:-bin/civicgrid} RUNS=${RUNS:-3} node --test tests/bench/web-budget.mjs
