#!/usr/bin/env bash
# prepack (npm pack / npm publish): what the package carries besides its
# sources — a verified copy of cJSON (vendor/cjson; never committed, fetched
# by checksum) so that `ablauf build` needs no apt, and the runtime's assets
# (build/assets.js: the dashboard and the browser client).
set -euo pipefail
cd "$(dirname "$0")/.."
bash build.sh cjson
src=${CJSON_DIR:-.deps/cjson}
rm -rf vendor/cjson
mkdir -p vendor/cjson
cp "$src/cJSON.c" "$src/cJSON.h" vendor/cjson/
node scripts/gen-assets.mjs
