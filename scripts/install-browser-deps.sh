#!/usr/bin/env bash
# Installs what the browser tests need from Debian's packages: chromium (the
# tests drive it with playwright-core, which cannot download its own browser
# here), a small font with Chinese glyphs so zh-CN pages render legibly in
# screenshots, and a colour emoji font for the case category icons. Does
# nothing when they are already there.
set -euo pipefail

if [ -x /usr/bin/chromium ] && [ -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ]; then
	exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
	sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends chromium fonts-wqy-microhei fonts-noto-color-emoji
