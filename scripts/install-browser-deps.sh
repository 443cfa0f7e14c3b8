#!/usr/bin/env bash
# Installs what the browser tests need from Debian's packages: chromium (the
# tests drive it with playwright-core, which cannot download its own browser
# here) and a small font with Chinese glyphs so zh-CN pages render legibly in
# screenshots. Does nothing when chromium is already there.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
	exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
	sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends chromium fonts-wqy-microhei
