"""KYC review: the writes: claim, release, per-document decisions, approve (four-eyes), reject.

Each is one transaction that locks the case row first and re-checks its status and claim under the lock;
see ``dashboard/kyc/queries.py`` for the rules of the screen. Every decision carries the case status the
officer saw (``expected_status``; a document decision also the document's): when the locked row has
another one now, it is refused (``Conflict``). A second review is refused to an account still in its
cooling-off period (``dashboard.core.decisions``).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from dashboard.core.actor import Actor
from dashboard.core.decisions import check_second_approver, check_seen, parse_expected
from dashboard.core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from dashboard.core.permissions import Perm, requires
from dashboard.core.validate import clean_text
from dashboard.kyc.queries import (
    CaseView, _case_view, _claim_cap_hours, _claim_live, _email_of, _now, _review_settings,
)
from dashboard.kyc.rules import (
    AGGREGATE, HIGH_RISK, MAX_DOC_REASON, MAX_MESSAGE, MAX_NOTE, OPEN, REASONS, RETRY, USER_STATUS,
    V, parse_id,
)
from dashboard.models import ComplianceRecord, KycDocument, KycVerification, User
from dashboard.models.enums import DocumentStatus, KycStatus, ReviewableEntity, label
from dashboard.audit import chain as audit
from dashboard.core.history import record_status_change
from dashboard.core.notifications import notify
from dashboard.core.outbox import emit

def _lock(session: Session, case_id: uuid.UUID) -> KycVerification:
    row = session.execute(
        sa.select(KycVerification).where(KycVerification.id == case_id).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if row is None:
        raise NotFound("This KYC case does not exist.")
    return row



def _held_by_other(session: Session, row: KycVerification, actor: Actor, now: datetime) -> None:
    if _claim_live(row, now) and row.claimed_by_id != actor.user_id:
        who = _email_of(session, row.claimed_by_id) or "another officer"
        until = row.claimed_until.astimezone(UTC).strftime("%H:%M UTC")
        raise Conflict(f"This case is being reviewed by {who} until {until}. Only they can decide it now.")


def _ensure_open(row: KycVerification) -> None:
    if row.status not in OPEN:
        raise Conflict(f"This case was already decided ({label(row.status)}). Nothing was changed.")


def _set_user_status(session: Session, user_id: uuid.UUID, status: str, **values: Any) -> str | None:
    user = session.execute(sa.select(User).where(User.id == user_id).with_for_update()).scalar_one()
    before = user.kyc_status
    user.kyc_status = status
    for key, value in values.items():
        setattr(user, key, value)
    user.updated_at = sa.func.now()
    session.add(user)
    return before


def _end_claim(session: Session, row: KycVerification, now: datetime) -> None:
    """Nobody holds the case any more (a decision, a release, the claim cap)."""
    row.claimed_by_id = None
    row.claimed_until = None
    row.claimed_since = None
    row.updated_at = now
    session.add(row)


def _move_case(session: Session, row: KycVerification, status: str, now: datetime, **values: Any) -> str:
    """Set the case's status (and ``values``), end any claim on it; returns the status it had."""
    previous = row.status
    row.status = status
    for key, value in values.items():
        setattr(row, key, value)
    _end_claim(session, row, now)
    return previous


def _move_document(session: Session, doc: KycDocument, status: str, actor: Actor, now: datetime,
                   rejection_reason: str | None = None) -> str:
    """Set a document's status as decided by ``actor``; returns the status it had."""
    previous = doc.status
    doc.status = status
    doc.rejection_reason = rejection_reason
    doc.reviewed_by = actor.user_id
    doc.reviewed_at = now
    session.add(doc)
    return previous


@requires(Perm.KYC_VIEW)
def open_case(session: Session, *, actor: Actor, case_id: Any) -> CaseView:
    """The case view. A reviewer also claims the case (or renews their claim) when nobody else holds
    it: PENDING becomes UNDER_REVIEW. Viewers without ``kyc.review`` (administrators) only read."""
    ident = parse_id(case_id)
    notice = ""
    if actor.can(Perm.KYC_REVIEW) and actor.user_id is not None:
        notice = _claim(session, actor, ident)
    elif session.get(KycVerification, ident) is None:
        raise NotFound("This KYC case does not exist.")
    else:
        notice = "You can read this case; deciding it needs a compliance officer."
    return _case_view(session, actor, ident, notice)


