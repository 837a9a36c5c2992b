"""Issue 12, findings 4 and 5: a decision made on a stale view is refused (transactions single and bulk,
KYC, groups); status-history rows and payout retries keep their order; a new or re-credentialed account
cannot give a second approval within the cooling-off period."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session

from dashboard import models as m
from dashboard.auth import passwords
from dashboard.core import decisions
from dashboard.core.actor import Actor
from dashboard.core.errors import Conflict, InvalidInput, NotAllowed
from dashboard.core.history import record_status_change
from dashboard.groups import actions as group_actions
from dashboard.groups import queries as group_queries
from dashboard.groups.payouts import SANDBOX
from dashboard.kyc import actions as kyc_actions
from dashboard.staff import actions as staff_actions
from dashboard.transactions import actions
from tests.conftest import Clock
from tests.service.test_groups import setup_group, status_of
from tests.service.test_kyc import case, writes
from tests.service.test_kyc import officer as compliance_officer
from tests.service.test_transactions import (
    _commit, _decide_many, _sessions, cash, counts, customer, officer, reload, settings, tx,
)

STALE = "This item changed since you opened it"


@pytest.fixture(autouse=True)
def _sandbox():
    SANDBOX.reset()
    yield
    SANDBOX.reset()


def _history(session: Session, entity_id: uuid.UUID) -> list[tuple[str | None, str]]:
    rows = session.execute(sa.select(m.StatusHistory.from_status, m.StatusHistory.to_status)
                           .where(m.StatusHistory.entity_id == entity_id).order_by(m.StatusHistory.created_at)).all()
    return [(r.from_status, r.to_status) for r in rows]


# --- finding 4: stale views ------------------------------------------------------------------------
def test_maker_checker_second_tab_still_showing_pending_is_refused(db: Session) -> None:
    """The issue's race: two treasurers' tabs both show PENDING; the first approval moves the item to
    AWAITING_SECOND_APPROVAL; the second tab's "approve" (carrying PENDING) changes nothing."""
    settings(db, threshold="10000")
    first, second = officer(db), officer(db)
    rich = customer(db, cash="50000.00")
    big = tx(db, rich, kind="WITHDRAWAL", amount="12000.00")
    shown = reload(db, big).status  # what both tabs display
    assert shown == "PENDING"
    out = actions.decide(db, actor=first, queue="deposits", item_id=str(big.id), action="approve",
                         expected_status=shown)
    assert out.status == "AWAITING_SECOND_APPROVAL"
    before = counts(db)
    with pytest.raises(Conflict, match=STALE) as err:
        actions.decide(db, actor=second, queue="deposits", item_id=str(big.id), action="approve",
                       expected_status=shown)
    assert "it is now awaiting second approval" in str(err.value)
    row = reload(db, big)
    assert row.status == "AWAITING_SECOND_APPROVAL" and row.processed_by is None
    assert cash(db, rich) == Decimal("50000.00") and counts(db) == before  # no money effect, no record
    # the same treasurer, now looking at the item as it is, completes it
    done = actions.decide(db, actor=second, queue="deposits", item_id=str(big.id), action="approve",
                          expected_status="AWAITING_SECOND_APPROVAL")
    assert done.status == "COMPLETED" and cash(db, rich) == Decimal("38000.00")


def test_a_stale_decline_and_junk_expected_status_are_refused(db: Session) -> None:
    boss, other = officer(db), officer(db)
    alice = customer(db, cash="100.00")
    dep = tx(db, alice, amount="10.00")
    actions.decide(db, actor=other, queue="deposits", item_id=str(dep.id), action="approve")
    with pytest.raises(Conflict, match="it is now completed"):
        actions.decide(db, actor=boss, queue="deposits", item_id=str(dep.id), action="decline", reason="dup",
                       expected_status="PENDING")
    for junk in (1, "pending; drop", "x" * 60, ["PENDING"]):
        with pytest.raises(InvalidInput):
            actions.decide(db, actor=boss, queue="deposits", item_id=str(dep.id), action="approve",
                           expected_status=junk)
    assert reload(db, dep).status == "COMPLETED" and cash(db, alice) == Decimal("110.00")


