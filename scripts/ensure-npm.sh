#!/usr/bin/env bash
# The web UI's front-end packages come from npm. A fresh Debian machine with Go
# may lack Node.js: install Debian's packages then (root only).
set -euo pipefail
command -v npm >/dev/null 2>&1 && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "npm is missing: install Node.js and npm (Debian: apt-get install nodejs npm), then run make again" >&2
	exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
