"""The database itself refuses what money and reviews must never contain."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from tests import factories as f


def _refused(db, fn, constraint: str) -> None:
    """``fn`` must fail on the named constraint; the session stays usable afterwards."""
    savepoint = db.begin_nested()
    with pytest.raises(IntegrityError) as info:
        fn()
        db.flush()
    savepoint.rollback()
    assert constraint in str(info.value.orig), str(info.value.orig)


def test_negative_transaction_amount_is_refused(db):
    _refused(db, lambda: f.transaction(db, amount=Decimal("-1.00")), "ck_transactions_amount_positive")


def test_zero_usd_value_is_refused(db):
    _refused(db, lambda: f.transaction(db, amount_usd=Decimal("0")), "ck_transactions_amount_usd_positive")


def test_unknown_transaction_status_is_refused(db):
    _refused(db, lambda: f.transaction(db, status="APPROVED_MAYBE"), "ck_transactions_status_valid")


def test_decline_without_reason_is_refused(db):
    _refused(db, lambda: f.transaction(db, status="DECLINED"), "ck_transactions_decline_has_reason")


def test_processed_by_without_processed_at_is_refused(db):
    officer = f.user(db, role="TREASURER")
    _refused(db, lambda: f.transaction(db, processed_by=officer.id), "ck_transactions_processed_by_and_at_together")


def test_duplicate_snapshot_day_is_refused(db):
    pf = f.portfolio(db)
    f.snapshot(db, pf, date(2026, 1, 1))
    _refused(db, lambda: f.snapshot(db, pf, date(2026, 1, 1)), "uq_portfolio_snapshots_portfolio_id_day")
    f.snapshot(db, pf, date(2026, 1, 2))  # the next day is fine


def test_snapshot_parts_must_add_up(db):
    pf = f.portfolio(db)
    _refused(
        db,
        lambda: f.snapshot(db, pf, date(2026, 1, 1), total_value=Decimal("101.00")),
        "ck_portfolio_snapshots_total_is_sum_of_parts",
    )


def test_duplicate_approval_by_same_officer_is_refused(db):
    from dashboard.models import Approval

    requester, officer = f.user(db), f.user(db)
    grp = f.group(db, requester)
    wr = f.withdrawal(db, grp, requester)
    db.add(Approval(withdrawal_id=wr.id, approver_user_id=officer.id))
    db.flush()
    _refused(
        db,
        lambda: db.add(Approval(withdrawal_id=wr.id, approver_user_id=officer.id)),
        "uq_approval_withdrawal_id_approver",
    )


def test_second_payout_for_a_withdrawal_is_refused(db):
    requester = f.user(db)
    grp = f.group(db, requester)
    wr = f.withdrawal(db, grp, requester)
    f.payout(db, wr)
    _refused(db, lambda: f.payout(db, wr), "uq_payout_withdrawal_id")


def test_second_debit_for_a_withdrawal_is_refused(db):
    from dashboard.models import LedgerEntry

    requester = f.user(db)
    grp = f.group(db, requester)
    acct = f.account(db, grp)
    wr = f.withdrawal(db, grp, requester)
    db.add(LedgerEntry(group_id=grp.id, account_id=acct.id, type="CREDIT", amount_kobo=wr.amount_kobo * 2,
                       reference="CREDIT-1", source="demo"))  # money to debit: balances cannot go negative
    db.flush()

    def debit(ref: str) -> LedgerEntry:
        row = LedgerEntry(
            group_id=grp.id, account_id=acct.id, withdrawal_id=wr.id, type="DEBIT",
            amount_kobo=wr.amount_kobo, reference=ref, source="payout",
        )
        db.add(row)
        return row

    debit("PAYOUT-1")
    db.flush()
    _refused(db, lambda: debit("PAYOUT-2"), "uq_ledger_entry_one_debit_per_withdrawal")


def test_withdrawal_amount_must_be_positive(db):
    requester = f.user(db)
    grp = f.group(db, requester)
    _refused(db, lambda: f.withdrawal(db, grp, requester, amount_kobo=0), "ck_withdrawal_request_amount_kobo_positive")


def test_group_cap_cannot_be_below_quorum(db):
    _refused(db, lambda: f.group(db, approvals_required=3, approvals_cap=2), "ck_group_cap_not_below_required")


def test_one_current_membership_per_group(db):
    member = f.user(db)
    grp = f.group(db)
    f.membership(db, grp, member, removed_at=None)
    _refused(db, lambda: f.membership(db, grp, member, role="OWNER"), "uq_group_membership_current")


def test_user_email_must_be_unique_and_lowercase(db):
    f.user(db, email="dup@example.com")
    _refused(db, lambda: f.user(db, email="dup@example.com"), "uq_users_email")
    _refused(db, lambda: f.user(db, email="Mixed@Example.com"), "ck_users_email_lowercase")


def test_unknown_kyc_status_is_refused(db):
    _refused(db, lambda: f.user(db, kyc_status="MAYBE"), "ck_users_kyc_status_valid")


def test_one_open_kyc_submission_per_user(db):
    owner = f.user(db)
    f.verification(db, owner, attempt=1)
    _refused(db, lambda: f.verification(db, owner, attempt=2), "uq_kyc_verifications_one_open_per_user")
    f.verification(db, owner, attempt=3, status="APPROVED")  # decided ones may pile up


def test_kyc_rejection_needs_a_reason(db):
    _refused(db, lambda: f.verification(db, status="REJECTED"), "ck_kyc_verifications_rejection_has_reason")


def test_settings_has_exactly_one_row(db):
    assert db.execute(text("SELECT count(*), min(id) FROM settings")).one() == (1, 1)
    _refused(db, lambda: db.execute(text("INSERT INTO settings (id) VALUES (2)")), "ck_settings_single_row")


def test_money_columns_are_numeric_never_float(db):
    rows = db.execute(
        text(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'public' AND data_type IN ('real', 'double precision')"
        )
    ).all()
    assert rows == []


def test_money_keeps_every_cent(db):
    tx = f.transaction(db, amount=Decimal("12345678901.12345678"), amount_usd=Decimal("9999999999999999.99"))
    db.expire(tx)
    assert tx.amount == Decimal("12345678901.12345678")
    assert tx.amount_usd == Decimal("9999999999999999.99")