def test_bulk_items_carry_the_status_each_row_showed(fresh_engine: Engine) -> None:
    def setup(s: Session):
        settings(s, threshold="10000")
        maker, checker = officer(s), officer(s)
        rich = customer(s, cash="50000.00")
        big = tx(s, rich, kind="WITHDRAWAL", amount="12000.00")
        small = tx(s, rich, amount="10.00")
        return maker, checker, rich, big, small

    maker, checker, rich, big, small = _commit(fresh_engine, setup)
    shown = {str(big.id): "PENDING", str(small.id): "PENDING"}  # the list as the checker saw it
    _commit(fresh_engine, lambda s: actions.decide(s, actor=maker, queue="deposits", item_id=str(big.id),
                                                   action="approve"))
    report = _decide_many(_sessions(fresh_engine), actor=checker, queue="deposits", item_ids=list(shown),
                          action="approve", expected_statuses=shown)
    assert [r["outcome"] for r in report.results] == ["skipped", "done"]
    assert STALE in report.results[0]["message"]
    with Session(fresh_engine) as s:
        assert s.get(m.Transaction, big.id).status == "AWAITING_SECOND_APPROVAL"
        assert cash(s, rich) == Decimal("50010.00")
    for bad in ("PENDING", {str(uuid.uuid4()): "PENDING"}, {"nope": "PENDING"}, {str(big.id): 3}):
        with pytest.raises(InvalidInput):
            _decide_many(_sessions(fresh_engine), actor=checker, queue="deposits", item_ids=[str(big.id)],
                         action="approve", expected_statuses=bad)


def test_kyc_decision_on_a_stale_view_is_refused(db: Session) -> None:
    """Officer A's tab shows the high-risk case UNDER_REVIEW; meanwhile (another tab) the first approval
    moved it to AWAITING_SECOND_REVIEW. The stale tab's reject changes nothing."""
    a, b = compliance_officer(db), compliance_officer(db)
    row = case(db, status="UNDER_REVIEW", risk="HIGH", claimed_by_id=a.user_id,
               claimed_until=kyc_actions._now(db) + timedelta(minutes=20))
    shown = "UNDER_REVIEW"
    assert kyc_actions.approve(db, actor=a, case_id=str(row.id), expected_status=shown) == "AWAITING_SECOND_REVIEW"
    before = writes(db)
    with pytest.raises(Conflict, match="it is now awaiting second review"):
        kyc_actions.reject(db, actor=a, case_id=str(row.id), reason_code=next(iter(kyc_actions.REASONS)),
                           expected_status=shown)
    doc = db.execute(sa.select(m.KycDocument).where(m.KycDocument.verification_id == row.id)).scalars().first()
    with pytest.raises(Conflict, match=STALE):
        kyc_actions.decide_document(db, actor=b, case_id=str(row.id), document_id=str(doc.id), decision="APPROVE",
                                    expected_status=shown)
    with pytest.raises(Conflict, match=STALE):  # the document itself moved on since the page showed it
        kyc_actions.decide_document(db, actor=b, case_id=str(row.id), document_id=str(doc.id), decision="REJECT",
                                    reason="blurred", expected_status="AWAITING_SECOND_REVIEW",
                                    expected_document_status="REJECTED")
    db.expire_all()
    assert db.get(m.KycVerification, row.id).status == "AWAITING_SECOND_REVIEW" and writes(db) == before
    assert kyc_actions.confirm_second_review(db, actor=b, case_id=str(row.id),
                                             expected_status="AWAITING_SECOND_REVIEW") == "APPROVED"


