#!/usr/bin/env bash
# The last two legs of `make test` side by side: the Go tests on a
# throw-away PostgreSQL and the browser tests. The first is one long
# package (the server's, ~6 min) on one core, the second a browser and a
# demo server that mostly wait on each other: run one after the other they
# left a core idle for most of the PostgreSQL leg. The browser tests print
# as they go; the PostgreSQL leg's output is printed when both are done.
# Fails if either fails. The browser tests run BROWSER_JOBS files at a time
# (default 2): each file has its own demo server (on a port the kernel
# picks), data directory and browser profile, and most of a file's time is
# spent waiting on its server and browser.
#
#   BROWSER_JOBS=2 scripts/pg-beside-browser.sh GO
set -uo pipefail
go=${1:-go}
log=$(mktemp /tmp/civicgrid-pg-tests.XXXXXX)
trap 'rm -f "$log"' EXIT
bash scripts/with-postgres.sh "$go" test -count=1 -timeout 30m ./... >"$log" 2>&1 &
pg=$!
CIVICGRID_BIN=bin/civicgrid node --test --test-concurrency="${BROWSER_JOBS:-2}" tests/browser/
browser=$?
wait "$pg"
postgres=$?
echo "--- Go tests on PostgreSQL (run beside the browser tests) ---"
cat "$log"
echo "--- browser tests: exit $browser; Go tests on PostgreSQL: exit $postgres ---"
[ "$browser" -eq 0 ] && [ "$postgres" -eq 0 ]
