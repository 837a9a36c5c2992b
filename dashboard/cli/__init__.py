"""Command line: ``python -m dashboard.cli <command>`` (the dispatcher is ``dashboard/cli/__main__.py``).

Commands, one module each:
  migrate | db-url | db-stop  the database in use (cli/db.py; the embedded server: cli/devdb.py)
  seed --profile P        load deterministic demo (P=demo) or benchmark (P=large) data (cli/seed.py)
  snapshot [--date D] [--backfill FROM]
                          each portfolio's daily snapshot (idempotent) and the daily AUM totals (cli/snapshot.py)
  bench                   run named benchmark scenarios and print a table and JSON (cli/bench.py -> dashboard.bench)
  create-admin --email E --first-name F --last-name L
                          create an ADMIN (password from DASHBOARD_ADMIN_PASSWORD or asked twice) (cli/staff.py)
  audit verify | fill --rows N | bench
                          the audit hash chain (cli/audit.py)

Every argument is validated; bad input exits with status 2 and a clear message, writing nothing.
This package's ``__init__`` imports nothing, so ``dashboard.db`` can use ``dashboard.cli.devdb``.
"""
