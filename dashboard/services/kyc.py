"""KYC review: the queue, the case view, claims and decisions (issue 4).

Rules
- Reading the queue or a case needs ``kyc.view``; claiming and deciding need ``kyc.review``; the
  document files need ``kyc.documents.view`` (checked by ``document_file``, audited on every view).
- Opening a case claims it for ``settings.kyc_claim_minutes`` ("being reviewed by ..."; PENDING ->
  UNDER_REVIEW). A case another officer holds is shown read-only and every decision on it is refused.
  A claim ends on a decision, on ``release`` or when it expires.
- Every change locks the case row first (``SELECT ... FOR UPDATE``) and re-checks its status and claim
  under the lock, so two officers acting at once change it once: the second sees the first's result
  and gets a ``Conflict``.
- One transaction per decision: the verification, its documents, ``users.kyc_status`` (+ approved
  at/by or the rejection message), a status-history row, a notification to the customer, an outbox
  event and the audit entry.
- Four-eyes: approving a HIGH or CRITICAL case records the first approval (-> AWAITING_SECOND_REVIEW,
  claim released); a *different* officer confirms it (``confirm_second_review``).
- Rejections take a code from ``REASONS``: RETRY -> RESUBMIT_REQUIRED (the customer may submit
  again), FINAL -> REJECTED. The message the customer sees is kept apart from the internal note.

Ids arrive as text and are parsed here; every argument is validated before anything is written.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session

from dashboard.core import storage
from dashboard.models import ComplianceRecord, KycDocument, KycVerification, Settings, StatusHistory, User
from dashboard.models.enums import (
    OPEN_VERIFICATION_STATUSES,
    DocumentStatus,
    IdDocumentType,
    KycDocumentType,
    KycStatus,
    ReviewableEntity,
    RiskLevel,
    VerificationStatus,
    label,
)
from dashboard.core.permissions import Perm
from dashboard.audit import chain as audit
from dashboard.core.actor import Actor
from dashboard.core.errors import Conflict, InvalidInput, NotAllowed, NotAuthenticated, NotFound
from dashboard.services.history import record_status_change
from dashboard.services.notifications import notify
from dashboard.services.outbox import emit

V = VerificationStatus
OPEN = tuple(s.value for s in OPEN_VERIFICATION_STATUSES)
HIGH_RISK = (RiskLevel.HIGH.value, RiskLevel.CRITICAL.value)
PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
MAX_SEARCH = 100
MAX_MESSAGE = 1000
MAX_NOTE = 2000
MAX_DOC_REASON = 500
DEFAULT_SLA_HOURS = 24
DEFAULT_CLAIM_MINUTES = 30
TIMELINE_LIMIT = 100
AGGREGATE = "kyc_verification"

# What users.kyc_status shows for a verification status (as the seed does).
USER_STATUS = {
    V.PENDING: KycStatus.PENDING,
    V.UNDER_REVIEW: KycStatus.UNDER_REVIEW,
    V.AWAITING_SECOND_REVIEW: KycStatus.UNDER_REVIEW,
    V.APPROVED: KycStatus.APPROVED,
    V.REJECTED: KycStatus.REJECTED,
    V.RESUBMIT_REQUIRED: KycStatus.RESUBMIT_REQUIRED,
}

DOCUMENT_LABELS = {"ID_FRONT": "ID front", "ID_BACK": "ID back", "SELFIE": "Selfie",
                   "PROOF_OF_ADDRESS": "Proof of address", "WEALTH_STATEMENT": "Wealth statement"}

# Files the document route may send, by the type stored with the document; anything else is refused.
SERVABLE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "application/pdf"})


# --- the rejection taxonomy ------------------------------------------------------------------------
RETRY = "RETRY"  # the customer may submit again: RESUBMIT_REQUIRED
FINAL = "FINAL"  # no further submission: REJECTED


@dataclass(frozen=True)
class Reason:
    code: str
    kind: str  # RETRY or FINAL
    title: str  # what the officer picks from
    message: str  # the default text the customer sees
    document: str | None = None  # the document at fault, marked REJECTED with the case

    @property
    def outcome(self) -> str:
        return V.RESUBMIT_REQUIRED.value if self.kind == RETRY else V.REJECTED.value


_REASONS = (
    Reason("IMAGE_BLURRY", RETRY, "Image is blurry",
           "The photo of your document is blurry. Please upload a sharper image.", KycDocumentType.ID_FRONT),
    Reason("GLARE", RETRY, "Glare hides part of the document",
           "Part of your document is hidden by glare. Please retake the photo.", KycDocumentType.ID_FRONT),
    Reason("BACK_UNREADABLE", RETRY, "Back of the document unreadable",
           "The back of your document is unreadable. Please upload it again.", KycDocumentType.ID_BACK),
    Reason("NAME_MISMATCH", RETRY, "Name differs from the profile",
           "The name on your document does not match your profile.", KycDocumentType.ID_FRONT),
    Reason("ADDRESS_PROOF_TOO_OLD", RETRY, "Proof of address too old",
           "Your proof of address must be less than three months old.", KycDocumentType.PROOF_OF_ADDRESS),
    Reason("SELFIE_UNCLEAR", RETRY, "Selfie unclear",
           "Your selfie is too dark. Please retake it in good light.", KycDocumentType.SELFIE),
    Reason("DOCUMENT_EXPIRED", FINAL, "Document expired",
           "The identity document you submitted has expired.", KycDocumentType.ID_FRONT),
    Reason("DOCUMENT_TAMPERED", FINAL, "Document tampered with",
           "We could not verify the authenticity of your document.", KycDocumentType.ID_FRONT),
    Reason("FACE_MISMATCH", FINAL, "Selfie does not match the document",
           "Your selfie does not match the photo on your document.", KycDocumentType.SELFIE),
    Reason("SANCTIONS_MATCH", FINAL, "Sanctions match",
           "We are unable to offer you an account at this time.", None),
    Reason("UNSUPPORTED_DOCUMENT", FINAL, "Document type not accepted",
           "This type of document is not accepted for your country of residence.", KycDocumentType.ID_FRONT),
)
REASONS: dict[str, Reason] = {r.code: r for r in _REASONS}


# --- small parsers -----------------------------------------------------------------------------------
def parse_id(value: Any, what: str = "case") -> uuid.UUID:
    """A UUID from untrusted input (text only); ``InvalidInput`` otherwise."""
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str) or not 32 <= len(value.strip()) <= 36:
        raise InvalidInput(f"That {what} id is not valid.")
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        raise InvalidInput(f"That {what} id is not valid.") from None


def _text(value: Any, name: str, limit: int, *, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(f"{name}: expected text.")
    value = value.strip()
    if required and not value:
        raise InvalidInput(f"{name}: required.")
    if len(value) > limit:
        raise InvalidInput(f"{name}: at most {limit} characters.")
    if any(ord(c) < 32 and c not in "\n\t" for c in value):
        raise InvalidInput(f"{name}: contains control characters.")
    return value


def _require(actor: Any, perm: Perm) -> Actor:
    if not isinstance(actor, Actor):
        raise NotAuthenticated("Please sign in.")
    if not actor.can(perm):
        raise NotAllowed("You do not have permission to do this.")
    if perm in (Perm.KYC_REVIEW,) and actor.user_id is None:
        raise NotAllowed("Only a signed-in officer can review KYC cases.")
    return actor


def _now(session: Session) -> datetime:
    return session.execute(sa.select(sa.func.now())).scalar_one()


def review_settings(session: Session) -> tuple[int, int]:
    """(SLA hours, claim minutes) from the settings row, with the defaults when it is missing."""
    row = session.execute(sa.select(Settings.kyc_sla_hours, Settings.kyc_claim_minutes).where(Settings.id == 1)).first()
    if row is None:
        return DEFAULT_SLA_HOURS, DEFAULT_CLAIM_MINUTES
    return int(row[0]), int(row[1])


# --- the queue -------------------------------------------------------------------------------------
ASSIGNED_CHOICES = ("", "me", "unassigned")
FILTER_KEYS = ("status", "country", "document_type", "risk_level", "assigned", "date_from", "date_to", "search")
_COUNTRY_RE = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True)
class QueueFilters:
    status: str = ""
    country: str = ""
    document_type: str = ""
    risk_level: str = ""
    assigned: str = ""
    date_from: date | None = None
    date_to: date | None = None
    search: str = ""

    def active(self) -> int:
        return sum(1 for k in FILTER_KEYS if getattr(self, k) not in ("", None))


def _choice(raw: Mapping[str, Any], key: str, allowed: tuple[str, ...], name: str) -> str:
    value = _text(raw.get(key), name, 40)
    if value in ("", "all", "ALL"):
        return ""
    if value not in allowed:
        raise InvalidInput(f"{name}: not a valid choice.")
    return value


def _date(raw: Mapping[str, Any], key: str, name: str) -> date | None:
    value = _text(raw.get(key), name, 10)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{name}: use a date like 2025-01-31.") from None


def parse_filters(raw: Any) -> QueueFilters:
    """Validate the filter form (all text). Unknown keys are ignored."""
    if raw is None:
        return QueueFilters()
    if isinstance(raw, QueueFilters):
        return raw
    if not isinstance(raw, Mapping):
        raise InvalidInput("The filters could not be read.")
    country = _text(raw.get("country"), "Country", 2).upper()
    if country and not _COUNTRY_RE.match(country):
        raise InvalidInput("Country: a two-letter code such as GB.")
    date_from = _date(raw, "date_from", "Submitted from")
    date_to = _date(raw, "date_to", "Submitted to")
    if date_from and date_to and date_from > date_to:
        raise InvalidInput("Submitted from: must not be after the end date.")
    return QueueFilters(
        status=_choice(raw, "status", OPEN, "Status"),
        country=country,
        document_type=_choice(raw, "document_type", tuple(t.value for t in IdDocumentType), "Document type"),
        risk_level=_choice(raw, "risk_level", tuple(r.value for r in RiskLevel) + ("NONE",), "Risk level"),
        assigned=_choice(raw, "assigned", ASSIGNED_CHOICES[1:], "Assigned"),
        date_from=date_from,
        date_to=date_to,
        search=" ".join(_text(raw.get("search"), "Search", MAX_SEARCH).split()),
    )


def encode_cursor(submitted_at: datetime, row_id: uuid.UUID) -> str:
    return f"{submitted_at.astimezone(UTC).isoformat()}|{row_id}"


def decode_cursor(value: Any) -> tuple[datetime, uuid.UUID]:
    if not isinstance(value, str) or len(value) > 100 or "|" not in value:
        raise InvalidInput("That page position is not valid. Go back to the first page.")
    when, _, ident = value.partition("|")
    try:
        moment = datetime.fromisoformat(when)
        if moment.tzinfo is None:
            raise ValueError
        return moment, uuid.UUID(ident)
    except ValueError:
        raise InvalidInput("That page position is not valid. Go back to the first page.") from None


def _like(text_value: str) -> str:
    return "%" + text_value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


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
            "age": _age_text(self.age_hours), "sla_state": self.sla_state, "sla_label": self.sla_label,
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


def _age_text(hours: float) -> str:
    if hours < 1:
        return f"{max(int(hours * 60), 0)} min"
    if hours < 48:
        return f"{int(hours)} h"
    return f"{int(hours // 24)} d"


def _sla(age_hours: float, sla_hours: int) -> tuple[str, str]:
    left = sla_hours - age_hours
    if left < 0:
        return "overdue", f"Overdue by {_age_text(-left)}"
    if left < sla_hours * 0.25:
        return "due_soon", f"{_age_text(left)} left"
    return "on_time", f"{_age_text(left)} left"


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
    if filters.status:
        query = query.where(kv.status == filters.status)
    if filters.country:
        query = query.where(kv.country == filters.country)
    if filters.document_type:
        query = query.where(kv.document_type == filters.document_type)
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
        pattern = _like(filters.search)
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


def queue_counts(session: Session) -> dict[str, int]:
    """Open cases per status (the whole queue; exact, read from the partial index)."""
    kv = KycVerification
    rows = session.execute(
        sa.select(kv.status, sa.func.count()).where(kv.status.in_(OPEN)).group_by(kv.status)
    ).all()
    return {s: 0 for s in OPEN} | {status: int(n) for status, n in rows}


def list_queue(session: Session, *, actor: Actor, filters: Any = None, after: Any = None,
               limit: int = PAGE_SIZE) -> QueuePage:
    """One page of the queue (``limit`` rows after the cursor ``after``), the counts per open status
    (whole queue, exact: they come from the partial index) and how many cases are past the SLA."""
    actor = _require(actor, Perm.KYC_VIEW)
    parsed = parse_filters(filters)
    cursor = decode_cursor(after) if after not in (None, "") else None
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidInput(f"Page size: 1 to {MAX_PAGE_SIZE}.")
    sla_hours, _ = review_settings(session)
    now = _now(session)
    result = session.execute(queue_query(parsed, me=actor.user_id, after=cursor, limit=limit + 1)).all()
    rows: list[QueueRow] = []
    for r in result[:limit]:
        age = (now - r.submitted_at).total_seconds() / 3600
        state, sla_text = _sla(age, sla_hours)
        rows.append(QueueRow(
            id=str(r.id), name=f"{r.user_first} {r.user_last}".strip(), email=r.email, country=r.country or "",
            document_type=r.document_type, document_number=r.document_number, risk_level=r.risk_level or "",
            status=r.status, attempt=r.attempt, submitted_at=r.submitted_at, age_hours=age, sla_state=state,
            sla_label=sla_text, claimed_by=r.holder_email or "", claimed_until=r.claimed_until,
        ))
    next_cursor = None
    if len(result) > limit and rows:
        last = result[limit - 1]
        next_cursor = encode_cursor(last.submitted_at, last.id)
    counts = queue_counts(session)
    kv = KycVerification
    overdue = session.execute(
        sa.select(sa.func.count()).where(kv.status.in_(OPEN),
                                         kv.submitted_at < sa.func.now() - timedelta(hours=sla_hours))
    ).scalar_one()
    return QueuePage(rows=rows, next_cursor=next_cursor, counts=counts, overdue=int(overdue), sla_hours=sla_hours,
                     filters=parsed)


# --- the case view ---------------------------------------------------------------------------------
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


def _lock(session: Session, case_id: uuid.UUID) -> KycVerification:
    row = session.execute(
        sa.select(KycVerification).where(KycVerification.id == case_id).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if row is None:
        raise NotFound("This KYC case does not exist.")
    return row


def _email_of(session: Session, user_id: uuid.UUID | None) -> str:
    if user_id is None:
        return ""
    return session.execute(sa.select(User.email).where(User.id == user_id)).scalar_one_or_none() or ""


def _claim_live(row: KycVerification, now: datetime) -> bool:
    return row.claimed_by_id is not None and row.claimed_until is not None and row.claimed_until > now


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


def open_case(session: Session, *, actor: Actor, case_id: Any) -> CaseView:
    """The case view. A reviewer also claims the case (or renews their claim) when nobody else holds
    it: PENDING becomes UNDER_REVIEW. Viewers without ``kyc.review`` (administrators) only read."""
    actor = _require(actor, Perm.KYC_VIEW)
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
    _, claim_minutes = review_settings(session)
    renewing = row.claimed_by_id == actor.user_id and _claim_live(row, now)
    before = {"status": row.status, "claimed_by_id": row.claimed_by_id, "claimed_until": row.claimed_until}
    row.claimed_by_id = actor.user_id
    row.claimed_until = now + timedelta(minutes=claim_minutes)
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
    if not renewing:
        audit.record(session, actor=actor, action="kyc.claimed", target_type=AGGREGATE, target_id=row.id,
                     description=f"Claimed KYC case until {row.claimed_until.astimezone(UTC):%H:%M} UTC",
                     before=before, after={"status": row.status, "claimed_by_id": row.claimed_by_id,
                                           "claimed_until": row.claimed_until})
    return ""


def release(session: Session, *, actor: Actor, case_id: Any) -> None:
    """Give the case back to the queue (only the officer holding it)."""
    actor = _require(actor, Perm.KYC_REVIEW)
    row = _lock(session, parse_id(case_id))
    now = _now(session)
    if row.claimed_by_id != actor.user_id or not _claim_live(row, now):
        return  # nothing of ours to release
    before = {"claimed_by_id": row.claimed_by_id, "claimed_until": row.claimed_until}
    row.claimed_by_id = None
    row.claimed_until = None
    row.updated_at = now
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="kyc.released", target_type=AGGREGATE, target_id=row.id,
                 description="Released the KYC case back to the queue", before=before,
                 after={"claimed_by_id": None, "claimed_until": None})


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
    sla_hours, _ = review_settings(session)
    live = _claim_live(kv, now)
    held_by = holder_email if live and kv.claimed_by_id != actor.user_id else ""
    is_open = kv.status in OPEN
    can_decide = (
        is_open and actor.can(Perm.KYC_REVIEW) and not held_by
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


# --- decisions -------------------------------------------------------------------------------------
def _deciding(session: Session, actor: Any, case_id: Any) -> tuple[Actor, KycVerification, datetime]:
    actor = _require(actor, Perm.KYC_REVIEW)
    row = _lock(session, parse_id(case_id))
    now = _now(session)
    _ensure_open(row)
    _held_by_other(session, row, actor, now)
    return actor, row, now


def decide_document(session: Session, *, actor: Actor, case_id: Any, document_id: Any, decision: Any,
                    reason: Any = None) -> str:
    """Approve or reject one document of an open case; returns its new status."""
    if decision not in ("APPROVE", "REJECT"):
        raise InvalidInput("Choose approve or reject for the document.")
    doc_ident = parse_id(document_id, "document")
    text_reason = _text(reason, "Document reason", MAX_DOC_REASON, required=decision == "REJECT")
    actor, row, now = _deciding(session, actor, case_id)
    doc = session.execute(
        sa.select(KycDocument).where(KycDocument.id == doc_ident).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if doc is None:
        raise NotFound("That document does not exist.")
    if doc.verification_id != row.id:
        raise InvalidInput("That document belongs to another case. Nothing was changed.")
    target = DocumentStatus.APPROVED.value if decision == "APPROVE" else DocumentStatus.REJECTED.value
    if doc.status == target:
        raise Conflict(f"This document is already {label(target).lower()}.")
    before = {"status": doc.status, "rejection_reason": doc.rejection_reason}
    previous = doc.status
    doc.status = target
    doc.rejection_reason = (text_reason or None) if target == DocumentStatus.REJECTED else None
    doc.reviewed_by = actor.user_id
    doc.reviewed_at = now
    session.add(doc)
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


def approve(session: Session, *, actor: Actor, case_id: Any, note: Any = None) -> str:
    """Approve an open case. High-risk: records the first approval (-> AWAITING_SECOND_REVIEW) and
    frees the case for a second officer. Returns the new status."""
    internal = _text(note, "Internal note", MAX_NOTE)
    actor, row, now = _deciding(session, actor, case_id)
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
        previous = row.status
        row.status = V.AWAITING_SECOND_REVIEW.value
        row.first_approved_by_id = actor.user_id
        row.first_approved_at = now
        row.claimed_by_id = None
        row.claimed_until = None
        if internal:
            row.internal_note = internal
        row.updated_at = now
        session.add(row)
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


def confirm_second_review(session: Session, *, actor: Actor, case_id: Any, note: Any = None) -> str:
    """The second officer's approval of a high-risk case (never the first approver)."""
    internal = _text(note, "Internal note", MAX_NOTE)
    actor, row, now = _deciding(session, actor, case_id)
    if row.status != V.AWAITING_SECOND_REVIEW:
        raise Conflict("This case is not waiting for a second review.")
    if row.first_approved_by_id is None:
        raise Conflict("This case has no recorded first approval: it cannot be confirmed. Reject it or escalate.")
    if row.first_approved_by_id == actor.user_id:
        raise NotAllowed("You gave the first approval: a different compliance officer must confirm it.")
    _finalise_approval(session, actor, row, now, internal, second=True)
    return row.status


