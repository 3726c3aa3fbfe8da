# env.sh — sourced by the scripts: quiet, local wrangler.
export WRANGLER_SEND_METRICS=false
export WRANGLER_HIDE_BANNER=true
export CLOUDFLARE_CF_FETCH_ENABLED=false
export XDG_CONFIG_HOME="${XDG_CONFIG_HOME:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.xdg}"