def _claim(session: Session, actor: Actor, ident: uuid.UUID) -> str:
    row = _lock(session, ident)
    now = _now(session)
    if row.status not in OPEN:
        return f"Decided: {label(row.status)}. The case is read-only."
    if _claim_live(row, now) and row.claimed_by_id != actor.user_id:
        who = _email_of(session, row.claimed_by_id) or "another officer"
        until = row.claimed_until.astimezone(UTC).strftime("%H:%M UTC")
        return f"Being reviewed by {who} until {until}: you can read it, but only they can decide it now."
    if row.status == V.AWAITING_SECOND_REVIEW and row.first_approved_by_id == actor.user_id:
        return "You gave the first approval: a different compliance officer must confirm it."
    _, claim_minutes = _review_settings(session)
    renewing = row.claimed_by_id == actor.user_id and _claim_live(row, now)
    before = {"status": row.status, "claimed_by_id": row.claimed_by_id, "claimed_until": row.claimed_until}
    cap_hours = _claim_cap_hours(session)
    if renewing and row.claimed_since is not None and now - row.claimed_since >= timedelta(hours=cap_hours):
        return _end_capped_claim(session, actor, row, now, before, cap_hours)
    row.claimed_by_id = actor.user_id
    row.claimed_until = now + timedelta(minutes=claim_minutes)
    if not renewing or row.claimed_since is None:
        row.claimed_since = now
    row.updated_at = now
    if row.status == V.PENDING:
        row.status = V.UNDER_REVIEW.value
        record_status_change(session, entity_type=ReviewableEntity.KYC_VERIFICATION, entity_id=row.id,
                             from_status=V.PENDING.value, to_status=V.UNDER_REVIEW.value, actor=actor,
                             reason="Opened for review")
        _set_user_status(session, row.user_id, KycStatus.UNDER_REVIEW.value)
        emit(session, event_type="kyc.under_review", aggregate_type=AGGREGATE, aggregate_id=row.id,
             payload={"verification_id": row.id, "user_id": row.user_id, "status": V.UNDER_REVIEW.value}, actor=actor)
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="kyc.claim_renewed" if renewing else "kyc.claimed", target_type=AGGREGATE,
                 target_id=row.id,
                 description=("Renewed the claim on a KYC case" if renewing else "Claimed KYC case")
                 + f" until {row.claimed_until.astimezone(UTC):%H:%M} UTC",
                 before=before, after={"status": row.status, "claimed_by_id": row.claimed_by_id,
                                       "claimed_until": row.claimed_until, "claimed_since": row.claimed_since})
    return ""


def _end_capped_claim(session: Session, actor: Actor, row: KycVerification, now: datetime, before: dict[str, Any],
                      cap_hours: int) -> str:
    """The holder reopened a case they have held for the whole cap: the claim ends (audited) instead of
    being renewed, so nobody keeps a case forever; anyone, the same officer included, may claim it anew."""
    _end_claim(session, row, now)
    session.flush()
    audit.record(session, actor=actor, action="kyc.claim_capped", target_type=AGGREGATE, target_id=row.id,
                 description=f"Claim on a KYC case ended after the {cap_hours} h limit", before=before,
                 after={"claimed_by_id": None, "claimed_until": None})
    return (f"You have held this case for the {cap_hours} h limit, so your claim was released and another "
            "compliance officer may take it. Open the case again to claim it anew.")


@requires(Perm.KYC_REVIEW)
def release(session: Session, *, actor: Actor, case_id: Any) -> None:
    """Give the case back to the queue (only the officer holding it)."""
    row = _lock(session, parse_id(case_id))
    now = _now(session)
    if row.claimed_by_id != actor.user_id or not _claim_live(row, now):
        return  # nothing of ours to release
    before = {"claimed_by_id": row.claimed_by_id, "claimed_until": row.claimed_until}
    _end_claim(session, row, now)
    session.flush()
    audit.record(session, actor=actor, action="kyc.released", target_type=AGGREGATE, target_id=row.id,
                 description="Released the KYC case back to the queue", before=before,
                 after={"claimed_by_id": None, "claimed_until": None})