def _finalise_approval(session: Session, actor: Actor, row: KycVerification, now: datetime, internal: str,
                       *, second: bool) -> None:
    before = {"status": row.status, "reviewed_by_id": row.reviewed_by_id}
    previous = row.status
    row.status = V.APPROVED.value
    row.reviewed_by_id = actor.user_id
    row.reviewed_at = now
    row.claimed_by_id = None
    row.claimed_until = None
    row.rejection_code = None
    row.rejection_reason = None
    if internal:
        row.internal_note = internal
    row.updated_at = now
    session.add(row)
    docs = session.execute(
        sa.select(KycDocument).where(KycDocument.verification_id == row.id,
                                     KycDocument.status == DocumentStatus.PENDING.value).with_for_update()
    ).scalars().all()
    for doc in docs:
        doc.status = DocumentStatus.APPROVED.value
        doc.reviewed_by = actor.user_id
        doc.reviewed_at = now
        session.add(doc)
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


def reject(session: Session, *, actor: Actor, case_id: Any, reason_code: Any, message: Any = None,
           internal_note: Any = None) -> str:
    """Reject an open case with a reason from ``REASONS``: RETRY -> RESUBMIT_REQUIRED, FINAL ->
    REJECTED. ``message`` (shown to the customer) defaults to the reason's text; ``internal_note`` is
    never shown to the customer. Returns the new status."""
    if not isinstance(reason_code, str) or not reason_code.strip():
        raise InvalidInput("Choose a reason for the rejection.")
    reason = REASONS.get(reason_code.strip())
    if reason is None:
        raise InvalidInput("That rejection reason is not in the list.")
    user_message = _text(message, "Message to the customer", MAX_MESSAGE) or reason.message
    note = _text(internal_note, "Internal note", MAX_NOTE)
    actor, row, now = _deciding(session, actor, case_id)
    before = {"status": row.status, "rejection_code": row.rejection_code}
    previous = row.status
    row.status = reason.outcome
    row.rejection_code = reason.code
    row.rejection_reason = user_message
    row.internal_note = note or None
    row.reviewed_by_id = actor.user_id
    row.reviewed_at = now
    row.claimed_by_id = None
    row.claimed_until = None
    row.updated_at = now
    session.add(row)
    changed_docs = []
    if reason.document:
        doc = session.execute(
            sa.select(KycDocument).where(KycDocument.verification_id == row.id,
                                         KycDocument.document_type == str(reason.document),
                                         KycDocument.status != DocumentStatus.REJECTED.value).with_for_update()
        ).scalar_one_or_none()
        if doc is not None:
            changed_docs.append((doc.id, doc.status))
            doc.status = DocumentStatus.REJECTED.value
            doc.rejection_reason = reason.title
            doc.reviewed_by = actor.user_id
            doc.reviewed_at = now
            session.add(doc)
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


