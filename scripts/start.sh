#!/usr/bin/env bash
# npm start — installs what is missing, builds the engine, and serves the demo
# worker (every demo workflow, the dashboard at /__ablauf/) on 127.0.0.1:8787.
# The test hook (_advance) is on: this is a local development server.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash build.sh
source scripts/env.sh
echo "ablauf: dashboard at http://127.0.0.1:8787/__ablauf/" >&2
exec npx wrangler dev --ip 127.0.0.1 --port "${PORT:-8787}" --var ABLAUF_TEST_HOOKS:1 "$@"