def test_group_decline_on_a_view_still_showing_pending_is_refused(db: Session) -> None:
    """Two officers' views show PENDING (1 of 2); the second approval reaches the quorum; the third
    officer's decline, made on the stale view, changes nothing."""
    g = setup_group(db, required=2, officers=4)
    wr, (_, a1, a2, a3) = g["request"], g["actors"]
    group_actions.approve(db, actor=a1, request_id=str(wr.id), expected_status="PENDING")
    assert group_actions.approve(db, actor=a2, request_id=str(wr.id), expected_status="PENDING").status == "APPROVED"
    with pytest.raises(Conflict, match="it is now approved"):
        group_actions.decline(db, actor=a3, request_id=str(wr.id), reason="Not agreed", expected_status="PENDING")
    with pytest.raises(Conflict, match=STALE):
        group_actions.execute_payout(db, actor=a3, request_id=str(wr.id), expected_status="PENDING")
    assert status_of(db, wr) == "APPROVED"
    assert group_queries.open_request(db, actor=a3, request_id=str(wr.id)).summary["status_code"] == "APPROVED"
    assert group_actions.execute_payout(db, actor=a3, request_id=str(wr.id), expected_status="APPROVED").status \
        == "SUCCESS"


# --- finding 4: order ---------------------------------------------------------------------------
def test_history_rows_of_one_transaction_keep_their_order(db: Session) -> None:
    ident = uuid.uuid4()
    steps = [(None, "A"), ("A", "B"), ("B", "C"), ("C", "D")]
    for frm, to in steps:
        record_status_change(db, entity_type="PAYOUT", entity_id=ident, from_status=frm, to_status=to, actor=None)
    stamps = db.execute(sa.select(m.StatusHistory.created_at).where(m.StatusHistory.entity_id == ident)
                        .order_by(m.StatusHistory.created_at)).scalars().all()
    assert len(set(stamps)) == len(steps)  # not the transaction's one now()
    assert _history(db, ident) == steps


def test_payout_retries_keep_their_order(db: Session) -> None:
    g = setup_group(db, required=2, officers=3)
    wr, actors = g["request"], g["actors"]
    for a in actors[1:3]:
        group_actions.approve(db, actor=a, request_id=str(wr.id))
    SANDBOX.fail_next = 3
    assert group_actions.execute_payout(db, actor=actors[1], request_id=str(wr.id)).status == "FAILED"
    for seen in (1, 2):  # all in the test's one transaction; a retry names the failed attempt it retries
        assert group_actions.retry_payout(db, actor=actors[1], request_id=str(wr.id),
                                          expected_attempt=seen).status == "FAILED"
    payout = db.execute(sa.select(m.Payout.id).where(m.Payout.withdrawal_id == wr.id)).scalar_one()
    assert _history(db, payout) == [(None, "PENDING"), ("PENDING", "FAILED"), ("FAILED", "PENDING"),
                                    ("PENDING", "FAILED"), ("FAILED", "PENDING"), ("PENDING", "FAILED")]
    view = group_queries.open_request(db, actor=actors[1], request_id=str(wr.id))
    attempts = db.execute(sa.text("SELECT (attempted_payload->>'attempt')::int FROM payout_recovery "
                                  "WHERE withdrawal_id = :w"), {"w": wr.id}).scalars().all()
    assert sorted(attempts) == [1, 2, 3] and len(view.recoveries) == 3
    newest_first = db.execute(sa.text("SELECT (attempted_payload->>'attempt')::int FROM payout_recovery "
                                      "WHERE withdrawal_id = :w ORDER BY created_at DESC, "
                                      "(attempted_payload->>'attempt')::int DESC"), {"w": wr.id}).scalars().all()
    assert newest_first == [3, 2, 1]


# --- finding 5: cooling-off -----------------------------------------------------------------------
@pytest.fixture
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    fast = passwords._context.handler("bcrypt_sha256").using(rounds=4)
    monkeypatch.setattr(passwords, "hash_password", fast.hash)


def _admin(db: Session) -> Actor:
    user = m.User(email=f"admin-{uuid.uuid4().hex[:6]}@staff.test", first_name="A", last_name="Dmin", role="ADMIN",
                  platform="STAFF", is_active=True)
    db.add(user)
    db.flush()
    return Actor(user_id=user.id, email=user.email, role="ADMIN")


def _as_actor(row: dict) -> Actor:
    return Actor(user_id=uuid.UUID(str(row["id"])), email=row["email"], role=row["role"])