# --- the document files ----------------------------------------------------------------------------
@dataclass(frozen=True)
class DocumentFile:
    path: Path
    mime_type: str
    file_name: str


def document_file(session: Session, *, actor: Actor, document_id: Any) -> DocumentFile:
    """The file of one KYC document for an officer with ``kyc.documents.view``; the view is audited
    (``kyc.document_viewed``) in this transaction. The path comes from the stored key, checked by
    ``storage.path_for`` (no absolute paths, no ``..``, never outside the private folder)."""
    actor = _require(actor, Perm.KYC_DOCUMENTS_VIEW)
    ident = parse_id(document_id, "document")
    doc = session.get(KycDocument, ident)
    if doc is None:
        raise NotFound("That document does not exist.")
    if doc.mime_type not in SERVABLE_TYPES:
        raise NotFound("That document cannot be shown.")
    try:
        path = storage.path_for(doc.storage_key)
    except storage.InvalidStorageKey:
        raise NotFound("That document cannot be shown.") from None
    if not path.is_file():
        raise NotFound("The file of that document is missing from storage.")
    audit.record(session, actor=actor, action="kyc.document_viewed", target_type="kyc_document", target_id=doc.id,
                 description=f"Viewed {label(doc.document_type)} of a KYC case",
                 details={"verification_id": doc.verification_id, "user_id": doc.user_id})
    return DocumentFile(path=path, mime_type=doc.mime_type, file_name=doc.file_name)
