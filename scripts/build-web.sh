#!/usr/bin/env bash
# Builds the browser bundle into web/dist/ (not committed): cargo for
# wasm32-unknown-unknown, wasm-bindgen (the version in Cargo.lock,
# installed with cargo if missing), wasm-opt when a recent binaryen is at
# hand (npm's `binaryen`; Debian's 108 is too old), and a .gz beside each
# file for `twinscape serve`. Prints the raw and gzip sizes.
#
#   scripts/build-web.sh          the size profile (wasm-release) + wasm-opt -Oz
#   scripts/build-web.sh --fast   a quicker, larger build (wasm-fast), no wasm-opt
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

profile=wasm-release
optimize=1
for arg in "$@"; do
  case "$arg" in
    --fast) profile=wasm-fast; optimize=0 ;;
    --no-opt) optimize=0 ;;
    *) echo "usage: $0 [--fast] [--no-opt]" >&2; exit 2 ;;
  esac
done

rustup target list --installed | grep -q wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown

# WebAssembly SIMD (every current browser has it): tract's matrix kernels
# for users' ONNX models exist only with it.
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-C target-feature=+simd128"
echo "== cargo build (profile $profile)"
start=$(date +%s)
cargo build --target wasm32-unknown-unknown --profile "$profile" \
  --bin twinscape-web --no-default-features --features web
echo "cargo: $(( $(date +%s) - start )) s"
wasm="target/wasm32-unknown-unknown/$profile/twinscape-web.wasm"

# wasm-bindgen's CLI must be the exact version of the crate in Cargo.lock.
want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
if ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $want"; then
  echo "== installing wasm-bindgen-cli $want"
  # Not linted: it is not our code (scripts/test.sh lints ours through
  # clippy-driver as the workspace wrapper).
  env -u RUSTC_WORKSPACE_WRAPPER -u CLIPPY_ARGS cargo install wasm-bindgen-cli --version "=$want" --locked \
    || env -u RUSTC_WORKSPACE_WRAPPER -u CLIPPY_ARGS cargo install wasm-bindgen-cli --version "=$want"
fi
rm -rf web/dist
wasm-bindgen --target web --no-typescript --out-dir web/dist "$wasm"

if [ "$optimize" = 1 ]; then
  # npm's binaryen, kept under target/ (Debian's is too old for Rust's output).
  opt=target/binaryen/node_modules/.bin/wasm-opt
  if [ ! -x "$opt" ] && command -v npm >/dev/null; then
    echo "== installing binaryen (npm) into target/binaryen"
    mkdir -p target/binaryen
    npm install --prefix target/binaryen --no-audit --no-fund --silent binaryen@132
  fi
  if [ -x "$opt" ]; then
    echo "== wasm-opt -Oz"
    start=$(date +%s)
    "$opt" -Oz --enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
      --enable-mutable-globals --enable-reference-types --enable-multivalue \
      -o web/dist/twinscape-web_bg.opt.wasm web/dist/twinscape-web_bg.wasm
    mv web/dist/twinscape-web_bg.opt.wasm web/dist/twinscape-web_bg.wasm
    echo "wasm-opt: $(( $(date +%s) - start )) s"
  else
    echo "wasm-opt: not found (npm install binaryen), the bundle stays unoptimised"
  fi
fi

for f in web/dist/*.wasm web/dist/*.js; do
  gzip -9 -k -f "$f"
done
raw=$(stat -c %s web/dist/twinscape-web_bg.wasm)
gz=$(stat -c %s web/dist/twinscape-web_bg.wasm.gz)
echo "web/dist/twinscape-web_bg.wasm: $raw bytes raw, $gz bytes gzip ($profile)"
