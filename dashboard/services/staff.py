"""TEMPORARY re-exports for ``auth_cli.py`` (being moved to ``dashboard/cli/`` by another branch), which
still imports ``dashboard.services.staff``. The code lives in ``dashboard/staff/``: delete this file once
the command imports ``create_admin`` from ``dashboard.staff.accounts`` and ``clean_name`` from
``dashboard.staff.rules``."""

from dashboard.staff.accounts import create_admin
from dashboard.staff.rules import clean_name

__all__ = ["clean_name", "create_admin"]
