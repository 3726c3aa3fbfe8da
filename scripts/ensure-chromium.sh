#!/usr/bin/env bash
# Debian's Chromium for the dashboard tests (never a downloaded browser).
set -euo pipefail
[ -x /usr/bin/chromium ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing Debian chromium" >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
else
  echo "error: /usr/bin/chromium is missing: sudo apt-get install chromium" >&2
  exit 1
fi
