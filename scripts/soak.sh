#!/usr/bin/env bash
# Soak of the zero-setup default: `twinscape headless` with its embedded
# broker and simulated plant for MINUTES (default 30) at RATE readings a
# second per sensor (default 20); prints resident memory at the start, the
# middle and the end, and the ingest counters from the snapshot.
#   scripts/soak.sh [MINUTES] [RATE]
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-30}
rate=${2:-20}
secs=$((minutes * 60))
cargo build --release --quiet
out=$(mktemp --suffix .json)
target/release/twinscape headless --port 21883 --sim-rate "$rate" --for "$secs" --snapshot "$out" >/dev/null 2>&1 &
pid=$!
rss() { awk '/VmRSS/{printf "%.1f", $2/1024}' "/proc/$pid/status"; }
sleep 60; first=$(rss)
sleep $((secs / 2 - 60)); middle=$(rss)
sleep $((secs / 2 - 15)); last=$(rss)
wait "$pid" || true
echo "soak: ${minutes} min at ${rate} Hz: resident memory ${first} MB at 1 min, ${middle} MB at $((minutes / 2)) min, ${last} MB at the end"
python3 -c "import json,sys; print('ingest:', json.load(open(sys.argv[1]))['ingest'])" "$out"
