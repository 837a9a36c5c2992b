"""KYC review benchmark scenarios (issue 4), group ``kyc`` (SQL scenarios, ``dashboard/bench/harness.py``).

- ``kyc_queue_first_page``: the queue's first page, default sort (oldest first), no filter.
- ``kyc_queue_search``: the same page searched by a customer's last name (name, email and document
  number are all matched; the search runs only over the open cases of the partial index).
- ``kyc_case_open``: the main query of opening a case (the verification, its applicant and the
  officers named on it), for the oldest open case.

They only read, so they can run against any database:
``python -m dashboard.cli bench --group kyc --url <database url> [--repeat N]``.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import Select
from sqlmodel import Session

from dashboard.bench.harness import PAGE_SIZE, Scenario, scenario_group
from dashboard.models import KycVerification, User
from dashboard.kyc import queries, rules


def _queue_first_page(session: Session, ctx: dict[str, Any] | None = None) -> Select:
    return queries.queue_query(rules.QueueFilters(), me=None, after=None, limit=PAGE_SIZE + 1)


def _search_term(session: Session) -> dict[str, Any]:
    """A last name of a customer with an open case, from the middle of the queue (read once, untimed)."""
    kv = KycVerification
    name = session.execute(
        sa.select(User.last_name).join(kv, kv.user_id == User.id).where(kv.status.in_(rules.OPEN))
        .order_by(kv.submitted_at, kv.id).offset(100).limit(1)
    ).scalar_one_or_none()
    return {"search": name or "Smith"}


def _queue_search(session: Session, ctx: dict[str, Any]) -> Select:
    filters = rules.QueueFilters(search=ctx["search"])
    return queries.queue_query(filters, me=None, after=None, limit=PAGE_SIZE + 1)


def _oldest_open_case(session: Session) -> dict[str, Any]:
    kv = KycVerification
    case_id = session.execute(
        sa.select(kv.id).where(kv.status.in_(rules.OPEN)).order_by(kv.submitted_at, kv.id).limit(1)
    ).scalar_one()
    return {"case_id": case_id}


def _case_open(session: Session, ctx: dict[str, Any]) -> Select:
    return queries.case_query(ctx["case_id"])


GROUP = scenario_group(
    "kyc",
    "the KYC review queue and a case",
    (
        Scenario("kyc_queue_first_page", "KYC queue, first page, oldest first, no filter", _queue_first_page),
        Scenario("kyc_queue_search", "KYC queue searched by a customer's last name", _queue_search,
                 setup=_search_term),
        Scenario("kyc_case_open", "opening a KYC case: verification + applicant + officers", _case_open,
                 setup=_oldest_open_case),
    ),
)
