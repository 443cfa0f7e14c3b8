#!/usr/bin/env bash
# Intake throughput with 1 and with 3 civicgrid instances (separate
# processes) sharing one PostgreSQL database, for two builds side by side:
# BEFORE (a civicgrid binary to compare with) and AFTER (default
# bin/civicgrid), alternating, ROUNDS times (default 3), each run on a fresh
# copy of the demo city. The load is `civicgrid-soak intake` in its own
# process: CLIENTS (default 32) reports in flight at once, round robin over
# the instances, for DURATION (default 20s) after WARMUP (default 10s: the
# instances also catch up on the demo's staged past as they start). Twice a
# second it also counts the database sessions waiting for an advisory lock
# (the case-log locks) and prints their mean over the run. Prints each
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
sqlon() { "$psql" -qAt "$server/$1?sslmode=disable" -c "$2"; } # sqlon DATABASE QUERY
port=$((30000 + RANDOM % 20000)) # next_port moves it on
serve() { # serve BINARY DATABASE PORT [COMMAND]; fails at once if the process ends (a port taken)
	"$1" "${4:-serve}" --db "$server/$2?sslmode=disable" --data "$work/data" --addr "127.0.0.1:$3" >>"$work/$2.log" 2>&1 &
	local pid=$!
	pids+=("$pid")
	for _ in $(seq 600); do
		kill -0 "$pid" 2>/dev/null || return 1
		curl -sf "http://127.0.0.1:$3/healthz" >/dev/null && return 0
		sleep 0.5
	done
	echo "civicgrid did not start: see $work/$2.log" >&2
	exit 1
}
next_port() { # a port nobody listens on, from port+1 up
	port=$((port + 1))
	while curl -s -o /dev/null "http://127.0.0.1:$port/"; do
		port=$((port + 1))
	done
}
cputime() { # CPU seconds the process has used so far
	awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"
}
# The demo city once (accounts, areas, catalogue, its staged past), then a
# server left on it until it idles (messages made from the past's events,
# deadlines passed), so that no run spends its time catching up; copied for
# every run.
sql "CREATE DATABASE seed"
next_port
serve "$after" seed "$port" demo
stop
serve "$after" seed "$port"
t0=$(date +%s)
busy=$(cputime "${pids[0]}")
for _ in $(seq 120); do
	sleep 5
	was=$busy
	busy=$(cputime "${pids[0]}")
	if [ "$(echo "$busy - $was < 0.25" | bc)" = 1 ]; then
		break
	fi
done
echo "the demo city caught up in $(($(date +%s) - t0)) s; $(sqlon seed "SELECT count(*) FROM cases") cases, $(sqlon seed "SELECT count(*) FROM case_events") events"
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
			for _ in $(seq "$n"); do
				next_port
				until serve "$bin" "$db" "$port"; do
					next_port # taken meanwhile by another process
				done
				urls+=("http://127.0.0.1:$port")
			done
			bin/civicgrid-soak intake --urls "$(IFS=,; echo "${urls[*]}")" --clients "$clients" --duration "$duration" --warmup "$warmup" \
				--label "round $r $build" >"$work/out" &
			load=$!
			waits=()
			while kill -0 "$load" 2>/dev/null; do
				waits+=("$(sql "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND wait_event = 'advisory'")")
				sleep 0.5
			done
			wait "$load"
			out=$(cat "$work/out")
			echo "$out, sessions waiting for a case-log lock: $(printf '%s\n' "${waits[@]}" | awk '{s += $1} END {printf "%.1f", s / NR}') on average"
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
