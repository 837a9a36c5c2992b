"""KYC: verifications (with resubmissions), their documents and image files, compliance checks.

Each customer follows a *journey* (for example "resubmission, then approved"); the latest
verification decides ``users.kyc_status``. Open cases are recent, so the review queue looks live.
High- and critical-risk approvals went through two different compliance officers (four-eyes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from dashboard.models.enums import (
    CheckResult,
    CheckType,
    DocumentStatus,
    IdDocumentType,
    KycDocumentType,
    KycStatus,
    ReviewableEntity,
    RiskLevel,
    Role,
    VerificationStatus,
)
from dashboard.core.permissions import Perm, has_permission
from dashboard.kyc.rules import DEFAULT_SLA_HOURS, USER_STATUS
from dashboard.seed import clock
from dashboard.seed.clock import DAY_MS, HOUR_MS, MINUTE_MS, NULL_MS
from dashboard.seed.context import Context
from dashboard.seed.kyc_copy import (
    FLAGS,
    INTERNAL_NOTES,
    PROVIDERS,
    REJECTIONS,
    RESUBMISSIONS,
    RISK_ORDER,
    RISK_SCORES,
    UPLOAD_NAMES,
    document_number,
    random_loguniform,
)

OPEN = "OPEN"  # placeholder for PENDING / UNDER_REVIEW / AWAITING_SECOND_REVIEW
V = VerificationStatus
JOURNEYS: dict[str, tuple[str, ...]] = {
    "none": (),
    "approved": (V.APPROVED,),
    "resubmit_approved": (V.RESUBMIT_REQUIRED, V.APPROVED),
    "rejected": (V.REJECTED,),
    "resubmit": (V.RESUBMIT_REQUIRED,),
    "resubmit_open": (V.RESUBMIT_REQUIRED, OPEN),
    "open": (OPEN,),
    "resubmit_rejected": (V.RESUBMIT_REQUIRED, V.REJECTED),
}
JOURNEY_WEIGHTS = {"none": 7, "approved": 63, "resubmit_approved": 8, "rejected": 4, "resubmit": 3,
                   "resubmit_open": 2.5, "open": 11, "resubmit_rejected": 1.5}
APPROVED_JOURNEYS = np.array(["approved", "resubmit_approved"])
OPEN_WEIGHTS = {V.PENDING: 0.45, V.UNDER_REVIEW: 0.3, V.AWAITING_SECOND_REVIEW: 0.25}




def draw_journeys(rng: np.random.Generator, n: int, officer: bool) -> np.ndarray:
    codes = list(JOURNEY_WEIGHTS)
    p = np.array([JOURNEY_WEIGHTS[c] for c in codes], dtype=float)
    journeys = np.array(codes)[rng.choice(len(codes), n, p=p / p.sum())]
    for i, code in enumerate(codes):  # every journey at least once, whatever the size
        if not (journeys == code).any():
            journeys[1 + (i * 7) % (n - 1)] = code
    if officer:
        journeys[0] = "approved"
    return journeys


@dataclass
class KycRows:
    verifications: dict[str, list] = field(default_factory=lambda: {k: [] for k in _VERIFICATION_FIELDS})
    documents: dict[str, list] = field(default_factory=lambda: {k: [] for k in _DOCUMENT_FIELDS})
    checks: dict[str, list] = field(default_factory=lambda: {k: [] for k in _CHECK_FIELDS})
    events: list[tuple] = field(default_factory=list)  # (entity, row index, from, to, ms, actor, reason)


_VERIFICATION_FIELDS = (
    "user", "attempt", "status", "document_type", "document_number", "first_name", "last_name", "dob", "address",
    "country", "x_number", "x_first", "x_last", "x_dob", "x_address", "risk", "claimed_by", "claimed_until", "claimed_since",
    "first_by", "first_at", "rejection_code", "rejection_reason", "internal_note", "reviewed_by", "reviewed_at",
    "submitted", "updated", "expiry", "fault")
_DOCUMENT_FIELDS = ("verification", "user", "type", "status", "reason", "reviewed_by", "reviewed_at", "uploaded",
                    "file_name")
_CHECK_FIELDS = ("user", "verification", "type", "result", "risk", "score", "flags", "details", "checked", "expires",
                 "reference")


class _Planner:
    """Realises each customer's journey as verification, document and compliance rows."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.c = ctx.customers
        self.rng = ctx.streams.py("kyc")
        # Only compliance officers review (``kyc.review``); an administrator reads the queue.
        self.reviewers = [bytes(x) for x in ctx.staff.ids[ctx.staff.with_roles(*_roles_with(Perm.KYC_REVIEW))]]
        self.sla_hours = _sla_hours(ctx)
        self.rows = KycRows()
        self.open_cases = 0

    # --- time helpers (milliseconds) ---
    def after(self, start: int, low: float, high: float) -> int:
        delay = int(random_loguniform(self.rng, low, high))
        room = clock.NOW_MS - MINUTE_MS - start
        return start + (delay if delay < room else max(int(room * self.rng.uniform(0.05, 0.9)), 1))

    def recent(self, not_before: int) -> int:
        """A submission time for an open case, so the queue shows every SLA state today: about 40 %
        well within the review target, 15 % due soon (its last quarter), 45 % overdue (up to 20 days)."""
        sla = self.sla_hours * HOUR_MS
        kind = self.rng.random()
        if kind < 0.4:
            age = self.rng.uniform(5 * MINUTE_MS, 0.6 * sla)
        elif kind < 0.55:
            age = self.rng.uniform(0.78 * sla, 0.95 * sla)
        else:
            age = min(1.1 * sla + self.rng.expovariate(1 / (2.5 * DAY_MS)), 20 * DAY_MS)
        moment = int(clock.NOW_MS - age)
        return moment if moment > not_before else not_before + int((clock.NOW_MS - not_before) * self.rng.uniform(0.1, 0.6))

    def plan(self) -> KycRows:
        for i, code in enumerate(self.c.journey):
            outcomes = JOURNEYS[str(code)]
            if outcomes:
                self.journey(i, outcomes)
        return self.rows

    def journey(self, user: int, outcomes: tuple[str, ...]) -> None:
        created = int(self.c.created_ms[user])
        doc_type = self.document_type(user)
        last_decided = created
        if outcomes[-1] == OPEN:  # work back from a recent submission
            open_at = self.recent(created + HOUR_MS)
            if len(outcomes) == 2:
                first = created + int((open_at - created) * self.rng.uniform(0.1, 0.5))
                decided = first + int((open_at - first) * self.rng.uniform(0.1, 0.7))
                self.verification(user, 1, outcomes[0], doc_type, first, decided)
            self.verification(user, len(outcomes), self.open_status(), doc_type, open_at, None)
            return
        for attempt, outcome in enumerate(outcomes, 1):
            submitted = self.after(last_decided, 10 * MINUTE_MS, 20 * DAY_MS)
            last_decided = self.after(submitted, 30 * MINUTE_MS, 3 * DAY_MS)
            if attempt == 2 and self.rng.random() < 0.3:
                doc_type = self.document_type(user)  # resubmitted with another document
            self.verification(user, attempt, outcome, doc_type, submitted, last_decided)

    def open_status(self) -> VerificationStatus:
        """The first open cases cycle through every open status, so even tiny data sets show all."""
        self.open_cases += 1
        if self.open_cases <= len(OPEN_WEIGHTS):
            return list(OPEN_WEIGHTS)[self.open_cases - 1]
        return self.rng.choices(list(OPEN_WEIGHTS), list(OPEN_WEIGHTS.values()))[0]

    def document_type(self, user: int) -> IdDocumentType:
        country = self.c.country[user]
        if self.rng.random() < 0.35:
            return IdDocumentType.PASSPORT
        if country in ("US", "CA", "GB") and self.rng.random() < 0.7:
            return IdDocumentType.DRIVER_LICENSE
        return IdDocumentType.NATIONAL_ID

    def verification(self, user: int, attempt: int, status: str, doc_type: IdDocumentType, submitted: int,
                     decided: int | None) -> None:
        rng, c = self.rng, self.c
        v = {k: None for k in _VERIFICATION_FIELDS}
        dob = date(1970, 1, 1) + timedelta(days=int(c.dob_days[user]))
        v.update(user=user, attempt=attempt, status=status, document_type=doc_type, first_name=c.first_name[user],
                 last_name=c.last_name[user], dob=dob, address=f"{c.address[user]}, {c.city[user]}",
                 country=c.country[user], submitted=submitted, updated=decided or submitted,
                 document_number=document_number(rng, doc_type, c.country[user], dob, c.last_name[user]),
                 expiry=clock.AS_OF + timedelta(days=rng.randint(200, 3600)))
        reason = self.reason_for(status, doc_type)
        screened = status != V.PENDING or rng.random() < 0.8
        mismatch = self.extracted(v, reason, screened)
        risk = self.risk_for(status, reason, mismatch) if screened else None
        v["risk"] = risk
        index = len(self.rows.verifications["user"])
        self.review(v, index, status, reason, risk, submitted, decided)
        for k in _VERIFICATION_FIELDS:
            self.rows.verifications[k].append(v[k])
        self.documents(index, v, status, reason)
        if screened:
            self.checks(index, v, risk, mismatch)

    def reason_for(self, status: str, doc_type: IdDocumentType) -> tuple | None:
        if status == V.REJECTED:
            return self.rng.choice(REJECTIONS)
        if status == V.RESUBMIT_REQUIRED:
            choices = [r for r in RESUBMISSIONS if not (r[2] == KycDocumentType.ID_BACK and doc_type == IdDocumentType.PASSPORT)]
            return self.rng.choice(choices)
        return None

    def extracted(self, v: dict, reason: tuple | None, screened: bool) -> str | None:
        """Fill what the document reader extracted; sometimes it disagrees with the entered data."""
        if not screened:
            return None
        v.update(x_number=v["document_number"], x_first=v["first_name"], x_last=v["last_name"], x_dob=v["dob"],
                 x_address=v["address"])
        if reason and reason[0] == "NAME_MISMATCH":
            kind = "name"
        elif self.rng.random() < 0.09:
            kind = self.rng.choice(["name", "dob", "document_number", "address"])
        else:
            return None
        if kind == "name":
            first = v["first_name"]
            v["x_first"] = first[:-1] if len(first) > 3 else first + "e"
        elif kind == "dob":
            dob = v["dob"]
            v["x_dob"] = dob.replace(day=dob.month, month=dob.day) if dob.day <= 12 and dob.day != dob.month \
                else dob.replace(year=dob.year - 1)
        elif kind == "document_number":
            number = v["document_number"]
            v["x_number"] = number[:-1] + ("7" if number[-1] != "7" else "1")
        else:
            v["x_address"] = v["address"].split(",")[0]
        return f"{kind}_mismatch"

    def risk_for(self, status: str, reason: tuple | None, mismatch: str | None) -> RiskLevel:
        rng = self.rng
        if status == V.AWAITING_SECOND_REVIEW:
            return rng.choices([RiskLevel.HIGH, RiskLevel.CRITICAL], [3, 1])[0]
        if reason and reason[0] == "SANCTIONS_MATCH":
            return RiskLevel.CRITICAL
        if status == V.REJECTED:
            risk = rng.choices(RISK_ORDER, [1, 3, 4, 2])[0]
        else:
            risk = rng.choices(RISK_ORDER, [64, 26, 8, 2])[0]
        if mismatch and risk == RiskLevel.LOW:
            risk = RiskLevel.MEDIUM
        return risk

    def review(self, v: dict, index: int, status: str, reason: tuple | None, risk: RiskLevel | None,
               submitted: int, decided: int | None) -> None:
        rng, ev = self.rng, self.rows.events
        ev.append((ReviewableEntity.KYC_VERIFICATION, index, None, V.PENDING, submitted, bytes(self.c.ids[v["user"]]), None))
        if status == V.PENDING:
            return
        a, b = rng.sample(self.reviewers, 2) if len(self.reviewers) > 1 else (self.reviewers[0], self.reviewers[0])
        end = decided if decided is not None else clock.NOW_MS - MINUTE_MS
        claimed = submitted + int((end - submitted) * rng.uniform(0.05, 0.5))
        ev.append((ReviewableEntity.KYC_VERIFICATION, index, V.PENDING, V.UNDER_REVIEW, claimed, a, None))
        if status == V.UNDER_REVIEW:
            v.update(claimed_by=a, claimed_until=claimed + 30 * MINUTE_MS, claimed_since=claimed, updated=claimed)
            return
        four_eyes = risk in (RiskLevel.HIGH, RiskLevel.CRITICAL) and status in (V.APPROVED, V.AWAITING_SECOND_REVIEW)
        if four_eyes:
            first_at = claimed + int((end - claimed) * rng.uniform(0.2, 0.8))
            v.update(first_by=a, first_at=first_at, updated=first_at)
            ev.append((ReviewableEntity.KYC_VERIFICATION, index, V.UNDER_REVIEW, V.AWAITING_SECOND_REVIEW, first_at, a, None))
            if status == V.AWAITING_SECOND_REVIEW:
                return
        reviewer = b if four_eyes else a
        previous = V.AWAITING_SECOND_REVIEW if four_eyes else V.UNDER_REVIEW
        v.update(reviewed_by=reviewer, reviewed_at=decided, updated=decided)
        if reason:
            v.update(rejection_code=reason[0], rejection_reason=reason[1])
        if rng.random() < 0.25:
            v["internal_note"] = rng.choice(INTERNAL_NOTES)
        ev.append((ReviewableEntity.KYC_VERIFICATION, index, previous, status, decided, reviewer, reason[0] if reason else None))

    def documents(self, index: int, v: dict, status: str, reason: tuple | None) -> None:
        rng, d = self.rng, self.rows.documents
        kinds = [KycDocumentType.ID_FRONT, KycDocumentType.SELFIE]
        if v["document_type"] != IdDocumentType.PASSPORT:
            kinds.insert(1, KycDocumentType.ID_BACK)
        fault = reason[2] if reason else None
        vip = self.c.platform[v["user"]] == "VIP"
        if rng.random() < (0.6 if vip else 0.25) or fault == KycDocumentType.PROOF_OF_ADDRESS:
            kinds.append(KycDocumentType.PROOF_OF_ADDRESS)
        if rng.random() < (0.3 if vip else 0.05):
            kinds.append(KycDocumentType.WEALTH_STATEMENT)
        decided = status in (V.APPROVED, V.REJECTED, V.RESUBMIT_REQUIRED, V.AWAITING_SECOND_REVIEW)
        reviewer = v["reviewed_by"] or v["first_by"]
        reviewed_at = v["reviewed_at"] or v["first_at"]
        for kind in kinds:
            rejected = kind == fault
            doc_status = DocumentStatus.PENDING if not decided else (DocumentStatus.REJECTED if rejected else DocumentStatus.APPROVED)
            name = rng.choice(UPLOAD_NAMES[kind]).format(n=rng.randint(1000, 9999))
            d["verification"].append(index)
            d["user"].append(v["user"])
            d["type"].append(kind)
            d["status"].append(doc_status)
            d["reason"].append(reason[3] if rejected else None)
            d["reviewed_by"].append(reviewer if decided else None)
            d["reviewed_at"].append(reviewed_at if decided else None)
            d["uploaded"].append(v["submitted"] - rng.randint(1, 15) * MINUTE_MS)
            d["file_name"].append(name)
            if decided:
                self.rows.events.append((ReviewableEntity.KYC_DOCUMENT, len(d["user"]) - 1, DocumentStatus.PENDING,
                                         doc_status, reviewed_at, reviewer, d["reason"][-1]))
        v["fault"] = fault

    def checks(self, index: int, v: dict, risk: RiskLevel, mismatch: str | None) -> None:
        rng = self.rng
        types = [CheckType.KYC, CheckType.AML]
        types += [CheckType.SANCTIONS] if rng.random() < 0.8 or risk == RiskLevel.CRITICAL else []
        types += [CheckType.PEP] if rng.random() < 0.6 else []
        driver = CheckType.KYC if mismatch else rng.choice(types)
        if v["rejection_code"] == "SANCTIONS_MATCH":
            driver = CheckType.SANCTIONS if CheckType.SANCTIONS in types else driver
        checked = v["submitted"] + rng.randint(1, 15) * MINUTE_MS
        for check in types:
            level = risk if check == driver else RISK_ORDER[rng.randint(0, RISK_ORDER.index(risk))]
            if rng.random() < 0.03:  # the provider timed out first; the retry below is the real result
                self.check_row(index, v["user"], check, CheckResult.ERROR, RiskLevel.LOW, 0, ["provider_error"],
                               {"error": "provider timeout"}, checked - MINUTE_MS)
            flags = []
            if check == driver and mismatch:
                flags.append(mismatch)
            if level != RiskLevel.LOW:
                flags.append(rng.choice(FLAGS[check]))
            result = {RiskLevel.LOW: CheckResult.CLEAR, RiskLevel.MEDIUM: rng.choice([CheckResult.CLEAR, CheckResult.CONSIDER]),
                      RiskLevel.HIGH: rng.choice([CheckResult.CONSIDER, CheckResult.MATCH]),
                      RiskLevel.CRITICAL: CheckResult.MATCH}[level]
            details = {"match_strength": round(rng.uniform(0.5, 0.99), 2)} if result == CheckResult.MATCH else None
            low, high = RISK_SCORES[level]
            self.check_row(index, v["user"], check, result, level, rng.randint(low, high), flags, details, checked)

    def check_row(self, verification: int | None, user: int, check: CheckType, result: CheckResult, level: RiskLevel,
                  score: int, flags: list, details: dict | None, checked: int) -> None:
        r = self.rows.checks
        name, prefix = PROVIDERS[check]
        checked = min(checked, clock.NOW_MS - MINUTE_MS)
        r["user"].append(user)
        r["verification"].append(verification)
        r["type"].append(check)
        r["result"].append(result)
        r["risk"].append(level)
        r["score"].append(score)
        r["flags"].append(flags)
        r["details"].append(details)
        r["checked"].append(checked)
        r["expires"].append(checked + 365 * DAY_MS if check in (CheckType.KYC, CheckType.AML) else None)
        r["reference"].append(f"{prefix}_{self.rng.getrandbits(64):016x}")

    def rescreening(self) -> None:
        """Periodic AML re-screening of approved customers (no verification attached)."""
        c = self.c
        for user in np.flatnonzero(c.approved):
            if self.rng.random() < 0.15:
                start = int(c.kyc_approved_ms[user])
                level = self.rng.choices([RiskLevel.LOW, RiskLevel.MEDIUM], [9, 1])[0]
                low, high = RISK_SCORES[level]
                flags = [] if level == RiskLevel.LOW else ["adverse_media"]
                self.check_row(None, int(user), CheckType.AML, CheckResult.CLEAR if level == RiskLevel.LOW else CheckResult.CONSIDER,
                               level, self.rng.randint(low, high), flags, None, self.after(start, DAY_MS, 300 * DAY_MS))


