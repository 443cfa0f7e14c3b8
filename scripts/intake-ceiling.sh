#!/usr/bin/env bash
# Intake against the storage ceiling, in one run: BenchmarkCaseIntake (HTTP
# reports by 16 logged-in clients, one instance) and BenchmarkIntakeCeiling
# (the same rows handed straight to the store's writer in full batches of
# 256) alternately, ROUNDS times (default 5) for BENCHTIME each (default 5s),
# so that a noisy neighbour slows both alike. Prints each round's rates and
# ratio, then the medians. Under scripts/with-postgres.sh the store is
# PostgreSQL.
#
#   scripts/intake-ceiling.sh            ROUNDS=7 BENCHTIME=10s scripts/intake-ceiling.sh
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-5}
benchtime=${BENCHTIME:-5s}
bin=$(mktemp /tmp/civicgrid-server-bench.XXXXXX)
trap 'rm -f "$bin"' EXIT
go test -c -o "$bin" ./server
rate() { # rate BENCHMARK-REGEXP: cases/s of one run
	"$bin" -test.run '^$' -test.bench "$1" -test.benchtime "$benchtime" -test.cpu 2 |
		awk '/cases\/s/ { for (i = 1; i < NF; i++) if ($(i+1) == "cases/s") print $i }'
}
intake=() ceiling=() ratios=()
for r in $(seq "$rounds"); do
	i=$(rate '^BenchmarkCaseIntake$/^instances=1$')
	c=$(rate '^BenchmarkIntakeCeiling$')
	q=$(echo "scale=3; $i / $c" | bc)
	intake+=("$i") ceiling+=("$c") ratios+=("$q")
	printf 'round %d: intake %8.0f cases/s   ceiling %8.0f cases/s   ratio %s\n' "$r" "$i" "$c" "$q"
done
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
printf 'median: intake %.0f cases/s, ceiling %.0f cases/s, ratio %s (of the per-round ratios)\n' \
	"$(median "${intake[@]}")" "$(median "${ceiling[@]}")" "$(median "${ratios[@]}")"
