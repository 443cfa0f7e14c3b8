#!/usr/bin/env bash
# The scale suite (make soak): a store of SOAK_CASES cases (default 10⁶)
# built through the case service, then SOAK_DURATION (default 10m) of
# steady load — SOAK_REPORTS reports/s and SOAK_READS reads/s — from a
# load generator in its own process; the same load on an empty store first,
# as the baseline. Prints p50/p99 per minute, the server's RSS, the first
# report after a restart and every page and list, slowest first. Stores are
# kept in SOAK_DIR (default a temporary directory; the empty one is made anew
# each run); SOAK_DEBUG_ADDR=HOST:PORT
# serves the server's profiler there while it runs. An existing
# $SOAK_DIR/large is reused rather than built again. SOAK_STORES=empty (or
# large) runs one of the two. Before each load the
# server is left to catch up (deadlines passed while the store was idle,
# messages not yet made) until it idles, so the load meets a steady server.
set -euo pipefail

cases=${SOAK_CASES:-1000000}
duration=${SOAK_DURATION:-10m}
reports=${SOAK_REPORTS:-300}
reads=${SOAK_READS:-150}
dir=${SOAK_DIR:-$(mktemp -d /tmp/civicgrid-soak.XXXXXX)}
mkdir -p "$dir"
port=${SOAK_PORT:-18090}
url=http://127.0.0.1:$port

go build -o bin/civicgrid-soak ./cmd/civicgrid-soak
server=""
stop() {
	if [ -n "$server" ]; then
		kill "$server" 2>/dev/null || true
		wait "$server" 2>/dev/null || true
		server=""
	fi
}
trap stop EXIT
serve() { # serve DATA-DIR [demo]
	bin/civicgrid "${2:-serve}" --data "$1" --addr "127.0.0.1:$port" ${SOAK_DEBUG_ADDR:+--debug-addr "$SOAK_DEBUG_ADDR"} >"$1.log" 2>&1 &
	server=$!
	for _ in $(seq 600); do
		curl -sf "$url/healthz" >/dev/null && return 0
		sleep 0.5
	done
	echo "the server did not start: see $1.log" >&2
	return 1
}
seed_city() { # a demo city and its accounts, no cases
	[ -e "$1/civicgrid.db" ] && return 0
	serve "$1" demo
	stop
}
cputime() { # CPU seconds the process has used so far
	awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"
}
settle() { # wait until the server idles: a store left alone has deadlines and messages to catch up on
	local t0 before after
	t0=$(date +%s)
	after=$(cputime "$server")
	for _ in $(seq 120); do
		sleep 5
		before=$after
		after=$(cputime "$server")
		if [ "$(echo "$after - $before < 0.25" | bc)" = 1 ]; then
			break
		fi
	done
	echo "$1 caught up in $(($(date +%s) - t0)) s ($(cputime "$server") CPU s since start)"
}
run() { # run LABEL DATA-DIR
	local t0 t1
	t0=$(date +%s.%N)
	serve "$2"
	t1=$(date +%s.%N)
	echo "$1 server ready in $(echo "$t1 - $t0" | bc) s (migrations included)"
	# The first report right after the start (its category's duplicate
	# window is read then), before the server has caught up.
	bin/civicgrid-soak load --url "$url" --duration 1ms --reports 1 --reads 0 --unloaded=false --label "$1 (just started)" | grep 'first report'
	settle "$1"
	bin/civicgrid-soak load --url "$url" --duration "$duration" --reports "$reports" --reads "$reads" --pid "$server" --label "$1"
	stop
}

# The baseline's store starts empty every time: a store left by an earlier
# run holds its reports, whose response deadlines pass an hour later, and
# would measure an escalation wave instead.
rm -rf "$dir/empty" "$dir/empty.log"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GB; $(date -u '+%Y-%m-%d %H:%M UTC'); $(git describe --always --dirty)"
stores=${SOAK_STORES:-empty large} # which of the two to run
if [[ " $stores " == *" empty "* ]]; then
	seed_city "$dir/empty"
	run empty "$dir/empty"
fi
if [[ " $stores " == *" large "* ]]; then
	if [ ! -e "$dir/large/civicgrid.db" ]; then
		seed_city "$dir/large"
		bin/civicgrid-soak seed --data "$dir/large" --cases "$cases"
	fi
	run large "$dir/large"
fi