# --- decisions -------------------------------------------------------------------------------------
def _deciding(session: Session, actor: Actor, case_id: Any,
              expected_status: Any) -> tuple[Actor, KycVerification, datetime]:
    if actor.user_id is None:
        raise NotAllowed("Only a signed-in officer can review KYC cases.")
    ident, expected = parse_id(case_id), parse_expected(expected_status)
    row = _lock(session, ident)
    now = _now(session)
    check_seen(row.status, expected)
    _ensure_open(row)
    _held_by_other(session, row, actor, now)
    return actor, row, now


@requires(Perm.KYC_REVIEW)
def decide_document(session: Session, *, actor: Actor, case_id: Any, document_id: Any, decision: Any,
                    reason: Any = None, expected_status: Any = None, expected_document_status: Any = None) -> str:
    """Approve or reject one document of an open case; returns its new status."""
    if decision not in ("APPROVE", "REJECT"):
        raise InvalidInput("Choose approve or reject for the document.")
    doc_ident = parse_id(document_id, "document")
    doc_seen = parse_expected(expected_document_status)
    text_reason = clean_text(reason, "Document reason", MAX_DOC_REASON, required=decision == "REJECT", multiline=True)
    actor, row, now = _deciding(session, actor, case_id, expected_status)
    doc = session.execute(
        sa.select(KycDocument).where(KycDocument.id == doc_ident).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if doc is None:
        raise NotFound("That document does not exist.")
    if doc.verification_id != row.id:
        raise InvalidInput("That document belongs to another case. Nothing was changed.")
    check_seen(doc.status, doc_seen)
    target = DocumentStatus.APPROVED.value if decision == "APPROVE" else DocumentStatus.REJECTED.value
    if doc.status == target:
        raise Conflict(f"This document is already {label(target).lower()}.")
    before = {"status": doc.status, "rejection_reason": doc.rejection_reason}
    previous = _move_document(session, doc, target, actor, now,
                              (text_reason or None) if target == DocumentStatus.REJECTED else None)
    session.flush()
    record_status_change(session, entity_type=ReviewableEntity.KYC_DOCUMENT, entity_id=doc.id, from_status=previous,
                         to_status=target, actor=actor, reason=text_reason or None)
    audit.record(session, actor=actor, action="kyc.document_" + ("approved" if target == "APPROVED" else "rejected"),
                 target_type="kyc_document", target_id=doc.id,
                 description=f"{label(target)} {label(doc.document_type)} of a KYC case",
                 before=before, after={"status": target, "rejection_reason": doc.rejection_reason},
                 details={"verification_id": row.id})
    return target


def _is_high_risk(session: Session, row: KycVerification) -> bool:
    if row.risk_level in HIGH_RISK:
        return True
    cr = ComplianceRecord
    hit = session.execute(
        sa.select(sa.literal(1)).where(cr.verification_id == row.id, cr.risk_level.in_(HIGH_RISK)).limit(1)
    ).first()
    return hit is not None


@requires(Perm.KYC_REVIEW)
def approve(session: Session, *, actor: Actor, case_id: Any, note: Any = None, expected_status: Any = None) -> str:
    """Approve an open case. High-risk: records the first approval (-> AWAITING_SECOND_REVIEW) and
    frees the case for a second officer. Returns the new status."""
    internal = clean_text(note, "Internal note", MAX_NOTE, multiline=True)
    actor, row, now = _deciding(session, actor, case_id, expected_status)
    if row.status == V.AWAITING_SECOND_REVIEW:
        raise Conflict("This case already has its first approval: a second officer must confirm it.")
    rejected = session.execute(
        sa.select(sa.func.count()).where(KycDocument.verification_id == row.id,
                                         KycDocument.status == DocumentStatus.REJECTED.value)
    ).scalar_one()
    if rejected:
        raise InvalidInput("A document of this case is rejected: reject the case (or approve that document) instead.")
    if _is_high_risk(session, row):
        before = {"status": row.status, "first_approved_by_id": None}
        previous = _move_case(session, row, V.AWAITING_SECOND_REVIEW.value, now, first_approved_by_id=actor.user_id,
                              first_approved_at=now, **({"internal_note": internal} if internal else {}))
        session.flush()
        record_status_change(session, entity_type=ReviewableEntity.KYC_VERIFICATION, entity_id=row.id,
                             from_status=previous, to_status=row.status, actor=actor,
                             reason="First approval (four-eyes)", details={"note": internal} if internal else None)
        audit.record(session, actor=actor, action="kyc.first_approval", target_type=AGGREGATE, target_id=row.id,
                     description="First approval of a high-risk KYC case; a second officer must confirm",
                     before=before, after={"status": row.status, "first_approved_by_id": actor.user_id},
                     details={"risk_level": row.risk_level})
        return row.status
    _finalise_approval(session, actor, row, now, internal, second=False)
    return row.status


@requires(Perm.KYC_REVIEW)
def confirm_second_review(session: Session, *, actor: Actor, case_id: Any, note: Any = None,
                          expected_status: Any = None) -> str:
    """The second officer's approval of a high-risk case (never the first approver, nor an account in
    its cooling-off period)."""
    internal = clean_text(note, "Internal note", MAX_NOTE, multiline=True)
    actor, row, now = _deciding(session, actor, case_id, expected_status)
    if row.status != V.AWAITING_SECOND_REVIEW:
        raise Conflict("This case is not waiting for a second review.")
    if row.first_approved_by_id is None:
        raise Conflict("This case has no recorded first approval: it cannot be confirmed. Reject it or escalate.")
    if row.first_approved_by_id == actor.user_id:
        raise NotAllowed("You gave the first approval: a different compliance officer must confirm it.")
    check_second_approver(session, actor)
    _finalise_approval(session, actor, row, now, internal, second=True)
    return row.status


def _finalise_approval(session: Session, actor: Actor, row: KycVerification, now: datetime, internal: str,
                       *, second: bool) -> None:
    before = {"status": row.status, "reviewed_by_id": row.reviewed_by_id}
    previous = _move_case(session, row, V.APPROVED.value, now, reviewed_by_id=actor.user_id, reviewed_at=now,
                          rejection_code=None, rejection_reason=None,
                          **({"internal_note": internal} if internal else {}))
    docs = session.execute(
        sa.select(KycDocument).where(KycDocument.verification_id == row.id,
                                     KycDocument.status == DocumentStatus.PENDING.value).with_for_update()
    ).scalars().all()
    for doc in docs:
        _move_document(session, doc, DocumentStatus.APPROVED.value, actor, now, doc.rejection_reason)
    session.flush()
    for doc in docs:
        record_status_change(session, entity_type=ReviewableEntity.KYC_DOCUMENT, entity_id=doc.id,
                             from_status=DocumentStatus.PENDING.value, to_status=DocumentStatus.APPROVED.value,
                             actor=actor, reason="Approved with the case")
    user_before = _set_user_status(session, row.user_id, KycStatus.APPROVED.value, kyc_approved_at=now,
                                   kyc_approved_by=actor.user_id, kyc_rejection_reason=None)
    session.flush()
    reason = "Second review confirmed" if second else "Approved"
    record_status_change(session, entity_type=ReviewableEntity.KYC_VERIFICATION, entity_id=row.id,
                         from_status=previous, to_status=row.status, actor=actor, reason=reason,
                         details={"first_approved_by_id": row.first_approved_by_id} if second else None)
    notify(session, user_id=row.user_id, notification_type="KYC_APPROVED", title="Identity verified",
           message="Your identity has been verified. You now have full access to your account.")
    emit(session, event_type="kyc.approved", aggregate_type=AGGREGATE, aggregate_id=row.id,
         payload={"verification_id": row.id, "user_id": row.user_id, "status": row.status, "kyc_status": "APPROVED",
                  "approved_at": now, "four_eyes": second}, actor=actor)
    audit.record(session, actor=actor, action="kyc.approved", target_type=AGGREGATE, target_id=row.id,
                 description="Approved KYC case" + (" (second review confirmed)" if second else ""),
                 before=before | {"user_kyc_status": user_before},
                 after={"status": row.status, "reviewed_by_id": actor.user_id, "user_kyc_status": "APPROVED",
                        "documents_approved": len(docs)},
                 details={"first_approved_by_id": row.first_approved_by_id} if second else None)


@requires(Perm.KYC_REVIEW)
def reject(session: Session, *, actor: Actor, case_id: Any, reason_code: Any, message: Any = None,
           internal_note: Any = None, expected_status: Any = None) -> str:
    """Reject an open case with a reason from ``REASONS``: RETRY -> RESUBMIT_REQUIRED, FINAL ->
    REJECTED. ``message`` (shown to the customer) defaults to the reason's text; ``internal_note`` is
    never shown to the customer. Returns the new status."""
    if not isinstance(reason_code, str) or not reason_code.strip():
        raise InvalidInput("Choose a reason for the rejection.")
    reason = REASONS.get(reason_code.strip())
    if reason is None:
        raise InvalidInput("That rejection reason is not in the list.")
    user_message = clean_text(message, "Message to the customer", MAX_MESSAGE, multiline=True) or reason.message
    note = clean_text(internal_note, "Internal note", MAX_NOTE, multiline=True)
    actor, row, now = _deciding(session, actor, case_id, expected_status)
    before = {"status": row.status, "rejection_code": row.rejection_code}
    previous = _move_case(session, row, reason.outcome, now, rejection_code=reason.code,
                          rejection_reason=user_message, internal_note=note or None, reviewed_by_id=actor.user_id,
                          reviewed_at=now)
    changed_docs = []
    if reason.document:
        doc = session.execute(
            sa.select(KycDocument).where(KycDocument.verification_id == row.id,
                                         KycDocument.document_type == str(reason.document),
                                         KycDocument.status != DocumentStatus.REJECTED.value).with_for_update()
        ).scalar_one_or_none()
        if doc is not None:
            changed_docs.append((doc.id, _move_document(session, doc, DocumentStatus.REJECTED.value, actor, now,
                                                        reason.title)))
    session.flush()
    for doc_id, was in changed_docs:
        record_status_change(session, entity_type=ReviewableEntity.KYC_DOCUMENT, entity_id=doc_id, from_status=was,
                             to_status=DocumentStatus.REJECTED.value, actor=actor, reason=reason.title)
    user_status = USER_STATUS[V(reason.outcome)].value
    user_before = _set_user_status(session, row.user_id, user_status, kyc_rejection_reason=user_message,
                                   kyc_approved_at=None, kyc_approved_by=None)
    session.flush()
    record_status_change(session, entity_type=ReviewableEntity.KYC_VERIFICATION, entity_id=row.id,
                         from_status=previous, to_status=row.status, actor=actor, reason=reason.code,
                         details={"kind": reason.kind})
    retry = reason.kind == RETRY
    notify(session, user_id=row.user_id,
           notification_type="KYC_RESUBMIT_REQUIRED" if retry else "KYC_REJECTED",
           title="Please resubmit your identity documents" if retry else "Identity verification unsuccessful",
           message=user_message)
    emit(session, event_type="kyc.resubmit_required" if retry else "kyc.rejected", aggregate_type=AGGREGATE,
         aggregate_id=row.id,
         payload={"verification_id": row.id, "user_id": row.user_id, "status": row.status, "kyc_status": user_status,
                  "reason_code": reason.code, "message": user_message}, actor=actor)
    audit.record(session, actor=actor, action="kyc.resubmission_requested" if retry else "kyc.rejected",
                 target_type=AGGREGATE, target_id=row.id,
                 description=f"{'Asked for a resubmission' if retry else 'Rejected KYC case'}: {reason.title}",
                 before=before | {"user_kyc_status": user_before},
                 after={"status": row.status, "rejection_code": reason.code, "user_kyc_status": user_status,
                        "documents_rejected": len(changed_docs)},
                 details={"internal_note": note} if note else None)
    return row.status


