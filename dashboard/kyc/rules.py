"""KYC review: the vocabulary (statuses, reasons taxonomy, limits) and the parsing of untrusted input.

No database and no Reflex: queries.py and actions.py build on it, state.py and view.py read its limits.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from dashboard.core.errors import InvalidInput
from dashboard.core.format import hours_text
from dashboard.core.listing import FilterSet
from dashboard.core.validate import clean_text, filter_form, one_of, optional_date, parse_uuid
from dashboard.models.enums import (
    OPEN_VERIFICATION_STATUSES,
    IdDocumentType,
    KycDocumentType,
    KycStatus,
    RiskLevel,
    VerificationStatus,
)

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
DEFAULT_CLAIM_MAX_HOURS = 8
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
    return parse_uuid(value, what)


ASSIGNED_CHOICES = ("", "me", "unassigned")
FILTER_KEYS = ("status", "country", "document_type", "risk_level", "assigned", "date_from", "date_to", "search")
_COUNTRY_RE = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True)
class QueueFilters(FilterSet):
    status: str = ""
    country: str = ""
    document_type: str = ""
    risk_level: str = ""
    assigned: str = ""
    date_from: date | None = None
    date_to: date | None = None
    search: str = ""


def parse_filters(raw: Any) -> QueueFilters:
    """Validate the filter form (all text). Unknown keys are ignored."""
    if isinstance(raw, QueueFilters):
        return raw
    raw = filter_form(raw)
    country = clean_text(raw.get("country"), "Country", 2).upper()
    if country and not _COUNTRY_RE.match(country):
        raise InvalidInput("Country: a two-letter code such as GB.")
    date_from = optional_date(raw.get("date_from"), "Submitted from")
    date_to = optional_date(raw.get("date_to"), "Submitted to")
    if date_from and date_to and date_from > date_to:
        raise InvalidInput("Submitted from: must not be after the end date.")
    return QueueFilters(
        status=one_of(raw.get("status"), OPEN, "Status"),
        country=country,
        document_type=one_of(raw.get("document_type"), tuple(t.value for t in IdDocumentType), "Document type"),
        risk_level=one_of(raw.get("risk_level"), tuple(r.value for r in RiskLevel) + ("NONE",), "Risk level"),
        assigned=one_of(raw.get("assigned"), ASSIGNED_CHOICES[1:], "Assigned"),
        date_from=date_from,
        date_to=date_to,
        search=" ".join(clean_text(raw.get("search"), "Search", MAX_SEARCH).split()),
    )



def _sla(age_hours: float, sla_hours: int) -> tuple[str, str]:
    left = sla_hours - age_hours
    if left < 0:
        return "overdue", f"Overdue by {hours_text(-left)}"
    if left < sla_hours * 0.25:
        return "due_soon", f"{hours_text(left)} left"
    return "on_time", f"{hours_text(left)} left"


