#!/usr/bin/env bash
# Starts `civicgrid demo` on a fresh data directory and exits as soon as it
# answers /healthz: time this script to measure "demo ready to serve"
# (seeding the city included), e.g. with `hyperfine scripts/demo-ready.sh`.
set -euo pipefail
bin=${CIVICGRID_BIN:-bin/civicgrid}
port=${PORT:-18181}
data=$(mktemp -d)
"$bin" demo --data "$data" --addr "127.0.0.1:$port" >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 2000); do
	curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && exit 0
	sleep 0.005
done
echo "demo did not become ready in 10 s" >&2
exit 1
