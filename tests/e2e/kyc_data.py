"""KYC rows and files for the browser tests (tests/e2e/test_kyc.py).

- a second compliance officer (``compliance2@e2e.test``, same password as the other e2e accounts), for
  the four-eyes flow;
- the two OLDEST open cases of the e2e database (submitted days ago; tests/e2e/data.py's cases are
  submitted "now"): a low-risk case (rejected with a RETRY reason by the first flow) and a HIGH-risk case
  (approved by two officers in the second flow). Each has an ID front, back and selfie, rendered as JPEG
  into the private folder the e2e server reads (``DASHBOARD_PRIVATE_FILES_DIR``).

``insert_kyc_cases`` is idempotent (keyed by the customers' e-mails). ``close_leftovers`` moves any of
these cases still open out of the queue, so the overview's ``kyc_waiting`` count (tests/e2e/data.py)
is the same before and after these tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from passlib.hash import bcrypt_sha256
from sqlmodel import Session

from dashboard.core import storage
from dashboard.models import ComplianceRecord, KycDocument, KycVerification, User
from dashboard.seed import images
from tests.e2e.accounts import PASSWORD

SECOND_OFFICER = "compliance2@e2e.test"
LOW_EMAIL = "olivia.oldest@e2e-kyc.test"
HIGH_EMAIL = "henry.highrisk@e2e-kyc.test"


@dataclass(frozen=True)
class KycCases:
    low_case: str
    low_user: str
    high_case: str
    high_user: str


def _customer(session: Session, email: str, first: str, last: str) -> User:
    user = session.execute(sa.select(User).where(User.email == email)).scalar_one_or_none()
    if user is None:
        user = User(email=email, first_name=first, last_name=last, country="GB", city="London",
                    address="12 Baker Street", date_of_birth=date(1988, 4, 12), kyc_status="PENDING",
                    account_type="STOCK", platform="VIP")
        session.add(user)
        session.flush()
    return user


def _case(session: Session, user: User, *, risk: str, days_old: int, number: str, extracted_number: str,
          files: Path) -> KycVerification:
    found = session.execute(sa.select(KycVerification).where(KycVerification.user_id == user.id)).scalar_one_or_none()
    if found is not None:
        return found
    submitted = datetime.now(UTC) - timedelta(days=days_old)
    row = KycVerification(
        user_id=user.id, status="PENDING", document_type="PASSPORT", document_number=number,
        first_name=user.first_name, last_name=user.last_name, date_of_birth=date(1988, 4, 12),
        address="12 Baker Street, London", country="GB", extracted_document_number=extracted_number,
        extracted_first_name=user.first_name.upper(), extracted_last_name=user.last_name.upper(),
        extracted_date_of_birth=date(1988, 4, 12), extracted_address="12 BAKER STREET LONDON", risk_level=risk,
        submitted_at=submitted, created_at=submitted,
    )
    session.add(row)
    session.flush()
    expiry = date(2031, 1, 1)
    renders = {
        "ID_FRONT": ("id_front.jpg", images.id_front("PASSPORT", "GB", user.first_name, user.last_name,
                                                     date(1988, 4, 12), extracted_number, expiry, 7)),
        "ID_BACK": ("id_back.jpg", images.id_back("PASSPORT", "GBR", user.first_name, user.last_name,
                                                  date(1988, 4, 12), extracted_number, expiry, 8)),
        "SELFIE": ("selfie.jpg", images.selfie(9)),
    }
    for kind, (name, data) in renders.items():
        key = f"kyc/{user.id}/{row.id}/{name}"
        digest = storage.write(key, data, base=files)
        session.add(KycDocument(user_id=user.id, verification_id=row.id, document_type=kind, storage_key=key,
                                file_name=name, file_size=len(data), mime_type="image/jpeg", sha256=digest,
                                uploaded_at=submitted))
    session.add(ComplianceRecord(
        user_id=user.id, verification_id=row.id, check_type="SANCTIONS", provider="Refinitiv World-Check",
        result="CONSIDER" if risk == "HIGH" else "CLEAR", risk_level=risk, risk_score=72 if risk == "HIGH" else 12,
        flags=["partial_name_match"] if risk == "HIGH" else [], checked_at=submitted,
    ))
    session.flush()
    return row


def insert_kyc_cases(session: Session, files: Path) -> KycCases:
    if session.execute(sa.select(User.id).where(User.email == SECOND_OFFICER)).first() is None:
        session.add(User(email=SECOND_OFFICER, first_name="Second", last_name="Officer", role="COMPLIANCE",
                         platform="STAFF", password_hash=bcrypt_sha256.using(rounds=4).hash(PASSWORD)))
    low_user = _customer(session, LOW_EMAIL, "Olivia", "Oldest")
    high_user = _customer(session, HIGH_EMAIL, "Henry", "Highrisk")
    low = _case(session, low_user, risk="LOW", days_old=3, number="120000001", extracted_number="120000001",
                files=files)
    high = _case(session, high_user, risk="HIGH", days_old=2, number="230000002", extracted_number="230000092",
                 files=files)
    session.flush()
    return KycCases(low_case=str(low.id), low_user=str(low_user.id), high_case=str(high.id),
                    high_user=str(high_user.id))


def close_leftovers(session: Session) -> int:
    """Take any of these cases still open out of the queue (a failed flow must not change the counts
    the overview tests expect)."""
    users = sa.select(User.id).where(User.email.in_([LOW_EMAIL, HIGH_EMAIL]))
    result = session.execute(
        sa.update(KycVerification)
        .where(KycVerification.user_id.in_(users),
               KycVerification.status.in_(["PENDING", "UNDER_REVIEW", "AWAITING_SECOND_REVIEW"]))
        .values(status="RESUBMIT_REQUIRED", rejection_code="GLARE", rejection_reason="Closed by the e2e tests",
                claimed_by_id=None, claimed_until=None)
    )
    return result.rowcount or 0