def test_a_new_treasurer_cannot_give_the_second_approval_until_the_cooling_off_ends(
        db: Session, clock: Clock, cheap_hashing: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(decisions, "utcnow", clock)
    settings(db, threshold="10000")
    boss = _admin(db)
    maker = officer(db)
    fresh = _as_actor(staff_actions.create_staff(db, actor=boss, email="new.treasurer@staff.test", first_name="New",
                                                 last_name="Treasurer", role="TREASURER",
                                                 password="a long enough password 1"))
    rich = customer(db, cash="50000.00")
    big = tx(db, rich, kind="WITHDRAWAL", amount="12000.00")
    actions.decide(db, actor=maker, queue="deposits", item_id=str(big.id), action="approve")
    with pytest.raises(NotAllowed, match="cannot give a second approval until") as err:
        actions.decide(db, actor=fresh, queue="deposits", item_id=str(big.id), action="approve")
    assert "24 h cooling-off" in str(err.value)
    assert reload(db, big).status == "AWAITING_SECOND_APPROVAL" and cash(db, rich) == Decimal("50000.00")
    # a first approval is not a check: the new account may make one
    other = tx(db, rich, kind="WITHDRAWAL", amount="11000.00")
    assert actions.decide(db, actor=fresh, queue="deposits", item_id=str(other.id), action="approve").status \
        == "AWAITING_SECOND_APPROVAL"
    clock.advance(hours=24, minutes=1)
    assert actions.decide(db, actor=fresh, queue="deposits", item_id=str(big.id), action="approve").status \
        == "COMPLETED"


@pytest.mark.parametrize("change", ["password", "role", "two_factor"])
def test_a_re_credentialed_officer_waits_again(db: Session, clock: Clock, cheap_hashing: None,
                                               monkeypatch: pytest.MonkeyPatch, change: str) -> None:
    monkeypatch.setattr(decisions, "utcnow", clock)
    boss = _admin(db)
    first = compliance_officer(db)
    checker_user = db.get(m.User, compliance_officer(db, role="MANAGER" if change == "role" else "COMPLIANCE").user_id)
    if change == "two_factor":
        checker_user.two_factor_enabled, checker_user.two_factor_method = True, "AUTHENTICATOR"
        checker_user.two_factor_secret = "x"
        db.add(checker_user)
        db.flush()
    ops = {"password": lambda: staff_actions.reset_password(db, actor=boss, user_id=str(checker_user.id),
                                                            new_password="another long password 2"),
           "role": lambda: staff_actions.change_role(db, actor=boss, user_id=str(checker_user.id), role="COMPLIANCE"),
           "two_factor": lambda: staff_actions.reset_two_factor(db, actor=boss, user_id=str(checker_user.id))}
    ops[change]()
    checker = Actor(user_id=checker_user.id, email=checker_user.email, role="COMPLIANCE")
    row = case(db, status="UNDER_REVIEW", risk="HIGH")
    assert kyc_actions.approve(db, actor=first, case_id=str(row.id)) == "AWAITING_SECOND_REVIEW"
    with pytest.raises(NotAllowed, match="cooling-off"):
        kyc_actions.confirm_second_review(db, actor=checker, case_id=str(row.id))
    clock.advance(hours=25)
    assert kyc_actions.confirm_second_review(db, actor=checker, case_id=str(row.id)) == "APPROVED"


def test_cooling_off_zero_switches_the_rule_off(db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    from dashboard.config import get_settings

    monkeypatch.setattr(get_settings(), "second_approver_cooling_off_hours", 0)
    settings(db, threshold="10000")
    maker, checker = officer(db), officer(db)
    db.execute(sa.update(m.User).where(m.User.id == checker.user_id).values(credentials_changed_at=sa.func.now()))
    rich = customer(db, cash="50000.00")
    big = tx(db, rich, kind="WITHDRAWAL", amount="12000.00")
    actions.decide(db, actor=maker, queue="deposits", item_id=str(big.id), action="approve")
    assert actions.decide(db, actor=checker, queue="deposits", item_id=str(big.id), action="approve").status \
        == "COMPLETED"
