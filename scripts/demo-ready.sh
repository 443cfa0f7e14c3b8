#!/usr/bin/env bash
# Starts `civicgrid demo` on a fresh data directory and exits as soon as it
# answers /healthz: time this script to measure "demo ready to serve"
# (seeding the city included), e.g. with `hyperfine scripts/demo-ready.sh`.
# PAST_DAYS=180 gives the city the past `make demo` gives it.
set -euo pipefail
bin=${CIVICGRID_BIN:-bin/civicgrid}
port=${PORT:-18181}
data=$(mktemp -d)
"$bin" demo --data "$data" --addr "127.0.0.1:$port" --past-days "${PAST_DAYS:-0}" >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 24000); do
	curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && exit 0
	sleep 0.005
done
echo "demo did not become ready in 2 minutes" >&2
exit 1
