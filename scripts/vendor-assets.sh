#!/usr/bin/env bash
# Copies the front-end packages that the web UI embeds from node_modules
# (installed from package-lock.json by `npm ci`) into web/static/vendor. That
# folder is not committed: `go build` embeds whatever it holds, and the map
# page says so when it is empty.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
src="$root/node_modules/leaflet"
dst="$root/web/static/vendor"

if [ ! -f "$src/dist/leaflet.js" ]; then
	echo "vendor-assets: $src is missing: run 'npm ci' first" >&2
	exit 1
fi
want="$(node -p "require('$root/package.json').dependencies.leaflet")"
have="$(node -p "require('$src/package.json').version")"
if [ "$want" != "$have" ]; then
	echo "vendor-assets: node_modules has leaflet $have, package.json wants $want: run 'npm ci'" >&2
	exit 1
fi

# Build the new folder aside and swap it in, so a failed copy never leaves a
# half-filled vendor folder to be embedded.
tmp="$(mktemp -d "$root/web/static/.vendor.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/leaflet/images"
cp "$src/dist/leaflet.js" "$src/dist/leaflet.css" "$tmp/leaflet/"
cp "$src/dist/images/"*.png "$tmp/leaflet/images/"
cp "$src/LICENSE" "$tmp/leaflet/LICENSE"
chmod -R a+rX "$tmp"
rm -rf "$dst"
mv "$tmp" "$dst"
trap - EXIT
echo "vendor-assets: leaflet $have → web/static/vendor/leaflet"
