#!/usr/bin/env bash
# Copies the front-end packages that the web UI embeds from node_modules
# (installed from package-lock.json by `npm ci`) into web/static/vendor. That
# folder is not committed: `go build` embeds whatever it holds, and the map
# page says so when it is empty.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
src="$root/node_modules/leaflet"
gcoord="$root/node_modules/gcoord"
uplot="$root/node_modules/uplot"
jsqr="$root/node_modules/jsqr"
dst="$root/web/static/vendor"

# check NAME DIR FILE: the package is installed at the version package.json pins.
check() {
	if [ ! -f "$2/$3" ]; then
		echo "vendor-assets: $2 is missing: run 'npm ci' first" >&2
		exit 1
	fi
	local want have
	want="$(node -p "require('$root/package.json').dependencies['$1']")"
	have="$(node -p "require('$2/package.json').version")"
	if [ "$want" != "$have" ]; then
		echo "vendor-assets: node_modules has $1 $have, package.json wants $want: run 'npm ci'" >&2
		exit 1
	fi
}
check leaflet "$src" dist/leaflet.js
check gcoord "$gcoord" dist/gcoord.global.prod.js
check uplot "$uplot" dist/uPlot.iife.min.js
check jsqr "$jsqr" dist/jsQR.js
have="$(node -p "require('$src/package.json').version")"

# Build the new folder aside and swap it in, so a failed copy never leaves a
# half-filled vendor folder to be embedded.
tmp="$(mktemp -d "$root/web/static/.vendor.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/leaflet/images"
cp "$src/dist/leaflet.js" "$src/dist/leaflet.css" "$tmp/leaflet/"
cp "$src/dist/images/"*.png "$tmp/leaflet/images/"
cp "$src/LICENSE" "$tmp/leaflet/LICENSE"
# gcoord shifts WGS-84 ↔ GCJ-02 for the AMap and Tencent base maps.
mkdir -p "$tmp/gcoord"
cp "$gcoord/dist/gcoord.global.prod.js" "$gcoord/LICENSE" "$tmp/gcoord/"
# uPlot draws the dashboard's trend chart.
mkdir -p "$tmp/uplot"
cp "$uplot/dist/uPlot.iife.min.js" "$uplot/dist/uPlot.min.css" "$uplot/LICENSE" "$tmp/uplot/"
# jsQR reads the QR codes the lecture check-in scanner sees through the camera.
mkdir -p "$tmp/jsqr"
cp "$jsqr/dist/jsQR.js" "$jsqr/LICENSE" "$tmp/jsqr/"
chmod -R a+rX "$tmp"
rm -rf "$dst"
mv "$tmp" "$dst"
trap - EXIT
echo "vendor-assets: leaflet $have, gcoord $(node -p "require('$gcoord/package.json').version"), uplot $(node -p "require('$uplot/package.json').version"), jsqr $(node -p "require('$jsqr/package.json').version") → web/static/vendor"
