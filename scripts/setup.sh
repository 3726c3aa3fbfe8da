#!/usr/bin/env bash
# setup.sh — installs what is missing: npm packages (npm ci, from the lock
# file), then the C toolchain and cJSON through build.sh. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules/wrangler ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages (npm ci)" >&2
  npm ci --no-audit --no-fund >&2
fi
