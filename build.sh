#!/usr/bin/env bash
# build.sh — builds the engine.
#
#   ./build.sh          the demo application's build/engine.wasm (+ generated types,
#                       via `ablauf build`) and the runtime's build/assets.js
#   ./build.sh native   the native engine test binary build/native/engine_tests
#                       (Debian's sqlite3 + cmocka, ASan + UBSan)
#   ./build.sh fuzz     the libFuzzer targets build/fuzz/fuzz_api, fuzz_json, fuzz_schema
#                       (tests/fuzz) and the seeds of the last two
#   ./build.sh all      all of the above
#   ./build.sh deps     only check the toolchain and fetch cJSON
#   ./build.sh cjson    only fetch (and verify) cJSON
#
# Toolchain: clang 14 + Debian's wasi-libc + libclang-rt-14-dev-wasm32, or a
# wasi-sdk given by WASI_SDK_PATH. Missing Debian packages are installed when
# we are root with apt-get; otherwise we say what is missing and stop.
#
# cJSON is a dependency, never committed: it comes from Debian's source package
# (cjson 1.7.15-1+deb12u4, Debian's security patches applied) fetched through a
# private apt configuration (nothing in /etc/apt changes), and both files are
# verified by sha256. CJSON_DIR may name a directory holding cJSON.c/cJSON.h
# instead; the same checksums apply.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD
MODE=${1:-wasm}

CJSON_VERSION=1.7.15-1+deb12u4
CJSON_C_SHA256=5c5ab83a24eecfebc25b6aa4d47dbdb5f23d1baec92de75fec5f0528dbe255a7
CJSON_H_SHA256=c25b54ebc98e814eb7b3eeaf12ce899806f87ff5a275b20a3b77dbb3968e5d0b
DEPS=$ROOT/.deps
OUT=$ROOT/build

say() { printf 'build.sh: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# --- toolchain -------------------------------------------------------------
apt_install() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian packages: $*"
    if [ ! -f "$DEPS/.apt-updated" ]; then
      apt-get update -qq >&2 || die "apt-get update failed"
      mkdir -p "$DEPS" && touch "$DEPS/.apt-updated"
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2 || die "apt-get install $* failed"
  else
    die "missing: $* — install them (sudo apt-get install $*) or set WASI_SDK_PATH to a wasi-sdk"
  fi
}

have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

need_pkgs() {
  local missing=()
  for p in "$@"; do have_pkg "$p" || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
}

wasm_toolchain() {
  if [ -n "${WASI_SDK_PATH:-}" ]; then
    [ -x "$WASI_SDK_PATH/bin/clang" ] || die "WASI_SDK_PATH=$WASI_SDK_PATH has no bin/clang"
    WASM_CC="$WASI_SDK_PATH/bin/clang"
    WASM_SYSROOT="--sysroot=$WASI_SDK_PATH/share/wasi-sysroot"
  else
    command -v dpkg-query >/dev/null || die "no WASI_SDK_PATH and not a Debian system: install wasi-sdk and set WASI_SDK_PATH"
    need_pkgs clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32
    WASM_CC=clang-14
    WASM_SYSROOT=""
  fi
}

# --- cJSON -----------------------------------------------------------------
check_sums() {
  echo "$CJSON_C_SHA256  $1/cJSON.c" | sha256sum -c --quiet - >/dev/null 2>&1 &&
  echo "$CJSON_H_SHA256  $1/cJSON.h" | sha256sum -c --quiet - >/dev/null 2>&1
}

fetch_cjson() {
  if [ -n "${CJSON_DIR:-}" ]; then
    check_sums "$CJSON_DIR" || die "CJSON_DIR=$CJSON_DIR: cJSON.c/cJSON.h do not match the pinned sha256 ($CJSON_VERSION)"
    CJSON=$CJSON_DIR
    return
  fi
  CJSON=$DEPS/cjson
  if [ -f "$CJSON/cJSON.c" ] && check_sums "$CJSON"; then return; fi
  command -v apt-get >/dev/null || die "cannot fetch cJSON without apt-get: set CJSON_DIR to cJSON $CJSON_VERSION sources"
  have_pkg dpkg-dev || apt_install dpkg-dev
  say "fetching cJSON $CJSON_VERSION (Debian source package)"
  local apt=$DEPS/apt work=$DEPS/cjson-src
  rm -rf "$apt" "$work"
  mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$work"
  cat > "$apt/sources.list" <<SRC
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian-security bookworm-security main
SRC
  local opts=(-o "Dir::Etc::sourcelist=$apt/sources.list" -o Dir::Etc::sourceparts=/nonexistent
              -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache" -o Debug::NoLocking=1
              -o APT::Sandbox::User=root)
  # apt and dpkg-source talk a lot (gpgv cannot check the .dsc's signature
  # without the maintainer's key: harmless, the sha256 below is what counts);
  # their output is kept in a log and shown only if something fails.
  local log=$DEPS/cjson-fetch.log
  apt-get "${opts[@]}" update -qq >"$log" 2>&1 || { cat "$log" >&2; die "apt-get update (deb-src) failed"; }
  (cd "$work" && apt-get "${opts[@]}" source --download-only "cjson=$CJSON_VERSION" >>"$log" 2>&1) ||
    { cat "$log" >&2; die "could not download the cjson $CJSON_VERSION source package"; }
  (cd "$work" && dpkg-source -x "cjson_${CJSON_VERSION}.dsc" src >>"$log" 2>&1) ||
    { cat "$log" >&2; die "dpkg-source failed"; }
  mkdir -p "$CJSON"
  cp "$work/src/cJSON.c" "$work/src/cJSON.h" "$CJSON/"
  rm -rf "$work" "$apt"
  check_sums "$CJSON" || { rm -rf "$CJSON"; die "cJSON checksum mismatch: refusing to build"; }
  say "cJSON $CJSON_VERSION fetched from Debian's source package; the sha256 of cJSON.c and cJSON.h match"
}

