"""What the generated KYC cases say and carry: the rejection reasons (the review service's own taxonomy,
``kyc.rules.REASONS``), internal notes, risk scores, screening providers and flags, document files and
upload names, and document numbers per country.
"""

from __future__ import annotations

import random
from datetime import date

import numpy as np

from dashboard.kyc.rules import FINAL, REASONS, RETRY
from dashboard.models.enums import CheckType, IdDocumentType, KycDocumentType, RiskLevel

# (code, message shown to the user, document at fault, the document's rejection text): as ``kyc.actions.reject``
# writes them (the case's message is the reason's, the document's is the reason's title).
REJECTIONS = [(r.code, r.message, r.document, r.title) for r in REASONS.values() if r.kind == FINAL]
RESUBMISSIONS = [(r.code, r.message, r.document, r.title) for r in REASONS.values() if r.kind == RETRY]
INTERNAL_NOTES = [
    "Address confirmed against bank statement.", "Called the customer to confirm date of birth.",
    "PEP hit is a namesake; different date of birth.", "Sanctions hit reviewed with MLRO.",
    "Second document requested by email.", "Source of funds looks consistent with declared income.",
]
RISK_SCORES = {RiskLevel.LOW: (2, 29), RiskLevel.MEDIUM: (30, 59), RiskLevel.HIGH: (60, 84), RiskLevel.CRITICAL: (85, 100)}
RISK_ORDER = [RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH, RiskLevel.CRITICAL]
PROVIDERS = {CheckType.KYC: ("Onfido", "onf"), CheckType.AML: ("ComplyAdvantage", "ca"),
             CheckType.SANCTIONS: ("Refinitiv World-Check", "wc"), CheckType.PEP: ("Dow Jones Risk & Compliance", "dj")}
FLAGS = {CheckType.KYC: ["image_quality_low", "face_match_low", "document_expiring_soon"],
         CheckType.AML: ["high_risk_country", "adverse_media", "unusual_source_of_funds"],
         CheckType.SANCTIONS: ["partial_name_match", "sanctions_list_hit"],
         CheckType.PEP: ["pep_match", "pep_relative"]}
COUNTRY3 = {"US": "USA", "CA": "CAN", "GB": "GBR", "IE": "IRL", "DE": "DEU", "CH": "CHE", "FR": "FRA", "ES": "ESP",
            "NL": "NLD", "PT": "PRT", "BR": "BRA", "GH": "GHA", "NG": "NGA", "ZA": "ZAF", "KE": "KEN"}
DOC_FILES = {KycDocumentType.ID_FRONT: ("id_front.jpg", "image/jpeg"), KycDocumentType.ID_BACK: ("id_back.jpg", "image/jpeg"),
             KycDocumentType.SELFIE: ("selfie.jpg", "image/jpeg"),
             KycDocumentType.PROOF_OF_ADDRESS: ("proof_of_address.pdf", "application/pdf"),
             KycDocumentType.WEALTH_STATEMENT: ("wealth_statement.pdf", "application/pdf")}
UPLOAD_NAMES = {KycDocumentType.ID_FRONT: ["IMG_{n}.jpg", "id-front.jpg", "scan_{n}.jpg"],
                KycDocumentType.ID_BACK: ["IMG_{n}.jpg", "id-back.jpg", "scan_{n}_2.jpg"],
                KycDocumentType.SELFIE: ["selfie.jpg", "IMG_{n}.jpg", "photo_{n}.jpg"],
                KycDocumentType.PROOF_OF_ADDRESS: ["utility-bill.pdf", "bank_statement_{n}.pdf"],
                KycDocumentType.WEALTH_STATEMENT: ["portfolio-statement.pdf", "wealth_{n}.pdf"]}
POOL_SIZE = 12  # shared files for decided cases when the profile does not render per row


def random_loguniform(rng: random.Random, low: float, high: float) -> float:
    return float(np.exp(rng.uniform(np.log(low), np.log(high))))


def document_number(rng: random.Random, doc_type: IdDocumentType, country: str, dob: date, last: str) -> str:
    def digits(n: int) -> str:
        return "".join(str(rng.randint(0, 9)) for _ in range(n))

    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    if doc_type == IdDocumentType.PASSPORT:
        return digits(9) if country in ("US", "GB", "CA") else rng.choice(letters) + rng.choice(letters) + digits(7)
    if doc_type == IdDocumentType.DRIVER_LICENSE:
        if country == "GB":
            surname = "".join(ch for ch in last.upper() if ch.isalpha())[:5].ljust(5, "9")
            return f"{surname}{dob.strftime('%y')[0]}{dob.month:02d}{dob.day:02d}{dob.strftime('%y')[1]}" \
                   f"{rng.choice(letters)}{rng.choice(letters)}9{rng.choice(letters)}{rng.choice(letters)}"
        return rng.choice(letters) + digits(7)
    formats = {"GH": lambda: f"GHA-{digits(9)}-{digits(1)}", "NG": lambda: digits(11),
               "ZA": lambda: dob.strftime("%y%m%d") + digits(7), "KE": lambda: digits(8),
               "ES": lambda: digits(8) + rng.choice(letters)}
    return formats.get(country, lambda: rng.choice(letters) + digits(8))()
