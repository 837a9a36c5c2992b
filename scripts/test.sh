#!/usr/bin/env bash
# The whole test suite: unit, service (PostgreSQL), page state, and real-browser tests.
# Uses TEST_DATABASE_URL when set, else an embedded PostgreSQL under .data/test-pg.
# Extra arguments go to pytest (e.g. scripts/test.sh tests/unit -q).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --dev
if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing Debian chromium for the browser tests"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "FATAL: the browser tests need Debian's chromium: sudo apt-get install -y chromium" >&2
    exit 1
  fi
fi
# shellcheck source=/dev/null
source scripts/reflex-env.sh
exec .venv/bin/python -m pytest "$@"
