#!/usr/bin/env bash
# Set-up and main job (README): install what a fresh machine lacks, build, and
# diagnose every bundled scenario so you can see what Logout Lens concludes.
set -euo pipefail
cd "$(dirname "$0")/.."

rustup target add wasm32-unknown-unknown
cargo build --workspace --release
for f in model/fixtures/*.json; do
  echo "== $(basename "$f" .json)"
  cargo run -q --release -p logout-lens-model --example diagnose -- "$f" 2>&1 | head -n 3
done
