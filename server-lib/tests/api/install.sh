#!/usr/bin/env bash
# Install the pinned schemathesis (requirements.txt) into server-lib/tests/api/.venv, for
# schemathesis.sh. Called by scripts/setup.sh and .ci/run; does nothing when it is there.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv"
want="$(sed -n 's/^schemathesis==//p' "$here/requirements.txt")"
if "$venv/bin/schemathesis" --version 2>/dev/null | grep -qF "$want"; then
  exit 0
fi
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
"$venv/bin/schemathesis" --version
