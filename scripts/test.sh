#!/usr/bin/env bash
# The project's test command (README): formatting, lints (native and wasm32),
# every Rust test and doctest, `cargo package` of the model and the server
# library, the release packages, the server API against its OpenAPI document,
# then the real-browser tests in headless Chromium and Firefox ESR and the
# packages opened as a user would.
# Needs what scripts/setup.sh (or .ci/run) installs: the wasm32, musl and
# windows-gnu targets, chromium, firefox-esr, sqlite3, musl-tools, mingw-w64,
# e2e/node_modules and schemathesis (server-lib/tests/api/.venv).
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in chromium firefox-esr sqlite3 node; do
  command -v "$tool" >/dev/null || { echo "missing '$tool': run scripts/setup.sh first" >&2; exit 1; }
done
for dep in playwright-core puppeteer-core; do
  [ -d "e2e/node_modules/$dep" ] || { echo "missing e2e/node_modules/$dep: run scripts/setup.sh first" >&2; exit 1; }
done
[ -x server-lib/tests/api/.venv/bin/schemathesis ] || { echo "missing schemathesis: run scripts/setup.sh first" >&2; exit 1; }

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== clippy (native; the server library with its PostgreSQL store too)"
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy -p logout-lens-server --all-targets --features postgres -- -D warnings
echo "== clippy (wasm32): the model and the extension must stay portable"
cargo clippy -p logout-lens-model --target wasm32-unknown-unknown -- -D warnings
# --all-features: both wasm modules (the worker's core and the popup/options UI).
cargo clippy -p logout-lens-extension --target wasm32-unknown-unknown --all-features -- -D warnings
echo "== Rust tests (includes the collector's headless-Chromium checks, the doctests and the"
echo "   server library's PostgreSQL store suite, which starts a PostgreSQL server)"
cargo test --workspace --features logout-lens-server/postgres
echo "== the server library and the model package and build from their packaged files alone"
cargo package -p logout-lens-model -p logout-lens-server --allow-dirty
echo "== the binaries the browser tests start"
cargo build -p logout-lens-collector --bin logout-lens
cargo build -p logout-lens-server --example demo
echo "== release packages (dist/packages; the extension into dist/chromium, dist/firefox on the way)"
# It stops before building anything when a tool is missing, naming each.
cargo xtask package
echo "== the server library's API against its OpenAPI document (schemathesis)"
bash server-lib/tests/api/schemathesis.sh
echo "== demo app in headless Chromium"
node --test --test-concurrency=1 server-lib/tests/browser/
echo "== end-to-end: the extension in headless Chromium (+ web-ext lint) and Firefox ESR, the packages"
(cd e2e && npm test)
