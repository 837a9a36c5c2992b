"""The KYC vocabulary (dashboard/kyc/rules.py), without a database."""

from __future__ import annotations

from dashboard.kyc import rules


def test_every_reason_is_retry_or_final() -> None:
    assert {r.kind for r in rules.REASONS.values()} == {rules.RETRY, rules.FINAL}
    assert all(r.outcome == ("RESUBMIT_REQUIRED" if r.kind == rules.RETRY else "REJECTED") for r in rules.REASONS.values())
