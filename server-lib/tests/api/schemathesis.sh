#!/usr/bin/env bash
# The server library's API checked against its own OpenAPI document by schemathesis (PyPI,
# pinned in requirements.txt, installed into .venv here by scripts/setup.sh and .ci/run).
#
# For each token mode (JSON bodies, then HttpOnly cookies) the demo writes the document
# (`--openapi FILE`), serves the same document at /v1/auth/openapi.json (compared with the
# file), and schemathesis sends generated requests to every operation: no 5xx, and every
# response's status, content type, headers and body must match the document.
#
# Needs the demo built (`cargo build -p logout-lens-server --example demo`).
# SCHEMATHESIS_EXAMPLES (default 100 per operation and phase) and SCHEMATHESIS_SEED (default
# 1, so a run is reproducible) tune it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
venv="$here/.venv"
demo="$root/target/debug/examples/demo"
want="$(sed -n 's/^schemathesis==//p' "$here/requirements.txt")"

if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -qF "$want"; then
  echo "missing schemathesis $want in $venv: run scripts/setup.sh first" >&2
  exit 1
fi
[ -x "$demo" ] || { echo "missing $demo: cargo build -p logout-lens-server --example demo" >&2; exit 1; }

work="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# Rate limits off so generated requests reach the parsers (the 429 answers are covered by the
# Rust tests); the account matches the document's login example, so that example logs in.
flags=(--user 'ada@example.com:correct horse' --event-rate 0 --no-login-limits)
total=0
for mode in localstorage cookie; do
  echo "== schemathesis: token mode $mode"
  doc="$work/openapi-$mode.json"
  "$demo" "${flags[@]}" --tokens "$mode" --openapi "$doc"
  "$demo" "${flags[@]}" --tokens "$mode" --addr 127.0.0.1:0 >"$work/demo.out" 2>"$work/demo-$mode.log" &
  pid=$!
  for _ in $(seq 100); do
    grep -q '^listening on ' "$work/demo.out" && break
    sleep 0.1
  done
  url="$(sed -n 's/^listening on //p' "$work/demo.out")"
  [ -n "$url" ] || { cat "$work/demo-$mode.log" >&2; echo "the demo did not start" >&2; exit 1; }

  "$venv/bin/python" - "$url/v1/auth/openapi.json" "$doc" <<'EOF'
import json, sys, urllib.request
served = json.load(urllib.request.urlopen(sys.argv[1]))
written = json.load(open(sys.argv[2]))
assert served == written, "the served document differs from the one --openapi wrote"
assert written["openapi"] == "3.1.0", written["openapi"]
print(f"document: OpenAPI {written['openapi']}, {len(written['paths'])} paths, served == written")
EOF

  # Every check but two whose premise this API rejects on purpose: logout answers 200 to any
  # body (RFC 7009), so "schema-violating request accepted" is by design there; and JSON
  # Schema counts 1.0 as an integer while the parser wants integers written as integers.
  (cd "$work" && "$venv/bin/schemathesis" run "$doc" --url "$url" \
    --checks all --exclude-checks positive_data_acceptance,negative_data_rejection \
    --max-examples "${SCHEMATHESIS_EXAMPLES:-100}" --seed "${SCHEMATHESIS_SEED:-1}" \
    --generation-database none --no-color) | tee "$work/run.txt"
  # A failing case makes schemathesis exit non-zero (pipefail stops the script above); this
  # reads how many passed from its summary ("646 generated, 646 passed[, N skipped]").
  cases="$(sed -n 's/^ *[0-9][0-9]* generated, \([0-9][0-9]*\) passed.*$/\1/p' "$work/run.txt")"
  [ -n "$cases" ] && [ "$cases" -gt 0 ] || { echo "schemathesis ran no case (mode $mode)" >&2; exit 1; }
  total=$((total + cases))
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
done
echo "schemathesis: $total passed, 0 failed"
