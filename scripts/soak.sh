#!/usr/bin/env bash
# Soak of the zero-setup default: `twinscape headless` with its embedded
# broker and simulated plant for MINUTES (default 30) at RATE readings a
# second per sensor (default 20); prints resident memory every minute and
# at the start, the middle and the end, and the ingest counters from the
# snapshot. TWINSCAPE_BIN names a release binary built elsewhere (else it
# builds target/release/twinscape); TWINSCAPE_SCENE a scene other than the
# default factory (e.g. scenes/city.scene.ron).
#   scripts/soak.sh [MINUTES] [RATE]
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-30}
rate=${2:-20}
secs=$((minutes * 60))
bin=${TWINSCAPE_BIN:-}
if [ -z "$bin" ]; then
  cargo build --release --quiet
  bin=target/release/twinscape
fi
out=$(mktemp --suffix .json)
scene=()
[ -n "${TWINSCAPE_SCENE:-}" ] && scene=(--scene "$TWINSCAPE_SCENE")
"$bin" headless "${scene[@]}" --port 21883 --sim-rate "$rate" --for "$secs" --snapshot "$out" >/dev/null 2>&1 &
pid=$!
rss() { awk '/VmRSS/{printf "%.1f", $2/1024}' "/proc/$pid/status"; }
declare -a at
for ((m = 1; m < minutes; m++)); do
  sleep 60
  at[m]=$(rss)
  echo "  ${m} min: ${at[m]} MB"
done
wait "$pid" || true
half=$((minutes / 2))
echo "soak${TWINSCAPE_SCENE:+ of $TWINSCAPE_SCENE}: ${minutes} min at ${rate} Hz: resident memory ${at[1]} MB at 1 min, ${at[half]} MB at ${half} min, ${at[minutes - 1]} MB at $((minutes - 1)) min"
python3 -c "import json,sys; print('ingest:', json.load(open(sys.argv[1]))['ingest'])" "$out"
