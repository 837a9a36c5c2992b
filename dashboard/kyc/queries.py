"""KYC review: the reads: the queue page, the case view, a document's file (rules: ``dashboard/kyc``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session

from dashboard.core import storage
from dashboard.core.actor import Actor
from dashboard.core.errors import NotFound
from dashboard.core.format import hours_text
from dashboard.core.listing import check_limit, cut_page, like_pattern, optional_cursor, where_chosen
from dashboard.core.permissions import Perm, requires
from dashboard.kyc.rules import (
    DEFAULT_CLAIM_MAX_HOURS, DEFAULT_CLAIM_MINUTES, DEFAULT_SLA_HOURS, DOCUMENT_LABELS, HIGH_RISK, MAX_PAGE_SIZE, OPEN, PAGE_SIZE, SERVABLE_TYPES,
    TIMELINE_LIMIT, QueueFilters, V, _sla, parse_filters, parse_id,
)
from dashboard.models import ComplianceRecord, KycDocument, KycVerification, Settings, StatusHistory, User
from dashboard.models.enums import KycDocumentType, ReviewableEntity, label
from dashboard.audit import chain as audit

CURSOR = (datetime, uuid.UUID)  # the queue's keyset: (submitted_at, id)

def _now(session: Session) -> datetime:
    return session.execute(sa.select(sa.func.now())).scalar_one()


def _review_settings(session: Session) -> tuple[int, int]:
    """(SLA hours, claim minutes) from the settings row, with the defaults when it is missing."""
    row = session.execute(sa.select(Settings.kyc_sla_hours, Settings.kyc_claim_minutes).where(Settings.id == 1)).first()
    if row is None:
        return DEFAULT_SLA_HOURS, DEFAULT_CLAIM_MINUTES
    return int(row[0]), int(row[1])


def _claim_cap_hours(session: Session) -> int:
    """How long one officer may hold a case by renewing the claim (settings, default 8 h)."""
    hours = session.execute(sa.select(Settings.kyc_claim_max_hours).where(Settings.id == 1)).scalar_one_or_none()
    return DEFAULT_CLAIM_MAX_HOURS if hours is None else int(hours)



@dataclass
class QueueRow:
    id: str
    name: str
    email: str
    country: str
    document_type: str
    document_number: str
    risk_level: str
    status: str
    attempt: int
    submitted_at: datetime
    age_hours: float
    sla_state: str  # "overdue", "due_soon", "on_time"
    sla_label: str
    claimed_by: str  # the holder's email while the claim is live, else ""
    claimed_until: datetime | None

    def as_strings(self) -> dict[str, str]:
        return {
            "id": self.id, "name": self.name, "email": self.email, "country": self.country or "—",
            "document_type": label(self.document_type), "document_number": self.document_number,
            "risk_level": self.risk_level or "", "risk_label": label(self.risk_level) or "Not screened",
            "status": self.status, "status_label": label(self.status), "attempt": str(self.attempt),
            "submitted": self.submitted_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M"),
            "age": hours_text(self.age_hours), "sla_state": self.sla_state, "sla_label": self.sla_label,
            "claimed_by": self.claimed_by,
        }


@dataclass
class QueuePage:
    rows: list[QueueRow]
    next_cursor: str | None
    counts: dict[str, int]
    overdue: int
    sla_hours: int
    filters: QueueFilters = field(default_factory=QueueFilters)



def queue_query(filters: QueueFilters, *, me: uuid.UUID | None, after: tuple[datetime, uuid.UUID] | None,
                limit: int) -> sa.Select:
    """The queue's one SELECT: open cases, oldest first, keyset on (submitted_at, id). Runs on the
    partial index ``ix_kyc_verifications_open_queue`` (the open cases only, a few thousand at most), so
    filters and the search are checked on that small set and never scan the whole table."""
    kv = KycVerification
    holder = aliased(User)
    live_claim = sa.and_(kv.claimed_by_id.is_not(None), kv.claimed_until > sa.func.now())
    query = (
        sa.select(
            kv.id, kv.status, kv.attempt, kv.document_type, kv.document_number, kv.country, kv.risk_level,
            kv.submitted_at, kv.claimed_until, kv.first_name, kv.last_name,
            User.email, User.first_name.label("user_first"), User.last_name.label("user_last"),
            sa.case((live_claim, holder.email), else_=None).label("holder_email"),
        )
        .join(User, User.id == kv.user_id)
        .outerjoin(holder, holder.id == kv.claimed_by_id)
        .where(kv.status.in_(OPEN))
    )
    query = where_chosen(query, (kv.status, filters.status), (kv.country, filters.country),
                         (kv.document_type, filters.document_type))
    if filters.risk_level == "NONE":
        query = query.where(kv.risk_level.is_(None))
    elif filters.risk_level:
        query = query.where(kv.risk_level == filters.risk_level)
    if filters.assigned == "me":
        query = query.where(kv.claimed_by_id == me, kv.claimed_until > sa.func.now())
    elif filters.assigned == "unassigned":
        query = query.where(sa.or_(kv.claimed_by_id.is_(None), kv.claimed_until.is_(None),
                                   kv.claimed_until <= sa.func.now()))
    if filters.date_from:
        query = query.where(kv.submitted_at >= datetime.combine(filters.date_from, datetime.min.time(), UTC))
    if filters.date_to:
        end = datetime.combine(filters.date_to, datetime.min.time(), UTC) + timedelta(days=1)
        query = query.where(kv.submitted_at < end)
    if filters.search:
        pattern = like_pattern(filters.search)
        full_name = User.first_name + " " + User.last_name
        entered_name = kv.first_name + " " + kv.last_name
        query = query.where(
            sa.or_(
                User.email.ilike(pattern, escape="\\"),
                full_name.ilike(pattern, escape="\\"),
                entered_name.ilike(pattern, escape="\\"),
                kv.document_number.ilike(pattern, escape="\\"),
                kv.extracted_document_number.ilike(pattern, escape="\\"),
            )
        )
    if after is not None:
        query = query.where(sa.tuple_(kv.submitted_at, kv.id) > sa.tuple_(sa.literal(after[0]), sa.literal(after[1])))
    return query.order_by(kv.submitted_at, kv.id).limit(limit)


def _queue_counts(session: Session) -> dict[str, int]:
    """Open cases per status (the whole queue; exact, read from the partial index)."""
    kv = KycVerification
    rows = session.execute(
        sa.select(kv.status, sa.func.count()).where(kv.status.in_(OPEN)).group_by(kv.status)
    ).all()
    return {s: 0 for s in OPEN} | {status: int(n) for status, n in rows}


@requires(Perm.KYC_VIEW)
def list_queue(session: Session, *, actor: Actor, filters: Any = None, after: Any = None,
               limit: int = PAGE_SIZE) -> QueuePage:
    """One page of the queue (``limit`` rows after the cursor ``after``), the counts per open status
    (whole queue, exact: they come from the partial index) and how many cases are past the SLA."""
    parsed = parse_filters(filters)
    cursor = optional_cursor(after, CURSOR)
    limit = check_limit(limit, MAX_PAGE_SIZE)
    sla_hours, _ = _review_settings(session)
    now = _now(session)
    result = session.execute(queue_query(parsed, me=actor.user_id, after=cursor, limit=limit + 1)).all()
    shown, next_cursor = cut_page(result, limit, lambda r: (r.submitted_at, r.id))
    rows: list[QueueRow] = []
    for r in shown:
        age = (now - r.submitted_at).total_seconds() / 3600
        state, sla_text = _sla(age, sla_hours)
        rows.append(QueueRow(
            id=str(r.id), name=f"{r.user_first} {r.user_last}".strip(), email=r.email, country=r.country or "",
            document_type=r.document_type, document_number=r.document_number, risk_level=r.risk_level or "",
            status=r.status, attempt=r.attempt, submitted_at=r.submitted_at, age_hours=age, sla_state=state,
            sla_label=sla_text, claimed_by=r.holder_email or "", claimed_until=r.claimed_until,
        ))
    kv = KycVerification
    overdue = session.execute(
        sa.select(sa.func.count()).where(kv.status.in_(OPEN),
                                         kv.submitted_at < sa.func.now() - timedelta(hours=sla_hours))
    ).scalar_one()
    return QueuePage(rows=rows, next_cursor=next_cursor, counts=_queue_counts(session), overdue=int(overdue),
                     sla_hours=sla_hours, filters=parsed)


@dataclass
class CaseView:
    id: str
    status: str
    can_decide: bool  # this officer holds the claim (or it is free) and may act
    held_by: str  # another officer's email while their claim is live
    claimed_until: str
    notice: str  # why the case is read-only, if it is
    applicant: dict[str, str]
    comparison: list[dict[str, str]]
    documents: list[dict[str, str]]
    checks: list[dict[str, str]]
    timeline: list[dict[str, str]]
    summary: dict[str, str]


def case_query(case_id: uuid.UUID) -> sa.Select:
    """The main query of opening a case: the verification with its applicant and the officers named on it."""
    kv = KycVerification
    holder, first = aliased(User), aliased(User)
    return (
        sa.select(kv, User, holder.email.label("holder_email"), first.email.label("first_email"))
        .join(User, User.id == kv.user_id)
        .outerjoin(holder, holder.id == kv.claimed_by_id)
        .outerjoin(first, first.id == kv.first_approved_by_id)
        .where(kv.id == case_id)
    )



def _email_of(session: Session, user_id: uuid.UUID | None) -> str:
    if user_id is None:
        return ""
    return session.execute(sa.select(User.email).where(User.id == user_id)).scalar_one_or_none() or ""


def _claim_live(row: KycVerification, now: datetime) -> bool:
    return row.claimed_by_id is not None and row.claimed_until is not None and row.claimed_until > now



def _fmt_ts(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else ""


def _norm(value: Any) -> str:
    return " ".join(str(value or "").upper().replace(",", " ").split())


def _case_view(session: Session, actor: Actor, ident: uuid.UUID, notice: str) -> CaseView:
    found = session.execute(case_query(ident)).first()
    if found is None:
        raise NotFound("This KYC case does not exist.")
    kv, user, holder_email, first_email = found
    now = _now(session)
    sla_hours, _ = _review_settings(session)
    live = _claim_live(kv, now)
    held_by = holder_email if live and kv.claimed_by_id != actor.user_id else ""
    is_open = kv.status in OPEN
    can_decide = (  # every notice says why the case is read-only for this officer now
        is_open and actor.can(Perm.KYC_REVIEW) and not held_by and not notice
        and not (kv.status == V.AWAITING_SECOND_REVIEW and kv.first_approved_by_id == actor.user_id)
    )
    age = (now - kv.submitted_at).total_seconds() / 3600
    sla_state, sla_text = _sla(age, sla_hours) if is_open else ("", "")
    applicant = {
        "name": f"{user.first_name} {user.last_name}", "email": user.email, "phone": user.phone or "—",
        "country": user.country or "—", "nationality": user.nationality or "—",
        "date_of_birth": user.date_of_birth.isoformat() if user.date_of_birth else "—",
        "address": ", ".join(p for p in (user.address, user.city) if p) or "—",
        "platform": label(user.platform), "account_type": label(user.account_type) or "—",
        "kyc_status": label(user.kyc_status), "member_since": user.created_at.astimezone(UTC).strftime("%Y-%m-%d"),
        "user_id": str(user.id),
    }
    pairs = [
        ("Document number", kv.document_number, kv.extracted_document_number),
        ("First name", kv.first_name, kv.extracted_first_name),
        ("Last name", kv.last_name, kv.extracted_last_name),
        ("Date of birth", kv.date_of_birth.isoformat() if kv.date_of_birth else "",
         kv.extracted_date_of_birth.isoformat() if kv.extracted_date_of_birth else ""),
        ("Address", kv.address, kv.extracted_address),
    ]
    comparison = []
    for name, entered, extracted in pairs:
        if extracted in (None, ""):
            state = "missing"
        else:
            state = "match" if _norm(entered) == _norm(extracted) else "mismatch"
        comparison.append({"field": name, "entered": str(entered or "—"), "extracted": str(extracted or "—"),
                           "state": state})
    show_files = actor.can(Perm.KYC_DOCUMENTS_VIEW)
    docs = session.execute(
        sa.select(KycDocument).where(KycDocument.verification_id == ident).order_by(KycDocument.document_type)
    ).scalars().all()
    order = {t.value: i for i, t in enumerate(KycDocumentType)}
    documents = [
        {
            "id": str(d.id), "type": d.document_type,
            "type_label": DOCUMENT_LABELS.get(d.document_type, label(d.document_type)),
            "status": d.status, "status_label": label(d.status), "file_name": d.file_name,
            "size": f"{d.file_size / 1024:,.0f} KB", "mime": d.mime_type,
            "is_image": "yes" if d.mime_type.startswith("image/") else "no",
            "url": f"/_private/kyc/{d.id}" if show_files else "",
            "reason": d.rejection_reason or "", "reviewed_at": _fmt_ts(d.reviewed_at),
        }
        for d in sorted(docs, key=lambda d: order.get(d.document_type, 99))
    ]
    cr = ComplianceRecord
    records = session.execute(
        sa.select(cr).where(sa.or_(cr.verification_id == ident, sa.and_(cr.user_id == kv.user_id,
                                                                          cr.verification_id.is_(None))))
        .order_by(cr.checked_at.desc()).limit(20)
    ).scalars().all()
    checks = [
        {"type": r.check_type, "provider": r.provider, "result": r.result, "result_label": label(r.result),
         "risk_level": r.risk_level, "risk_label": label(r.risk_level), "score": str(r.risk_score),
         "flags": ", ".join(str(f).replace("_", " ") for f in (r.flags or [])) or "none",
         "checked": _fmt_ts(r.checked_at)}
        for r in records
    ]
    top = max((r.risk_score for r in records), default=None)
    summary = {
        "status": kv.status, "status_label": label(kv.status), "attempt": str(kv.attempt),
        "document_type": label(kv.document_type), "risk_level": kv.risk_level or "",
        "risk_label": label(kv.risk_level) or "Not screened", "risk_score": "—" if top is None else str(top),
        "high_risk": "yes" if kv.risk_level in HIGH_RISK else "no",
        "submitted": _fmt_ts(kv.submitted_at), "sla_state": sla_state, "sla_label": sla_text,
        "claimed_by": holder_email if live else "", "claimed_until": _fmt_ts(kv.claimed_until) if live else "",
        "first_approved_by": first_email or "", "first_approved_at": _fmt_ts(kv.first_approved_at),
        "rejection_code": kv.rejection_code or "", "rejection_reason": kv.rejection_reason or "",
        "internal_note": kv.internal_note or "", "mine": "yes" if live and kv.claimed_by_id == actor.user_id else "no",
    }
    return CaseView(
        id=str(kv.id), status=kv.status, can_decide=can_decide, held_by=held_by or "",
        claimed_until=_fmt_ts(kv.claimed_until) if live else "", notice=notice, applicant=applicant,
        comparison=comparison, documents=documents, checks=checks, timeline=_timeline(session, kv), summary=summary,
    )


def _timeline(session: Session, kv: KycVerification) -> list[dict[str, str]]:
    """Earlier submissions, every status change of this customer's verifications and documents, and the
    notes and decisions recorded on them, newest first."""
    attempts = session.execute(
        sa.select(KycVerification).where(KycVerification.user_id == kv.user_id).order_by(KycVerification.attempt)
    ).scalars().all()
    ids = [a.id for a in attempts]
    doc_ids = session.execute(sa.select(KycDocument.id, KycDocument.document_type)
                              .where(KycDocument.verification_id.in_(ids))).all()
    doc_types = {d: t for d, t in doc_ids}
    attempt_of = {a.id: a.attempt for a in attempts}
    events: list[tuple[datetime, dict[str, str]]] = []
    for a in attempts:
        events.append((a.submitted_at, {"kind": "submission", "title": f"Attempt {a.attempt} submitted",
                                        "detail": f"{label(a.document_type)} {a.document_number}", "actor": "",
                                        "when": _fmt_ts(a.submitted_at)}))
        if a.internal_note and a.reviewed_at:
            events.append((a.reviewed_at, {"kind": "note", "title": f"Internal note (attempt {a.attempt})",
                                           "detail": a.internal_note, "actor": "", "when": _fmt_ts(a.reviewed_at)}))
    sh = StatusHistory
    rows = session.execute(
        sa.select(sh, User.email).outerjoin(User, User.id == sh.actor_id)
        .where(sa.or_(sa.and_(sh.entity_type == ReviewableEntity.KYC_VERIFICATION.value, sh.entity_id.in_(ids)),
                      sa.and_(sh.entity_type == ReviewableEntity.KYC_DOCUMENT.value,
                              sh.entity_id.in_(list(doc_types) or [uuid.UUID(int=0)]))))
        .order_by(sh.created_at.desc()).limit(TIMELINE_LIMIT)
    ).all()
    for h, email in rows:
        if h.entity_type == ReviewableEntity.KYC_DOCUMENT.value:
            kind = doc_types.get(h.entity_id) or ""
            title = f"{DOCUMENT_LABELS.get(kind, label(kind))}: {label(h.to_status)}"
        else:
            title = f"Attempt {attempt_of.get(h.entity_id, '?')}: {label(h.from_status) or 'New'} → {label(h.to_status)}"
        events.append((h.created_at, {"kind": "decision", "title": title, "detail": h.reason or "",
                                      "actor": email or "", "when": _fmt_ts(h.created_at)}))
    events.sort(key=lambda e: e[0], reverse=True)
    return [e for _, e in events[:TIMELINE_LIMIT]]



# --- the document files ----------------------------------------------------------------------------
@dataclass(frozen=True)
class DocumentFile:
    path: Path
    mime_type: str
    file_name: str


@requires(Perm.KYC_DOCUMENTS_VIEW)
def document_file(session: Session, *, actor: Actor, document_id: Any) -> DocumentFile:
    """The file of one KYC document for an officer with ``kyc.documents.view``; the view is audited
    (``kyc.document_viewed``) in this transaction. The path comes from the stored key, checked by
    ``storage.path_for`` (no absolute paths, no ``..``, never outside the private folder)."""
    ident = parse_id(document_id, "document")
    doc = session.get(KycDocument, ident)
    if doc is None:
        raise NotFound("That document does not exist.")
    if doc.mime_type not in SERVABLE_TYPES:
        raise NotFound("That document cannot be shown.")
    path = storage.stored_file(doc.storage_key, unsafe="That document cannot be shown.",
                               missing="The file of that document is missing from storage.")
    audit.record(session, actor=actor, action="kyc.document_viewed", target_type="kyc_document", target_id=doc.id,
                 description=f"Viewed {label(doc.document_type)} of a KYC case",
                 details={"verification_id": doc.verification_id, "user_id": doc.user_id})
    return DocumentFile(path=path, mime_type=doc.mime_type, file_name=doc.file_name)