def _roles_with(perm: Perm) -> list[Role]:
    return [role for role in Role if has_permission(role, perm)]


def _sla_hours(ctx: Context) -> int:
    row = ctx.loader.conn.execute("SELECT kyc_sla_hours FROM settings WHERE id = 1").fetchone()
    return int(row[0]) if row else DEFAULT_SLA_HOURS


def plan_kyc(ctx: Context) -> KycRows:
    """Decide every verification and set the customers' kyc_* columns from their latest one."""
    planner = _Planner(ctx)
    rows = planner.plan()
    c = ctx.customers
    n = len(c)
    c.kyc_status = np.full(n, KycStatus.NOT_STARTED.value, dtype=object)
    c.kyc_rejection_reason = [None] * n
    c.kyc_approved_ms = np.full(n, NULL_MS, dtype=np.int64)
    c.kyc_approved_by = np.full(n, b"", dtype="S32")
    c.updated_ms = c.created_ms.copy()
    v = rows.verifications
    for i, user in enumerate(v["user"]):  # attempts are in order, so the last write per user wins
        status = v["status"][i]
        c.kyc_status[user] = USER_STATUS[V(status)].value
        c.kyc_rejection_reason[user] = v["rejection_reason"][i]
        c.kyc_approved_ms[user] = v["reviewed_at"][i] if status == V.APPROVED else NULL_MS
        c.kyc_approved_by[user] = v["reviewed_by"][i] if status == V.APPROVED else b""
        c.updated_ms[user] = max(int(c.updated_ms[user]), int(v["updated"][i]))
    c.kyc_status = c.kyc_status.astype(str)
    planner.rescreening()
    ctx.extras["kyc_rows"] = rows
    return rows
