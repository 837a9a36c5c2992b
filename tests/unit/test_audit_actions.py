"""The audited action names: one enum, every value unique and filterable, and every name the code
writes as a literal is in it."""

from __future__ import annotations

import re
from pathlib import Path

from dashboard.audit.rules import parse_filters
from dashboard.core.audit_actions import AuditAction

DASHBOARD = Path(__file__).resolve().parents[2] / "dashboard"
# action="kyc.claimed" (a whole name: not the start of "kyc.document_" + outcome)
WRITTEN = re.compile(r"""\baction=["']([a-z0-9_]+(?:\.[a-z0-9_]+)+)["'](?=\s*(?:[,)]|if\b))""")


def test_every_value_is_unique_and_an_exact_filter() -> None:
    assert len(AuditAction.__members__) == len(AuditAction), "two names share a value (an alias)"
    for action in AuditAction:
        assert parse_filters({"action": action.value}).action == action.value


def test_every_literal_action_the_code_writes_is_named() -> None:
    written = {
        match
        for path in DASHBOARD.rglob("*.py")
        for match in WRITTEN.findall(path.read_text(encoding="utf-8"))
    }
    assert written, "the scan found the audited actions"
    assert written <= {a.value for a in AuditAction}, sorted(written - {a.value for a in AuditAction})
