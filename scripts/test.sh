#!/usr/bin/env bash
# The project's test command (README): formatting, lints (native and wasm32), every test.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== clippy (native)"
cargo clippy --workspace --all-targets -- -D warnings
echo "== clippy (wasm32): the model must stay portable"
cargo clippy -p logout-lens-model --target wasm32-unknown-unknown -- -D warnings
echo "== tests"
cargo test --workspace
