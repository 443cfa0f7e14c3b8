#!/usr/bin/env bash
# Starts `civicgrid demo` on a fresh data directory and exits as soon as it
# answers /healthz: time this script to measure "demo ready to serve"
# (seeding the city included), e.g. with `hyperfine scripts/demo-ready.sh`.
# PAST_DAYS=180 gives the city the past `make demo` gives it; DEMO_READY_STATS=1
# prints the demo's CPU time and I/O counters (Linux /proc) when it answers.
set -euo pipefail
bin=${CIVICGRID_BIN:-bin/civicgrid}
port=${PORT:-18181}
data=$(mktemp -d)
"$bin" demo --data "$data" --addr "127.0.0.1:$port" --past-days "${PAST_DAYS:-0}" >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 24000); do
	if curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then
		if [ -n "${DEMO_READY_STATS:-}" ]; then
			# The demo's own CPU (user, system) and I/O counters when it answers.
			tck=$(getconf CLK_TCK)
			awk -v t="$tck" '{printf "cpu user %.2f s, system %.2f s; ", $14/t, $15/t}' "/proc/$pid/stat" >&2
			awk '/^(syscr|syscw|wchar|write_bytes):/{printf "%s %s ", $1, $2}' "/proc/$pid/io" >&2
			echo >&2
		fi
		exit 0
	fi
	sleep 0.005
done
echo "demo did not become ready in 2 minutes" >&2
exit 1
