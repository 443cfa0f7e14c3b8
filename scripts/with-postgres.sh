#!/usr/bin/env bash
# Runs a command beside a throw-away PostgreSQL 15 cluster: installs Debian's
# postgresql-15 (and PostGIS) if missing, creates a cluster in a temporary
# directory, starts it on 127.0.0.1 on a free port, exports its URL as
# CIVICGRID_TEST_POSTGRES, runs the command, then stops the cluster and
# removes the directory, whatever the command's outcome.
#
#   scripts/with-postgres.sh go test ./...
set -euo pipefail

PGBIN=/usr/lib/postgresql/15/bin
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	sudo="sudo"
fi
if [ ! -x "$PGBIN/postgres" ] || [ ! -e /usr/share/postgresql/15/extension/postgis.control ]; then
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	$sudo apt-get install -y -qq --no-install-recommends postgresql-15 postgresql-15-postgis-3 >/dev/null
fi

dir=$(mktemp -d /tmp/civicgrid-pg.XXXXXX)
# PostgreSQL refuses to run as root: as root, run it as the postgres user.
as=()
if [ "$(id -u)" -eq 0 ]; then
	chown postgres: "$dir"
	as=(runuser -u postgres --)
fi
cleanup() {
	"${as[@]}" "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
	rm -rf "$dir"
}
trap cleanup EXIT

"${as[@]}" "$PGBIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
# A random high port; another one if it is taken.
started=""
for _ in 1 2 3 4 5 6 7 8; do
	port=$((20000 + RANDOM % 40000))
	if "${as[@]}" "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 \
		-o "-h 127.0.0.1 -p $port -k $dir -c fsync=on -c max_connections=300 -c shared_buffers=256MB" start >/dev/null 2>&1; then
		started=1
		break
	fi
done
if [ -z "$started" ]; then
	echo "with-postgres: PostgreSQL did not start:" >&2
	cat "$dir/log" >&2
	exit 1
fi

export CIVICGRID_TEST_POSTGRES="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
echo "PostgreSQL 15 on 127.0.0.1:$port (throw-away cluster)" >&2
"$@"
