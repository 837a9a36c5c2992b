"""Group withdrawal approvals (issue 8): visibility, every rule, payouts, webhooks, concurrency."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from dashboard import models as m
from dashboard.core.permissions import GROUP_OFFICER
from dashboard.groups import actions, balances, queries, rules, webhooks
from dashboard.core.actor import Actor
from dashboard.core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from dashboard.groups.payouts import SANDBOX
from tests import factories as f


@pytest.fixture(autouse=True)
def _sandbox():
    SANDBOX.reset()
    yield
    SANDBOX.reset()


def officer_actor(u: m.User) -> Actor:
    return Actor(user_id=u.id, email=u.email, role=GROUP_OFFICER)


def credit(session: Session, grp: m.Group, acc: m.Account, kobo: int) -> None:
    session.add(m.LedgerEntry(group_id=grp.id, account_id=acc.id, type="CREDIT", amount_kobo=kobo,
                              source="demo", reference=f"CR-{uuid.uuid4().hex}"))
    session.flush()


def setup_group(session: Session, *, required: int = 2, officers: int = 3, balance: int = 10_000_000,
                **wkw) -> dict:
    people = [f.user(session) for _ in range(officers)]
    grp = f.group(session, people[0], approvals_required=required, approvals_cap=max(required, officers))
    for i, p in enumerate(people):
        f.membership(session, grp, p, role="OWNER" if i == 0 else "TREASURER")
    acc = f.account(session, grp)
    if balance:
        credit(session, grp, acc, balance)
    wr = f.withdrawal(session, grp, people[0], **wkw)
    return {"group": grp, "officers": people, "account": acc, "request": wr,
            "actors": [officer_actor(p) for p in people]}


def status_of(session: Session, wr: m.WithdrawalRequest) -> str:
    return session.execute(sa.text("SELECT status FROM withdrawal_request WHERE id = :id"), {"id": wr.id}).scalar()


def debits(session: Session, wr_id) -> int:
    return session.execute(sa.text("SELECT count(*) FROM ledger_entry WHERE withdrawal_id = :w AND type = 'DEBIT'"),
                           {"w": wr_id}).scalar()


# --- formatting ---------------------------------------------------------------------------------
# --- balance maintained by the database -----------------------------------------------------------
def test_balance_row_follows_every_ledger_insert_and_never_goes_negative(db: Session) -> None:
    g = setup_group(db, balance=1_000)
    assert balances.group_balance(db, g["group"].id) == 1_000
    credit(db, g["group"], g["account"], 500)
    assert balances.group_balance(db, g["group"].id) == 1_500
    with pytest.raises(IntegrityError), db.begin_nested():
        db.add(m.LedgerEntry(group_id=g["group"].id, account_id=g["account"].id, type="DEBIT", amount_kobo=2_000,
                             withdrawal_id=g["request"].id, source="payout", reference="D-1"))
        db.flush()
    assert balances.group_balance(db, g["group"].id) == 1_500


def test_rebuild_group_balances_matches_the_ledger(db: Session) -> None:
    g = setup_group(db, balance=7_000)
    db.execute(sa.text("UPDATE group_balances SET balance_kobo = 1 WHERE group_id = :g"), {"g": g["group"].id})
    balances.rebuild_group_balances(db)
    assert balances.group_balance(db, g["group"].id) == 7_000


# --- visibility -----------------------------------------------------------------------------------
def test_officer_sees_only_their_groups_requests(db: Session) -> None:
    mine, other = setup_group(db), setup_group(db)
    page = queries.list_requests(db, actor=mine["actors"][1])
    ids = {r["id"] for r in page.rows}
    assert str(mine["request"].id) in ids and str(other["request"].id) not in ids


def test_guessing_another_groups_request_id_gives_not_found(db: Session) -> None:
    mine, other = setup_group(db), setup_group(db)
    me = mine["actors"][1]
    for call in (lambda: queries.open_request(db, actor=me, request_id=str(other["request"].id)),
                 lambda: actions.approve(db, actor=me, request_id=str(other["request"].id)),
                 lambda: actions.decline(db, actor=me, request_id=str(other["request"].id), reason="Not ours"),
                 lambda: actions.execute_payout(db, actor=me, request_id=str(other["request"].id))):
        with pytest.raises(NotFound) as err:
            call()
        assert str(err.value) == rules.NOT_FOUND
    with pytest.raises(NotFound) as missing:
        queries.open_request(db, actor=me, request_id=str(uuid.uuid4()))
    assert str(missing.value) == rules.NOT_FOUND  # same answer: existence does not leak
    assert status_of(db, other["request"]) == "PENDING"


def test_group_filter_cannot_widen_an_officers_view(db: Session) -> None:
    mine, other = setup_group(db), setup_group(db)
    page = queries.list_requests(db, actor=mine["actors"][1], tab="open", group=str(other["group"].id))
    assert page.rows == []


def test_admin_sees_every_group_read_only(db: Session) -> None:
    g = setup_group(db)
    admin = Actor(user_id=f.user(db, role="ADMIN", platform="STAFF").id, email="a@x", role="ADMIN")
    view = queries.open_request(db, actor=admin, request_id=str(g["request"].id))
    assert view.actions["can_approve"] == "" and view.actions["why_approve"] == rules.WHY_READ_ONLY
    assert any(r["id"] == str(g["request"].id) for r in queries.list_requests(db, actor=admin).rows)
    with pytest.raises(NotAllowed):
        actions.approve(db, actor=admin, request_id=str(g["request"].id))


def test_staff_treasurer_without_membership_sees_and_approves_nothing(db: Session) -> None:
    g = setup_group(db)
    t = f.user(db, role="TREASURER", platform="STAFF")
    actor = Actor(user_id=t.id, email=t.email, role="TREASURER")
    assert queries.list_requests(db, actor=actor).extra["scope"] == "none"
    with pytest.raises(NotFound):
        actions.approve(db, actor=actor, request_id=str(g["request"].id))


def test_removed_officer_loses_access(db: Session) -> None:
    g = setup_group(db)
    db.execute(sa.text("UPDATE group_membership SET removed_at = now() WHERE user_id = :u"), {"u": g["officers"][1].id})
    with pytest.raises(NotFound):
        queries.open_request(db, actor=g["actors"][1], request_id=str(g["request"].id))


def test_bad_ids_and_filters_are_refused_clearly(db: Session) -> None:
    g = setup_group(db)
    for junk in ({"$ne": None}, ["x"], "../../etc", -1, "'; DROP TABLE users; --", None):
        with pytest.raises(InvalidInput):
            queries.open_request(db, actor=g["actors"][1], request_id=junk)
    with pytest.raises(InvalidInput):
        rules.parse_query("everything")
    with pytest.raises(InvalidInput):
        rules.parse_query("open", "paid")
    with pytest.raises(InvalidInput):
        queries.list_requests(db, actor=g["actors"][1], after="garbage")
    with pytest.raises(InvalidInput):
        queries.list_requests(db, actor=g["actors"][1], tab="open", status="paid")


# --- approval rules -------------------------------------------------------------------------------
def test_requester_cannot_approve_own_request_service_and_database(db: Session) -> None:
    g = setup_group(db)
    with pytest.raises(NotAllowed, match="You requested this"):
        actions.approve(db, actor=g["actors"][0], request_id=str(g["request"].id))
    view = queries.open_request(db, actor=g["actors"][0], request_id=str(g["request"].id))
    assert view.actions["why_approve"] == rules.WHY_REQUESTER
    with pytest.raises(IntegrityError, match="requester cannot approve"), db.begin_nested():
        db.add(m.Approval(withdrawal_id=g["request"].id, approver_user_id=g["officers"][0].id))
        db.flush()


def test_one_approval_per_officer(db: Session) -> None:
    g = setup_group(db, required=3, officers=4)
    actions.approve(db, actor=g["actors"][1], request_id=str(g["request"].id))
    with pytest.raises(Conflict, match="already approved"):
        actions.approve(db, actor=g["actors"][1], request_id=str(g["request"].id))
    view = queries.open_request(db, actor=g["actors"][1], request_id=str(g["request"].id))
    assert view.actions["why_approve"] == rules.WHY_APPROVED_ALREADY
    with pytest.raises(IntegrityError), db.begin_nested():
        db.add(m.Approval(withdrawal_id=g["request"].id, approver_user_id=g["officers"][1].id))
        db.flush()


def test_member_without_office_cannot_approve(db: Session) -> None:
    g = setup_group(db)
    member = f.user(db)
    f.membership(db, g["group"], member, role="MEMBER")
    with pytest.raises(NotFound):
        actions.approve(db, actor=officer_actor(member), request_id=str(g["request"].id))


def test_expired_request_cannot_be_approved(db: Session) -> None:
    g = setup_group(db, expires_at=datetime.now(UTC) - timedelta(minutes=1))
    with pytest.raises(Conflict, match="expired"):
        actions.approve(db, actor=g["actors"][1], request_id=str(g["request"].id))
    view = queries.open_request(db, actor=g["actors"][1], request_id=str(g["request"].id))
    assert view.actions["why_approve"] == rules.WHY_EXPIRED and view.summary["status"] == "EXPIRED"
    history = queries.list_requests(db, actor=g["actors"][1], tab="history", status="expired")
    assert [r["id"] for r in history.rows] == [str(g["request"].id)]


def test_quorum_makes_the_request_approved_with_history_outbox_audit(db: Session) -> None:
    g = setup_group(db)
    first = actions.approve(db, actor=g["actors"][1], request_id=str(g["request"].id))
    assert (first.approvals, first.status) == (1, "PENDING")
    second = actions.approve(db, actor=g["actors"][2], request_id=str(g["request"].id))
    assert (second.approvals, second.status) == (2, "APPROVED")
    assert status_of(db, g["request"]) == "APPROVED"
    rid = str(g["request"].id)
    assert db.execute(sa.text("SELECT count(*) FROM status_history WHERE entity_id = :w AND to_status = 'APPROVED'"),
                      {"w": g["request"].id}).scalar() == 1
    assert db.execute(sa.text("SELECT count(*) FROM outbox_events WHERE aggregate_id = :w"), {"w": rid}).scalar() == 3
    assert db.execute(sa.text("SELECT count(*) FROM activity_logs WHERE target_id = :w"), {"w": rid}).scalar() == 3


def test_approval_of_a_removed_officer_no_longer_counts(db: Session) -> None:
    g = setup_group(db, required=2, officers=4)
    actions.approve(db, actor=g["actors"][1], request_id=str(g["request"].id))
    db.execute(sa.text("UPDATE group_membership SET removed_at = now() WHERE user_id = :u AND group_id = :g"),
               {"u": g["officers"][1].id, "g": g["group"].id})
    result = actions.approve(db, actor=g["actors"][2], request_id=str(g["request"].id))
    assert (result.approvals, result.status) == (1, "PENDING")
    view = queries.open_request(db, actor=g["actors"][2], request_id=str(g["request"].id))
    assert view.summary["approvals"] == "1 of 2"
    assert any("No longer counts" in t["note"] for t in view.timeline)


def test_payout_rechecks_quorum_after_an_officer_is_removed(db: Session) -> None:
    g = setup_group(db)
    for a in g["actors"][1:]:
        actions.approve(db, actor=a, request_id=str(g["request"].id))
    db.execute(sa.text("UPDATE group_membership SET removed_at = now() WHERE user_id = :u"), {"u": g["officers"][2].id})
    with pytest.raises(Conflict, match="Quorum not met"):
        actions.execute_payout(db, actor=g["actors"][1], request_id=str(g["request"].id))
    assert debits(db, g["request"].id) == 0


def test_decline_needs_a_reason_and_ends_the_request(db: Session) -> None:
    g = setup_group(db)
    with pytest.raises(InvalidInput):
        actions.decline(db, actor=g["actors"][1], request_id=str(g["request"].id), reason="  ")
    actions.decline(db, actor=g["actors"][1], request_id=str(g["request"].id), reason="Not agreed at the meeting")
    row = db.execute(sa.text("SELECT status, decline_reason, declined_by FROM withdrawal_request WHERE id = :id"),
                     {"id": g["request"].id}).one()
    assert row.status == "DECLINED" and row.decline_reason == "Not agreed at the meeting"
    assert row.declined_by == g["officers"][1].id
    with pytest.raises(Conflict):
        actions.approve(db, actor=g["actors"][2], request_id=str(g["request"].id))
    with pytest.raises(Conflict):
        actions.execute_payout(db, actor=g["actors"][2], request_id=str(g["request"].id))


# --- payouts --------------------------------------------------------------------------------------
def approved(db: Session, **kw) -> dict:
    g = setup_group(db, **kw)
    for a in g["actors"][1:3]:
        actions.approve(db, actor=a, request_id=str(g["request"].id))
    return g


def test_payout_before_quorum_is_refused(db: Session) -> None:
    g = setup_group(db)
    view = queries.open_request(db, actor=g["actors"][1], request_id=str(g["request"].id))
    assert view.actions["why_pay"].startswith(rules.WHY_QUORUM)
    with pytest.raises(Conflict, match="Quorum not met"):
        actions.execute_payout(db, actor=g["actors"][1], request_id=str(g["request"].id))


def test_payout_writes_one_debit_marks_paid_and_moves_the_balance(db: Session) -> None:
    g = approved(db, balance=1_000_000, amount_kobo=400_000)
    out = actions.execute_payout(db, actor=g["actors"][1], request_id=str(g["request"].id))
    assert out.status == "SUCCESS"
    assert status_of(db, g["request"]) == "PAID"
    assert debits(db, g["request"].id) == 1
    assert balances.group_balance(db, g["group"].id) == 600_000
    ref = db.execute(sa.text("SELECT reference FROM ledger_entry WHERE withdrawal_id = :w"), {"w": g["request"].id}).scalar()
    assert ref == f"PAYOUT-{g['request'].id}"
    with pytest.raises(Conflict, match="already been paid"):
        actions.execute_payout(db, actor=g["actors"][2], request_id=str(g["request"].id))
    view = queries.open_request(db, actor=g["actors"][1], request_id=str(g["request"].id))
    assert view.balance == "₦6,000.00" and view.ledger[0]["type"] == "DEBIT" and view.payouts[0]["status"] == "SUCCESS"


def test_payout_with_insufficient_balance_is_refused(db: Session) -> None:
    g = approved(db, balance=100_000, amount_kobo=400_000)
    view = queries.open_request(db, actor=g["actors"][1], request_id=str(g["request"].id))
    assert view.actions["why_pay"].startswith(rules.WHY_BALANCE)
    with pytest.raises(Conflict, match="Insufficient balance"):
        actions.execute_payout(db, actor=g["actors"][1], request_id=str(g["request"].id))
    assert debits(db, g["request"].id) == 0


def test_payout_after_expiry_is_refused(db: Session) -> None:
    g = approved(db)
    db.execute(sa.text("UPDATE withdrawal_request SET expires_at = now() - interval '1 minute' WHERE id = :w"),
               {"w": g["request"].id})
    with pytest.raises(Conflict, match="expired"):
        actions.execute_payout(db, actor=g["actors"][1], request_id=str(g["request"].id))


def test_sandbox_failure_records_recovery_and_retry_debits_once(db: Session) -> None:
    g = approved(db, balance=1_000_000, amount_kobo=300_000)
    SANDBOX.fail_next = 1
    failed = actions.execute_payout(db, actor=g["actors"][1], request_id=str(g["request"].id))
    assert failed.status == "FAILED" and "Nothing was debited" in failed.message
    assert status_of(db, g["request"]) == "APPROVED" and debits(db, g["request"].id) == 0
    assert db.execute(sa.text("SELECT count(*) FROM payout_recovery WHERE withdrawal_id = :w AND resolved_at IS NULL"),
                      {"w": g["request"].id}).scalar() == 1
    with pytest.raises(Conflict, match="Retry payout"):  # "Pay" again does not call the provider
        actions.execute_payout(db, actor=g["actors"][2], request_id=str(g["request"].id))
    retried = actions.retry_payout(db, actor=g["actors"][2], request_id=str(g["request"].id), expected_attempt=1)
    assert retried.status == "SUCCESS"
    p = db.execute(sa.text("SELECT status, attempts FROM payout WHERE withdrawal_id = :w"), {"w": g["request"].id}).one()
    assert (p.status, p.attempts) == ("SUCCESS", 2)
    assert debits(db, g["request"].id) == 1 and balances.group_balance(db, g["group"].id) == 700_000
    assert db.execute(sa.text("SELECT count(*) FROM payout_recovery WHERE withdrawal_id = :w AND resolved_at IS NULL"),
                      {"w": g["request"].id}).scalar() == 0


def test_beneficiary_account_ending_0000_fails_in_the_sandbox(db: Session) -> None:
    g = approved(db, beneficiary={"account_name": "Ada", "bank_name": "GTBank", "account_number": "0123450000"})
    assert actions.execute_payout(db, actor=g["actors"][1], request_id=str(g["request"].id)).status == "FAILED"


# --- webhooks -------------------------------------------------------------------------------------
def pending_payout(db: Session) -> tuple[dict, str]:
    g = approved(db, balance=1_000_000, amount_kobo=250_000,
                 beneficiary={"account_name": "Ada", "bank_name": "GTBank", "account_number": "0123451111"})
    out = actions.execute_payout(db, actor=g["actors"][1], request_id=str(g["request"].id))
    assert out.status == "PENDING"
    ref = db.execute(sa.text("SELECT provider_reference FROM payout WHERE withdrawal_id = :w"), {"w": g["request"].id}).scalar()
    return g, ref


def test_webhook_confirmation_pays_once_and_duplicates_change_nothing(db: Session) -> None:
    g, ref = pending_payout(db)
    assert debits(db, g["request"].id) == 0
    body = {"event": "transfer.completed", "data": {"reference": ref, "status": "SUCCESSFUL"}}
    assert webhooks.record_webhook(db, provider="sandbox", event_id="evt-1", event_type="transfer.completed", payload=body)
    assert not webhooks.record_webhook(db, provider="sandbox", event_id="evt-1", event_type="transfer.completed", payload=body)
    webhooks.record_webhook(db, provider="sandbox", event_id="evt-2", event_type="transfer.completed", payload=body)
    report = webhooks.process_webhooks(db)
    assert (report.processed, report.applied, report.ignored) == (2, 1, 1)
    assert status_of(db, g["request"]) == "PAID" and debits(db, g["request"].id) == 1
    assert webhooks.process_webhooks(db).processed == 0  # nothing left
    assert balances.group_balance(db, g["group"].id) == 750_000


def test_webhook_failure_records_recovery_and_allows_retry(db: Session) -> None:
    g, ref = pending_payout(db)
    view = queries.open_request(db, actor=g["actors"][2], request_id=str(g["request"].id))
    assert view.actions["can_pay"] == "" and "not confirmed" in view.actions["why_pay"]
    webhooks.record_webhook(db, provider="sandbox", event_id="evt-f", event_type="transfer.completed",
                       payload={"data": {"reference": ref, "status": "FAILED", "complete_message": "Bank down"}})
    assert webhooks.process_webhooks(db).applied == 1
    assert db.execute(sa.text("SELECT error_message FROM payout_recovery WHERE withdrawal_id = :w"),
                      {"w": g["request"].id}).scalar() == "Bank down"
    SANDBOX.pending_suffixes = ()
    view = queries.open_request(db, actor=g["actors"][2], request_id=str(g["request"].id))
    assert (view.actions["can_pay"], view.actions["can_retry"], view.actions["retry_attempt"]) == ("", "yes", "1")
    assert actions.retry_payout(db, actor=g["actors"][2], request_id=str(g["request"].id),
                                expected_attempt=view.actions["retry_attempt"]).status == "SUCCESS"
    assert debits(db, g["request"].id) == 1


def test_unknown_webhook_reference_is_marked_with_an_error(db: Session) -> None:
    webhooks.record_webhook(db, provider="sandbox", event_id="evt-x", event_type="transfer.completed",
                       payload={"data": {"reference": "nope", "status": "SUCCESSFUL"}})
    webhooks.record_webhook(db, provider="sandbox", event_id="evt-y", event_type="charge.completed", payload={"data": {}})
    report = webhooks.process_webhooks(db)
    assert (report.errors, report.ignored) == (1, 1)
    err = db.execute(sa.text("SELECT error FROM webhook_event WHERE event_id = 'evt-x'")).scalar()
    assert "Unknown payout reference" in err


# --- concurrency ----------------------------------------------------------------------------------
def test_twenty_parallel_approve_and_pay_attempts_pay_exactly_once(fresh_engine) -> None:
    with Session(fresh_engine, expire_on_commit=False) as s:
        g = setup_group(s, required=2, officers=5, balance=1_000_000, amount_kobo=600_000)
        other = f.withdrawal(s, g["group"], g["officers"][0], amount_kobo=600_000)  # competes for the balance
        s.commit()
        actors = g["actors"]
        rid, other_id = str(g["request"].id), str(other.id)
    barrier = threading.Barrier(20)
    errors: list[BaseException] = []

    def attempt(i: int) -> None:
        actor = actors[i % len(actors)]
        target = rid if i % 4 else other_id
        barrier.wait()
        for fn in (actions.approve, actions.execute_payout):
            try:
                with Session(fresh_engine) as s, s.begin():
                    fn(s, actor=actor, request_id=target)
            except (Conflict, NotAllowed):
                pass
            except BaseException as exc:  # pragma: no cover - shown in the assertion
                errors.append(exc)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with Session(fresh_engine) as s:
        for wid in (rid, other_id):
            approvers = s.execute(sa.text("SELECT approver_user_id FROM approval WHERE withdrawal_id = :w"),
                                  {"w": wid}).scalars().all()
            # the quorum (2) of distinct officers, never the requester; later clicks find it APPROVED
            assert len(approvers) == len(set(approvers)) == 2
            assert g["officers"][0].id not in approvers
            assert s.execute(sa.text("SELECT count(*) FROM payout WHERE withdrawal_id = :w"), {"w": wid}).scalar() <= 1
            assert debits(s, wid) <= 1
        paid = s.execute(sa.text("SELECT count(*) FROM withdrawal_request WHERE status = 'PAID'")).scalar()
        assert paid == 1  # the balance covers one of the two requests, never both
        assert s.execute(sa.text("SELECT count(*) FROM ledger_entry WHERE type = 'DEBIT'")).scalar() == 1
        assert s.execute(sa.text("SELECT balance_kobo FROM group_balances")).scalar() == 400_000
        assert s.execute(sa.text("SELECT count(*) FROM payout WHERE status = 'SUCCESS'")).scalar() == 1


def test_thirty_pay_clicks_on_a_failing_payout_make_one_provider_call_and_retry_is_explicit(fresh_engine) -> None:
    """Issue 12, finding 8: 30 clicks on "Pay" of a failed payout made 23 provider attempts."""
    with Session(fresh_engine, expire_on_commit=False) as s:
        g = setup_group(s, required=2, officers=4, balance=1_000_000, amount_kobo=300_000,
                        beneficiary={"account_name": "Ada", "bank_name": "GTBank", "account_number": "0123450000"})
        for a in g["actors"][1:3]:
            actions.approve(s, actor=a, request_id=str(g["request"].id))
        s.commit()
        actors, rid = g["actors"], str(g["request"].id)
    errors: list[BaseException] = []

    def clicks(fn, **kwargs) -> list[str]:
        barrier, outcomes = threading.Barrier(30), []

        def click(i: int) -> None:
            barrier.wait()
            try:
                with Session(fresh_engine) as s, s.begin():
                    outcomes.append(fn(s, actor=actors[1 + i % 3], request_id=rid, **kwargs).status)
            except Conflict:
                outcomes.append("refused")
            except BaseException as exc:  # pragma: no cover - shown in the assertion
                errors.append(exc)

        threads = [threading.Thread(target=click, args=(i,)) for i in range(30)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return outcomes

    paid = clicks(actions.execute_payout)
    assert errors == [] and SANDBOX.calls == 1
    assert sorted(paid) == ["FAILED"] + ["refused"] * 29
    retried = clicks(actions.retry_payout, expected_attempt=1)
    assert errors == [] and SANDBOX.calls == 2
    assert sorted(retried) == ["FAILED"] + ["refused"] * 29
    with Session(fresh_engine) as s:
        rows = s.execute(sa.text("SELECT attempt, kind, status FROM payout_attempt WHERE withdrawal_id = :w "
                                 "ORDER BY attempt"), {"w": rid}).all()
        assert [tuple(r) for r in rows] == [(1, "PAY", "FAILED"), (2, "RETRY", "FAILED")]
        assert s.execute(sa.text("SELECT attempts FROM payout WHERE withdrawal_id = :w"), {"w": rid}).scalar() == 2
        assert debits(s, rid) == 0


def test_the_database_refuses_a_second_attempt_in_flight(db: Session) -> None:
    g = approved(db, balance=1_000_000, amount_kobo=250_000,
                 beneficiary={"account_name": "Ada", "bank_name": "GTBank", "account_number": "0123451111"})
    assert actions.execute_payout(db, actor=g["actors"][1], request_id=str(g["request"].id)).status == "PENDING"
    payout = db.execute(sa.text("SELECT id FROM payout WHERE withdrawal_id = :w"), {"w": g["request"].id}).scalar()
    with pytest.raises(IntegrityError, match="uq_payout_attempt_one_in_flight"), db.begin_nested():
        db.execute(sa.text("INSERT INTO payout_attempt (payout_id, withdrawal_id, attempt, kind, reference, status) "
                           "VALUES (:p, :w, 2, 'RETRY', 'x-2', 'PENDING')"), {"p": payout, "w": g["request"].id})
    with pytest.raises(InvalidInput):
        actions.retry_payout(db, actor=g["actors"][1], request_id=str(g["request"].id), expected_attempt="one")
