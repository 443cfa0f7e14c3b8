#!/usr/bin/env bash
# Intake throughput with 1 and with 3 civicgrid instances (separate
# processes) sharing one PostgreSQL database, for two builds side by side:
# BEFORE (a civicgrid binary to compare with) and AFTER (default
# bin/civicgrid), alternating, ROUNDS times (default 3), each run on a fresh
# copy of the demo city. The load is `civicgrid-soak intake` in its own
# process: CLIENTS (default 32) reports in flight at once, round robin over
# the instances, for DURATION (default 20s) after WARMUP (default 10s: the
# instances also catch up on the demo's staged past as they start). Prints each
# run's rate, then the medians. Run it under scripts/with-postgres.sh:
#
#   BEFORE=/tmp/civicgrid-main scripts/with-postgres.sh scripts/intake-instances.sh
set -euo pipefail
cd "$(dirname "$0")/.."
: "${CIVICGRID_TEST_POSTGRES:?run it under scripts/with-postgres.sh}"
before=${BEFORE:?BEFORE must name the civicgrid binary to compare with}
after=${AFTER:-bin/civicgrid}
rounds=${ROUNDS:-3}
duration=${DURATION:-20s}
clients=${CLIENTS:-32}
warmup=${WARMUP:-10s}
server=${CIVICGRID_TEST_POSTGRES%%\?*}
server=${server%/*} # postgres://user@host:port
psql=/usr/lib/postgresql/15/bin/psql
go build -o bin/civicgrid-soak ./cmd/civicgrid-soak
work=$(mktemp -d /tmp/civicgrid-instances.XXXXXX)
pids=()
stop() {
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	pids=()
}
trap 'stop; rm -rf "$work"' EXIT
sql() { "$psql" -qAt "$CIVICGRID_TEST_POSTGRES" -c "$1"; }
port=$((30000 + RANDOM % 20000))
serve() { # serve BINARY DATABASE PORT [COMMAND]
	"$1" "${4:-serve}" --db "$server/$2?sslmode=disable" --data "$work/data" --addr "127.0.0.1:$3" >>"$work/$2.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 600); do
		curl -sf "http://127.0.0.1:$3/healthz" >/dev/null && return 0
		sleep 0.5
	done
	echo "civicgrid did not start: see $work/$2.log" >&2
	return 1
}
# The demo city once (accounts, areas, catalogue, its staged past), copied
# for every run.
sql "CREATE DATABASE seed"
serve "$after" seed "$port" demo
stop
declare -A rates
run=0
for r in $(seq "$rounds"); do
	for build in before after; do
		bin=$before
		[ "$build" = after ] && bin=$after
		for n in 1 3; do
			run=$((run + 1))
			db=run$run
			sql "CREATE DATABASE $db TEMPLATE seed"
			urls=()
			for i in $(seq "$n"); do
				serve "$bin" "$db" $((port + i))
				urls+=("http://127.0.0.1:$((port + i))")
			done
			out=$(bin/civicgrid-soak intake --urls "$(IFS=,; echo "${urls[*]}")" --clients "$clients" --duration "$duration" --warmup "$warmup" --label "round $r $build")
			echo "$out"
			rates[$build$n]+="$(echo "$out" | awk '{for (i = 1; i < NF; i++) if ($(i+1) == "cases/s,") print $i}') "
			stop
			sql "DROP DATABASE $db"
		done
	done
done
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
for build in before after; do
	for n in 1 3; do
		# shellcheck disable=SC2086
		printf 'median %s, %d instance(s): %s cases/s (runs: %s)\n' "$build" "$n" "$(median ${rates[$build$n]})" "${rates[$build$n]% }"
	done
done
