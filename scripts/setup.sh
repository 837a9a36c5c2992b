#!/usr/bin/env bash
# Installs what the dashboard needs into the project's own folders: the virtualenv (.venv) with
# the pinned requirements, bun (.tools/bun, from the npm registry) and the Reflex frontend (.web).
# Usage: scripts/setup.sh [--dev]   (--dev adds the test tools: pytest, playwright)
set -euo pipefail
cd "$(dirname "$0")/.."

want_dev=0
[ "${1:-}" = "--dev" ] && want_dev=1

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "error: Python 3.11 or newer is required ($PYTHON is $("$PYTHON" --version 2>&1))" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  echo "== creating virtualenv .venv"
  "$PYTHON" -m venv .venv
fi
req=requirements.txt
[ "$want_dev" = 1 ] && req=requirements-dev.txt
stamp=".venv/.installed-$(cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)-$want_dev"
if [ ! -f "$stamp" ]; then
  echo "== installing $req"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$req"
  rm -f .venv/.installed-* && touch "$stamp"
fi

echo "== bun (from the npm registry)"
scripts/bun.sh >/dev/null