# The demo application (examples/demo) is what the native and fuzz builds
# link with the engine; its registry is generated from its sources as
# `ablauf build` does (the native build adds tests/native/workflows.c).
DEMO=(examples/demo/workflows/*.c)
SRCS=(wasm/src/*.c "${DEMO[@]}")
CFLAGS_COMMON=(-std=c11 -pedantic -Wall -Wextra -Wno-unused-parameter -Iwasm/include -Iwasm/src)

registry() { # out.c files...
  local out=$1
  shift
  node cli/ablauf.mjs registry -o "$out" "$@"
}

# The WebAssembly engine is built by the same code as every application's:
# `ablauf build` (cli/build.mjs), here for the demo application, into build/.
# cJSON's own nesting limit stays at its default; the engine enforces SPEC's
# 64 levels itself so that it can answer with a validation error.
build_wasm() {
  wasm_toolchain
  mkdir -p "$OUT"
  CJSON_DIR=$CJSON node cli/ablauf.mjs build --app examples/demo --workflows 'workflows/*.c' --out "$OUT" >&2
  node scripts/gen-assets.mjs >&2
}

build_native() {
  need_pkgs libsqlite3-dev libcmocka-dev
  command -v cc >/dev/null || apt_install gcc
  mkdir -p "$OUT/native"
  # The differential corpus of the json group (test_json.c): texts and what
  # Node's JSON.parse says about them, the same bytes every time (seeded).
  node tests/fuzz/gen-json-corpus.mjs "$OUT/native/json-corpus.txt" >&2
  local san=(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  registry "$OUT/native/registry.c" "${DEMO[@]}" tests/native/workflows.c
  cc -g -O1 "${san[@]}" "${CFLAGS_COMMON[@]}" -I"$CJSON" -Itests/native \
    -DAB_JSON_CORPUS="\"$OUT/native/json-corpus.txt\"" \
    -o "$OUT/native/engine_tests" "${SRCS[@]}" "$OUT/native/registry.c" tests/native/*.c "$CJSON/cJSON.c" \
    -lsqlite3 -lcmocka -lm
  say "built $OUT/native/engine_tests"
}

build_fuzz() {
  need_pkgs clang-14 libclang-rt-14-dev libsqlite3-dev
  mkdir -p "$OUT/fuzz"
  registry "$OUT/fuzz/registry.c" "${DEMO[@]}"
  local fz=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
            "${CFLAGS_COMMON[@]}" -I"$CJSON" -Itests/native)
  clang-14 "${fz[@]}" -o "$OUT/fuzz/fuzz_api" "${SRCS[@]}" "$OUT/fuzz/registry.c" tests/native/host_native.c \
    tests/native/drive.c tests/fuzz/fuzz_api.c "$CJSON/cJSON.c" -lsqlite3 -lm
  say "built $OUT/fuzz/fuzz_api"
  # The reader and printer (wasm/src/json.c), and schema validation over
  # arbitrary schema/value pairs. Their seeds come from the differential
  # corpus generator (deterministic), not from the repository.
  local t
  for t in fuzz_json fuzz_schema; do
    clang-14 "${fz[@]}" -o "$OUT/fuzz/$t" "${SRCS[@]}" "$OUT/fuzz/registry.c" tests/native/host_native.c \
      "tests/fuzz/$t.c" "$CJSON/cJSON.c" -lsqlite3 -lm
    say "built $OUT/fuzz/$t"
  done
  rm -rf "$OUT/fuzz/json-seeds" "$OUT/fuzz/schema-seeds"
  node tests/fuzz/gen-json-corpus.mjs "$OUT/fuzz/json-corpus.txt" --seeds "$OUT/fuzz/json-seeds" \
    --schema-seeds "$OUT/fuzz/schema-seeds" >&2
}

fetch_cjson
case "$MODE" in
  wasm) build_wasm ;;
  native) build_native ;;
  fuzz) build_fuzz ;;
  all) build_wasm; build_native; build_fuzz ;;
  deps) wasm_toolchain ;;
  cjson) say "cJSON $CJSON_VERSION verified by sha256 in $CJSON" ;;
  *) die "unknown target '$MODE' (wasm | native | fuzz | all | deps | cjson)" ;;
esac
