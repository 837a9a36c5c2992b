"""KYC review services (issue 4) against a real PostgreSQL: queue, claims, decisions, four-eyes,
the rejection taxonomy, one transaction per decision, and two officers deciding at once."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session

from dashboard import models as m
from dashboard.kyc import actions, queries, rules
from dashboard.core.actor import Actor
from dashboard.core.errors import Conflict, InvalidInput, NotAllowed, NotAuthenticated, NotFound
from dashboard.core.history import record_status_change
from dashboard.core.notifications import notify
from dashboard.core.outbox import emit
from tests import factories

NOW = datetime.now(UTC)


def officer(session: Session, role: str = "COMPLIANCE") -> Actor:
    user = factories.user(session, role=role, platform="STAFF", email=f"{role.lower()}-{uuid.uuid4().hex[:6]}@staff.test")
    return Actor(user_id=user.id, email=user.email, role=role)


def case(session: Session, *, status: str = "PENDING", risk: str | None = "LOW", hours_old: float = 2,
         docs: tuple[str, ...] = ("ID_FRONT", "ID_BACK", "SELFIE"), **kw: Any) -> m.KycVerification:
    user = factories.user(session, kyc_status="UNDER_REVIEW" if status != "PENDING" else "PENDING")
    values: dict[str, Any] = dict(status=status, risk_level=risk, submitted_at=NOW - timedelta(hours=hours_old),
                                  extracted_document_number=None, country="GB")
    values.update(kw)
    row = factories.verification(session, user, **values)
    for kind in docs:
        session.add(m.KycDocument(user_id=user.id, verification_id=row.id, document_type=kind,
                                  storage_key=f"kyc/{user.id}/{row.id}/{kind.lower()}.jpg", file_name=f"{kind}.jpg",
                                  file_size=1000, mime_type="image/jpeg"))
    session.flush()
    return row


def count(session: Session, model: Any, **where: Any) -> int:
    q = sa.select(sa.func.count()).select_from(model)
    for key, value in where.items():
        q = q.where(getattr(model, key) == value)
    return session.execute(q).scalar_one()


def writes(session: Session) -> tuple[int, ...]:
    return tuple(count(session, t) for t in (m.ActivityLog, m.OutboxEvent, m.StatusHistory, m.Notification))


# --- shared helpers -------------------------------------------------------------------------------------
def test_outbox_emit_makes_the_payload_json_safe(db: Session) -> None:
    from decimal import Decimal

    event = emit(db, event_type="test.event", aggregate_type="thing", aggregate_id=uuid.uuid4(),
                 payload={"amount": Decimal("12345678901234567.89"), "when": NOW, "id": uuid.uuid4()}, actor=None)
    db.refresh(event)
    assert event.payload["amount"] == "12345678901234567.89"
    assert event.status == "PENDING"
    with pytest.raises(InvalidInput):
        emit(db, event_type="test.event", aggregate_type="thing", aggregate_id="1", payload={"x": 1.5}, actor=None)


def test_history_refuses_a_change_to_the_same_status(db: Session) -> None:
    row = record_status_change(db, entity_type="KYC_VERIFICATION", entity_id=uuid.uuid4(), from_status="PENDING",
                               to_status="UNDER_REVIEW", actor=None)
    assert row.id is not None
    with pytest.raises(InvalidInput):
        record_status_change(db, entity_type="KYC_VERIFICATION", entity_id=uuid.uuid4(), from_status="A",
                             to_status="A", actor=None)
    with pytest.raises(InvalidInput):
        record_status_change(db, entity_type="NOPE", entity_id=uuid.uuid4(), from_status=None, to_status="A", actor=None)


def test_notify_writes_a_notification(db: Session) -> None:
    user = factories.user(db)
    n = notify(db, user_id=str(user.id), notification_type="KYC_APPROVED", title="Hi", message="Hello")
    assert n.user_id == user.id and n.read is False
    with pytest.raises(InvalidInput):
        notify(db, user_id="nope", notification_type="X", title="t", message="m")


# --- queue -------------------------------------------------------------------------------------------
def test_queue_lists_open_cases_oldest_first_with_sla_and_counts(db: Session) -> None:
    me = officer(db)
    old = case(db, hours_old=30)
    new = case(db, hours_old=1, status="UNDER_REVIEW")
    case(db, status="APPROVED", reviewed_at=NOW)
    page = queries.list_queue(db, actor=me)
    ids = [r.id for r in page.rows]
    assert ids[:2] == [str(old.id), str(new.id)]
    assert page.rows[0].sla_state == "overdue" and page.rows[1].sla_state == "on_time"
    assert page.counts["PENDING"] >= 1 and page.counts["UNDER_REVIEW"] >= 1
    assert "APPROVED" not in page.counts
    assert page.overdue >= 1


def test_queue_filters_search_and_keyset(db: Session) -> None:
    me = officer(db)
    rows = [case(db, hours_old=100 - i, country="DE" if i % 2 else "GB", risk="HIGH" if i == 3 else "LOW")
            for i in range(5)]
    target = rows[2]
    user = db.get(m.User, target.user_id)
    by_email = queries.list_queue(db, actor=me, filters={"search": user.email.upper()})
    assert [r.id for r in by_email.rows] == [str(target.id)]
    by_number = queries.list_queue(db, actor=me, filters={"search": target.document_number})
    assert [r.id for r in by_number.rows] == [str(target.id)]
    by_name = queries.list_queue(db, actor=me, filters={"search": f"{user.first_name} {user.last_name}"})
    assert str(target.id) in [r.id for r in by_name.rows]
    wildcard = queries.list_queue(db, actor=me, filters={"search": "%"})
    assert wildcard.rows == []  # LIKE wildcards are matched literally
    de = queries.list_queue(db, actor=me, filters={"country": "de"})
    assert {r.country for r in de.rows} == {"DE"}
    high = queries.list_queue(db, actor=me, filters={"risk_level": "HIGH"})
    assert [r.id for r in high.rows] == [str(rows[3].id)]
    first = queries.list_queue(db, actor=me, limit=2)
    second = queries.list_queue(db, actor=me, after=first.next_cursor, limit=2)
    assert [r.id for r in first.rows] == [str(rows[0].id), str(rows[1].id)]
    assert [r.id for r in second.rows] == [str(rows[2].id), str(rows[3].id)]
    day = (NOW - timedelta(hours=100)).date()
    dated = queries.list_queue(db, actor=me, filters={"date_from": day.isoformat(), "date_to": day.isoformat()})
    assert all(r.submitted_at.astimezone(UTC).date() == day for r in dated.rows)


def test_queue_assigned_to_me_or_unassigned(db: Session) -> None:
    me, other = officer(db), officer(db)
    mine, theirs, free = case(db), case(db), case(db)
    actions.open_case(db, actor=me, case_id=str(mine.id))
    actions.open_case(db, actor=other, case_id=str(theirs.id))
    assert [r.id for r in queries.list_queue(db, actor=me, filters={"assigned": "me"}).rows] == [str(mine.id)]
    unassigned = {r.id for r in queries.list_queue(db, actor=me, filters={"assigned": "unassigned"}).rows}
    assert str(free.id) in unassigned and str(mine.id) not in unassigned and str(theirs.id) not in unassigned
    row = next(r for r in queries.list_queue(db, actor=me).rows if r.id == str(theirs.id))
    assert row.claimed_by == other.email


@pytest.mark.parametrize("filters", [
    {"status": "APPROVED"}, {"country": "GBR"}, {"date_from": "31/01/2025"}, {"assigned": "everyone"},
    {"search": "x" * 101}, {"date_from": "2025-02-01", "date_to": "2025-01-01"}, {"search": ["a"]}, "status=1",
])
def test_queue_refuses_bad_filters(db: Session, filters: Any) -> None:
    with pytest.raises(InvalidInput):
        queries.list_queue(db, actor=officer(db), filters=filters)


def test_queue_needs_kyc_view_and_a_valid_cursor(db: Session) -> None:
    with pytest.raises(NotAllowed):
        queries.list_queue(db, actor=officer(db, "TREASURER"))
    with pytest.raises(NotAuthenticated):
        queries.list_queue(db, actor=None)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        queries.list_queue(db, actor=officer(db), after="not-a-cursor")
    row = case(db)
    assert [r.id for r in queries.list_queue(db, actor=officer(db, "ADMIN")).rows] == [str(row.id)]


# --- claims ------------------------------------------------------------------------------------------
def test_renewing_a_claim_is_audited_and_capped_so_nobody_holds_a_case_forever(db: Session) -> None:
    """Issue 12, finding 8: reopening a case one holds renews the claim (audited); after
    settings.kyc_claim_max_hours of renewals the claim ends instead (audited) and anyone may take it."""
    holder, other = officer(db), officer(db)
    row = case(db)
    actions.open_case(db, actor=holder, case_id=str(row.id))
    db.refresh(row)
    started = row.claimed_since
    assert started is not None and row.claimed_by_id == holder.user_id

    view = actions.open_case(db, actor=holder, case_id=str(row.id))  # reopening renews
    db.refresh(row)
    assert view.can_decide and row.claimed_since == started
    assert count(db, m.ActivityLog, action="kyc.claim_renewed", target_id=str(row.id)) == 1

    # the holder has kept it (by renewing) for longer than the cap
    db.execute(sa.text("UPDATE kyc_verifications SET claimed_since = now() - interval '9 hours' WHERE id = :id"),
               {"id": row.id})
    view = actions.open_case(db, actor=holder, case_id=str(row.id))
    db.refresh(row)
    assert not view.can_decide and "8 h limit" in view.notice and "another compliance officer" in view.notice
    assert row.claimed_by_id is None and row.claimed_until is None and row.claimed_since is None
    assert count(db, m.ActivityLog, action="kyc.claim_capped", target_id=str(row.id)) == 1

    taken = actions.open_case(db, actor=other, case_id=str(row.id))
    db.refresh(row)
    assert taken.can_decide and row.claimed_by_id == other.user_id



def test_opening_claims_the_case_and_another_officer_is_refused(db: Session) -> None:
    first, second = officer(db), officer(db)
    row = case(db)
    view = actions.open_case(db, actor=first, case_id=str(row.id))
    db.refresh(row)
    assert row.status == "UNDER_REVIEW" and row.claimed_by_id == first.user_id and row.claimed_until > NOW
    assert view.can_decide and view.summary["mine"] == "yes"
    assert db.get(m.User, row.user_id).kyc_status == "UNDER_REVIEW"
    assert count(db, m.ActivityLog, action="kyc.claimed", target_id=str(row.id)) == 1

    other_view = actions.open_case(db, actor=second, case_id=str(row.id))
    assert not other_view.can_decide and other_view.held_by == first.email
    assert first.email in other_view.notice
    before = writes(db)
    with pytest.raises(Conflict, match="being reviewed by"):
        actions.approve(db, actor=second, case_id=str(row.id))
    with pytest.raises(Conflict, match="being reviewed by"):
        actions.reject(db, actor=second, case_id=str(row.id), reason_code="GLARE")
    assert writes(db) == before
    db.refresh(row)
    assert row.claimed_by_id == first.user_id


def test_an_expired_claim_can_be_taken_over_and_release_frees_it(db: Session) -> None:
    first, second = officer(db), officer(db)
    row = case(db, status="UNDER_REVIEW", claimed_by_id=first.user_id, claimed_until=NOW - timedelta(minutes=1))
    view = actions.open_case(db, actor=second, case_id=str(row.id))
    assert view.can_decide
    actions.release(db, actor=second, case_id=str(row.id))
    db.refresh(row)
    assert row.claimed_by_id is None and row.status == "UNDER_REVIEW"


def test_an_admin_reads_a_case_without_claiming_it_or_seeing_files(db: Session) -> None:
    admin = officer(db, "ADMIN")
    row = case(db)
    view = actions.open_case(db, actor=admin, case_id=str(row.id))
    db.refresh(row)
    assert row.status == "PENDING" and row.claimed_by_id is None
    assert not view.can_decide and all(d["url"] == "" for d in view.documents)
    with pytest.raises(NotAllowed):
        actions.approve(db, actor=admin, case_id=str(row.id))


def test_case_view_compares_entered_and_extracted_data_and_shows_checks_and_timeline(db: Session) -> None:
    me = officer(db)
    row = case(db, extracted_document_number="X0000000", extracted_first_name=None, extracted_last_name=None,
               extracted_date_of_birth=date(1990, 1, 1), extracted_address="1 MAIN STREET LONDON")
    db.add(m.ComplianceRecord(user_id=row.user_id, verification_id=row.id, check_type="SANCTIONS", provider="WC",
                              result="CONSIDER", risk_level="MEDIUM", risk_score=44, flags=["partial_name_match"]))
    db.flush()
    view = actions.open_case(db, actor=me, case_id=str(row.id))
    states = {c["field"]: c["state"] for c in view.comparison}
    assert states == {"Document number": "mismatch", "First name": "missing", "Last name": "missing",
                      "Date of birth": "match", "Address": "match"}
    assert view.checks[0]["flags"] == "partial name match" and view.summary["risk_score"] == "44"
    assert [d["type"] for d in view.documents] == ["ID_FRONT", "ID_BACK", "SELFIE"]
    assert view.documents[0]["url"] == f"/_private/kyc/{view.documents[0]['id']}"
    assert any("Pending → Under Review" in t["title"] for t in view.timeline)
    assert any(t["kind"] == "submission" for t in view.timeline)


@pytest.mark.parametrize("bad", ["", "nope", "../../etc/passwd", {"$ne": None}, ["x"], -1, None, "1" * 36])
def test_malformed_ids_are_refused(db: Session, bad: Any) -> None:
    me = officer(db)
    with pytest.raises(InvalidInput):
        actions.open_case(db, actor=me, case_id=bad)
    with pytest.raises(InvalidInput):
        actions.approve(db, actor=me, case_id=bad)


def test_unknown_case_is_not_found(db: Session) -> None:
    me = officer(db)
    before = writes(db)
    for call in (lambda: actions.open_case(db, actor=me, case_id=str(uuid.uuid4())),
                 lambda: actions.approve(db, actor=me, case_id=str(uuid.uuid4())),
                 lambda: actions.reject(db, actor=me, case_id=str(uuid.uuid4()), reason_code="GLARE")):
        with pytest.raises(NotFound):
            call()
    assert writes(db) == before


# --- decisions ---------------------------------------------------------------------------------------
def test_approve_writes_everything_in_one_transaction(db: Session) -> None:
    me = officer(db)
    row = case(db)
    actions.open_case(db, actor=me, case_id=str(row.id))
    assert actions.approve(db, actor=me, case_id=str(row.id)) == "APPROVED"
    db.refresh(row)
    user = db.get(m.User, row.user_id)
    db.refresh(user)
    assert row.reviewed_by_id == me.user_id and row.claimed_by_id is None
    assert user.kyc_status == "APPROVED" and user.kyc_approved_by == me.user_id and user.kyc_approved_at
    assert {d.status for d in db.execute(sa.select(m.KycDocument).where(
        m.KycDocument.verification_id == row.id)).scalars()} == {"APPROVED"}
    assert count(db, m.Notification, user_id=row.user_id, notification_type="KYC_APPROVED") == 1
    assert count(db, m.OutboxEvent, aggregate_id=str(row.id), event_type="kyc.approved") == 1
    assert count(db, m.ActivityLog, action="kyc.approved", target_id=str(row.id)) == 1
    assert count(db, m.StatusHistory, entity_id=row.id, to_status="APPROVED") == 1
    before = writes(db)
    with pytest.raises(Conflict, match="already decided"):
        actions.approve(db, actor=me, case_id=str(row.id))
    with pytest.raises(Conflict, match="already decided"):
        actions.reject(db, actor=me, case_id=str(row.id), reason_code="GLARE")
    assert writes(db) == before


def test_retry_reason_asks_for_a_resubmission_and_keeps_the_note_apart(db: Session) -> None:
    me = officer(db)
    row = case(db)
    actions.open_case(db, actor=me, case_id=str(row.id))
    status = actions.reject(db, actor=me, case_id=str(row.id), reason_code="IMAGE_BLURRY", message="",
                        internal_note="Looks like a photocopy")
    assert status == "RESUBMIT_REQUIRED"
    db.refresh(row)
    user = db.get(m.User, row.user_id)
    db.refresh(user)
    assert user.kyc_status == "RESUBMIT_REQUIRED"
    assert row.rejection_reason == user.kyc_rejection_reason == rules.REASONS["IMAGE_BLURRY"].message
    assert row.internal_note == "Looks like a photocopy"
    note = db.execute(sa.select(m.Notification).where(m.Notification.user_id == row.user_id)).scalar_one()
    assert "photocopy" not in note.message and note.notification_type == "KYC_RESUBMIT_REQUIRED"
    event = db.execute(sa.select(m.OutboxEvent).where(m.OutboxEvent.aggregate_id == str(row.id),
                                                      m.OutboxEvent.event_type == "kyc.resubmit_required")).scalar_one()
    assert "photocopy" not in str(event.payload)
    front = db.execute(sa.select(m.KycDocument).where(m.KycDocument.verification_id == row.id,
                                                      m.KycDocument.document_type == "ID_FRONT")).scalar_one()
    assert front.status == "REJECTED"
    assert count(db, m.ActivityLog, action="kyc.resubmission_requested", target_id=str(row.id)) == 1
    assert queries.list_queue(db, actor=me, filters={"search": row.document_number}).rows == []


def test_final_reason_rejects_with_the_customer_message(db: Session) -> None:
    me = officer(db)
    row = case(db)
    status = actions.reject(db, actor=me, case_id=str(row.id), reason_code="DOCUMENT_TAMPERED",
                        message="We could not verify your document.")
    assert status == "REJECTED"
    user = db.get(m.User, row.user_id)
    db.refresh(user)
    assert user.kyc_status == "REJECTED" and user.kyc_rejection_reason == "We could not verify your document."
    assert count(db, m.OutboxEvent, aggregate_id=str(row.id), event_type="kyc.rejected") == 1


@pytest.mark.parametrize("code", [None, "", "   ", "NOT_A_REASON", {"$ne": None}, 3])
def test_a_rejection_needs_a_known_reason_and_writes_nothing_otherwise(db: Session, code: Any) -> None:
    me = officer(db)
    row = case(db)
    before = writes(db)
    with pytest.raises(InvalidInput):
        actions.reject(db, actor=me, case_id=str(row.id), reason_code=code)
    assert writes(db) == before
    db.refresh(row)
    assert row.status == "PENDING"


def test_bad_message_or_note_is_refused(db: Session) -> None:
    me = officer(db)
    row = case(db)
    with pytest.raises(InvalidInput):
        actions.reject(db, actor=me, case_id=str(row.id), reason_code="GLARE", message="x" * 1001)
    with pytest.raises(InvalidInput):
        actions.reject(db, actor=me, case_id=str(row.id), reason_code="GLARE", internal_note=["x"])


def test_per_document_decisions(db: Session) -> None:
    me = officer(db)
    row, other = case(db), case(db)
    actions.open_case(db, actor=me, case_id=str(row.id))
    docs = db.execute(sa.select(m.KycDocument).where(m.KycDocument.verification_id == row.id)
                      .order_by(m.KycDocument.document_type)).scalars().all()
    other_doc = db.execute(sa.select(m.KycDocument).where(m.KycDocument.verification_id == other.id)).scalars().first()
    assert actions.decide_document(db, actor=me, case_id=str(row.id), document_id=str(docs[0].id), decision="APPROVE") == "APPROVED"
    before = writes(db)
    with pytest.raises(InvalidInput, match="another case"):
        actions.decide_document(db, actor=me, case_id=str(row.id), document_id=str(other_doc.id), decision="APPROVE")
    with pytest.raises(InvalidInput):
        actions.decide_document(db, actor=me, case_id=str(row.id), document_id=str(docs[1].id), decision="REJECT")
    with pytest.raises(InvalidInput):
        actions.decide_document(db, actor=me, case_id=str(row.id), document_id=str(docs[1].id), decision="MAYBE")
    with pytest.raises(NotFound):
        actions.decide_document(db, actor=me, case_id=str(row.id), document_id=str(uuid.uuid4()), decision="APPROVE")
    with pytest.raises(Conflict):
        actions.decide_document(db, actor=me, case_id=str(row.id), document_id=str(docs[0].id), decision="APPROVE")
    assert writes(db) == before
    actions.decide_document(db, actor=me, case_id=str(row.id), document_id=str(docs[1].id), decision="REJECT",
                        reason="Blurry")
    db.refresh(docs[1])
    assert docs[1].status == "REJECTED" and docs[1].rejection_reason == "Blurry"
    with pytest.raises(InvalidInput, match="rejected"):
        actions.approve(db, actor=me, case_id=str(row.id))


# --- four-eyes ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("risk", ["HIGH", "CRITICAL"])
def test_high_risk_needs_a_second_different_officer(db: Session, risk: str) -> None:
    first, second = officer(db), officer(db)
    row = case(db, risk=risk)
    actions.open_case(db, actor=first, case_id=str(row.id))
    assert actions.approve(db, actor=first, case_id=str(row.id)) == "AWAITING_SECOND_REVIEW"
    db.refresh(row)
    user = db.get(m.User, row.user_id)
    db.refresh(user)
    assert row.first_approved_by_id == first.user_id and row.claimed_by_id is None
    assert user.kyc_status == "UNDER_REVIEW"
    assert count(db, m.Notification, user_id=row.user_id) == 0

    view = actions.open_case(db, actor=first, case_id=str(row.id))
    assert not view.can_decide and "different" in view.notice
    before = writes(db)
    with pytest.raises(NotAllowed, match="different compliance officer"):
        actions.confirm_second_review(db, actor=first, case_id=str(row.id))
    with pytest.raises(Conflict):
        actions.approve(db, actor=second, case_id=str(row.id))
    assert writes(db) == before

    actions.open_case(db, actor=second, case_id=str(row.id))
    assert actions.confirm_second_review(db, actor=second, case_id=str(row.id)) == "APPROVED"
    db.refresh(row)
    db.refresh(user)
    assert row.reviewed_by_id == second.user_id and user.kyc_status == "APPROVED"
    assert user.kyc_approved_by == second.user_id
    audit = db.execute(sa.select(m.ActivityLog).where(m.ActivityLog.action == "kyc.approved",
                                                      m.ActivityLog.target_id == str(row.id))).scalar_one()
    assert audit.details["first_approved_by_id"] == str(first.user_id)


def test_a_high_risk_compliance_record_also_triggers_four_eyes(db: Session) -> None:
    me = officer(db)
    row = case(db, risk="LOW")
    db.add(m.ComplianceRecord(user_id=row.user_id, verification_id=row.id, check_type="PEP", provider="DJ",
                              result="MATCH", risk_level="CRITICAL", risk_score=90, flags=["pep_match"]))
    db.flush()
    assert actions.approve(db, actor=me, case_id=str(row.id)) == "AWAITING_SECOND_REVIEW"


def test_confirm_refused_on_a_case_not_awaiting_it(db: Session) -> None:
    me = officer(db)
    row = case(db)
    with pytest.raises(Conflict):
        actions.confirm_second_review(db, actor=me, case_id=str(row.id))


# --- permissions -------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["ADMIN", "TREASURER", "MANAGER", "SUPPORT", "CUSTOMER"])
def test_decisions_need_kyc_review(db: Session, role: str) -> None:
    who = officer(db, role)
    row = case(db)
    doc = db.execute(sa.select(m.KycDocument).where(m.KycDocument.verification_id == row.id)).scalars().first()
    before = writes(db)
    for call in (
        lambda: actions.approve(db, actor=who, case_id=str(row.id)),
        lambda: actions.reject(db, actor=who, case_id=str(row.id), reason_code="GLARE"),
        lambda: actions.confirm_second_review(db, actor=who, case_id=str(row.id)),
        lambda: actions.decide_document(db, actor=who, case_id=str(row.id), document_id=str(doc.id), decision="APPROVE"),
        lambda: actions.release(db, actor=who, case_id=str(row.id)),
        lambda: queries.document_file(db, actor=who, document_id=str(doc.id)),
    ):
        with pytest.raises(NotAllowed):
            call()
    assert writes(db) == before


# --- concurrency (real commits, parallel threads) ------------------------------------------------------
def _race(engine: Engine, calls: list) -> list[Any]:
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        with Session(engine, expire_on_commit=False) as session:
            try:
                with session.begin():
                    barrier.wait(timeout=10)
                    results[i] = calls[i](session)
            except Exception as exc:  # noqa: BLE001 - the outcome is what we compare
                results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


def _setup(engine: Engine, **kw: Any) -> tuple[Actor, Actor, uuid.UUID]:
    with Session(engine, expire_on_commit=False) as session:
        a, b = officer(session), officer(session)
        row = case(session, **kw)
        session.commit()
        return a, b, row.id


@pytest.mark.parametrize("round_", range(3))
def test_two_officers_deciding_at_once_exactly_one_lands(fresh_engine: Engine, round_: int) -> None:
    a, b, case_id = _setup(fresh_engine)
    results = _race(fresh_engine, [
        lambda s: actions.approve(s, actor=a, case_id=str(case_id)),
        lambda s: actions.reject(s, actor=b, case_id=str(case_id), reason_code="GLARE"),
    ])
    landed = [r for r in results if isinstance(r, str)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(landed) == 1 and len(refused) == 1, results
    assert isinstance(refused[0], Conflict)
    with Session(fresh_engine) as session:
        row = session.get(m.KycVerification, case_id)
        assert row.status == landed[0]
        assert count(session, m.OutboxEvent, aggregate_id=str(case_id)) == 1
        assert count(session, m.Notification, user_id=row.user_id) == 1
        assert session.execute(sa.select(sa.func.count()).select_from(m.ActivityLog).where(
            m.ActivityLog.target_id == str(case_id))).scalar_one() == 1
        from dashboard.audit.verify import verify_chain

        assert verify_chain(session, actor=Actor.system("cli")).ok


def test_two_officers_confirming_a_second_review_at_once(fresh_engine: Engine) -> None:
    with Session(fresh_engine, expire_on_commit=False) as session:
        first, b, c = officer(session), officer(session), officer(session)
        row = case(session, risk="HIGH")
        actions.approve(session, actor=first, case_id=str(row.id))
        session.commit()
        case_id = row.id
    results = _race(fresh_engine, [
        lambda s: actions.confirm_second_review(s, actor=b, case_id=str(case_id)),
        lambda s: actions.confirm_second_review(s, actor=c, case_id=str(case_id)),
    ])
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "str"], results
    with Session(fresh_engine) as session:
        assert count(session, m.OutboxEvent, aggregate_id=str(case_id), event_type="kyc.approved") == 1


def test_two_officers_opening_at_once_one_holds_the_claim(fresh_engine: Engine) -> None:
    a, b, case_id = _setup(fresh_engine)
    results = _race(fresh_engine, [
        lambda s: actions.open_case(s, actor=a, case_id=str(case_id)),
        lambda s: actions.open_case(s, actor=b, case_id=str(case_id)),
    ])
    assert sorted(r.can_decide for r in results) == [False, True], results
    with Session(fresh_engine) as session:
        assert count(session, m.StatusHistory, entity_id=case_id, to_status="UNDER_REVIEW") == 1
