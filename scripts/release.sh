#!/usr/bin/env bash
# Builds the release binaries: static (no cgo: the SQLite driver is pure Go)
# for linux/amd64 and linux/arm64, web assets embedded, the version stamped,
# into dist/ with a SHA256SUMS file.
#
#   scripts/release.sh VERSION
set -euo pipefail
version=${1:?usage: scripts/release.sh VERSION}
cd "$(dirname "$0")/.."
rm -rf dist
mkdir -p dist
for arch in amd64 arm64; do
	out=dist/civicgrid-$version-linux-$arch
	CGO_ENABLED=0 GOOS=linux GOARCH=$arch go build -trimpath -ldflags "-s -w -X main.version=$version" -o "$out" ./cmd/civicgrid
done
(cd dist && sha256sum civicgrid-* > SHA256SUMS)
cat dist/SHA256SUMS
