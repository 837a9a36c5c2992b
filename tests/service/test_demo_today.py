"""The demo loaded as of today is workable today, queue by queue (issue 14, item 1), and follows the
rules the services enforce (item 10).

The demo profile is loaded once, as of the day the test runs, into its own database. Each queue is then
read through its own query as the officer who works it, and the first items of every state are tried
with the real actions in a rolled-back savepoint (``workable``); ``generated_rules`` walks the data
through the services' rules.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session

from dashboard.db import make_engine
from dashboard.groups import queries as group_queries
from dashboard.portfolios import queries as portfolio_queries
from tests.service import generated_rules as rules
from tests.service import workable
from tests.service.test_generator import private_files, scratch_database, seed


@pytest.fixture(scope="module")
def today_demo(pg_server_url: str, template_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    folder = tmp_path_factory.mktemp("demo-today")
    with scratch_database(pg_server_url, template_db) as url:
        with private_files(folder):
            today = datetime.now(UTC).date()
            code, out, err = seed(url, "demo", as_of=today)
        assert code == 0, err
        engine = make_engine(url, pool_size=2, max_overflow=0)
        yield {"url": url, "engine": engine, "out": out, "today": today, "dir": Path(folder)}
        engine.dispose()


@pytest.fixture
def session(today_demo: dict) -> Iterator[Session]:
    with Session(today_demo["engine"]) as s:
        yield s
        s.rollback()


def test_the_data_is_as_of_today(today_demo: dict, session: Session) -> None:
    assert f"data as of {today_demo['today'].isoformat()}" in today_demo["out"]
    manager = workable.staff(session, "MANAGER")[0]
    overview = portfolio_queries.overview(session, actor=manager, range_name="1M")
    assert overview.days[-1] == today_demo["today"] and overview.total[-1] is not None


TREASURY_STATES = [("deposits", "Deposit", "PENDING"), ("deposits", "Withdrawal", "PENDING"),
                   ("deposits", "Withdrawal", "AWAITING_SECOND_APPROVAL"), ("crypto", "Buy", "PENDING"),
                   ("crypto", "Sell", "PENDING"), ("gift_cards", "Gift card", "PENDING")]


@pytest.fixture(scope="module")
def treasury(today_demo: dict) -> Counter:
    with Session(today_demo["engine"]) as s:
        return workable.treasury(s)


@pytest.mark.parametrize("state", TREASURY_STATES, ids=["-".join(s) for s in TREASURY_STATES])
def test_every_treasury_queue_state_has_items_a_treasurer_can_decide(treasury: Counter, state: tuple) -> None:
    assert treasury[state + ("open",)] > 0
    assert treasury[state + ("approvable",)] == treasury[state + ("tried",)] > 0
    assert treasury[state + ("declinable",)] == min(workable.DECLINE_TRY, treasury[state + ("open",)])


def test_treasury_queues_hold_nothing_else(treasury: Counter) -> None:
    assert {key[:3] for key in treasury} <= set(TREASURY_STATES)


@pytest.fixture(scope="module")
def kyc(today_demo: dict) -> tuple[Counter, Counter]:
    with Session(today_demo["engine"]) as s:
        return workable.kyc(s)


@pytest.mark.parametrize("status", ["PENDING", "UNDER_REVIEW", "AWAITING_SECOND_REVIEW"])
def test_every_open_kyc_status_can_be_decided_today(kyc: tuple[Counter, Counter], status: str) -> None:
    _, cases = kyc
    assert cases[(status, "approvable")] == cases[(status, "tried")] > 0
    assert cases[(status, "rejectable")] == min(workable.DECLINE_TRY, cases[(status, "open")])


def test_the_kyc_queue_shows_every_sla_state_not_all_overdue(kyc: tuple[Counter, Counter]) -> None:
    sla, _ = kyc
    assert sla["on_time"] > 0 and sla["due_soon"] > 0 and sla["overdue"] > 0
    assert sla["overdue"] < sum(sla.values())


@pytest.fixture(scope="module")
def support(today_demo: dict) -> tuple[Counter, Counter]:
    with Session(today_demo["engine"]) as s:
        return workable.support(s)


def test_tickets_in_every_status_and_the_active_ones_can_be_answered(support: tuple[Counter, Counter]) -> None:
    counts, active = support
    assert all(counts[s] > 0 for s in ("OPEN", "IN_PROGRESS", "RESOLVED", "CLOSED"))
    for status in ("OPEN", "IN_PROGRESS"):
        assert active[(status, "answerable")] == active[(status, "tried")] > 0
    assert active[("OPEN", "on_time")] > 0 and active[("OPEN", "due_soon")] > 0 and active[("OPEN", "overdue")] > 0


@pytest.fixture(scope="module")
def groups(today_demo: dict) -> Counter:
    with Session(today_demo["engine"]) as s:
        return workable.groups(s)


def test_open_group_requests_can_be_worked_today(groups: Counter) -> None:
    pending, approved = groups[("PENDING", "open")], groups[("APPROVED", "open")]
    assert pending > 0 and approved > 0 and groups["expired"] > 0  # the history tab has expired ones too
    assert groups[("PENDING", "approve")] == groups[("PENDING", "decline")] == pending
    assert groups[("PENDING", "under 6 h left")] > 0  # some close to expiry
    # every approved request can be paid (or, after a failed attempt, retried) or declined
    assert groups[("APPROVED", "pay")] + groups[("APPROVED", "retry")] == groups[("APPROVED", "decline")] == approved
    assert groups[("APPROVED", "pay")] > 0 and groups[("APPROVED", "retry")] > 0


def test_the_demo_officer_has_requests_to_approve_and_to_pay(session: Session) -> None:
    officer = workable.actor_for(session, "officer@demo.local")
    seen: Counter = Counter()
    for row in workable.pages(group_queries.list_requests, session=session, actor=officer, tab="open"):
        acts = group_queries.open_request(session, actor=officer, request_id=row["id"]).actions
        seen[row["status"]] += 1
        seen["approve"] += acts["can_approve"] == "yes"
        seen["pay"] += acts["can_pay"] == "yes" or acts["can_retry"] == "yes"
    assert seen["approve"] >= 2 and seen["pay"] >= 1


# --- the services' rules ----------------------------------------------------------------------------
@pytest.mark.parametrize("rule", rules.RULES, ids=[r.name for r in rules.RULES])
def test_generated_demo_follows_the_rule(today_demo: dict, rule: rules.Rule) -> None:
    assert rules.offending(today_demo["url"], rule) == []


@pytest.mark.parametrize("check", [rules.transition_faults, rules.script_faults], ids=["transitions", "scripts"])
def test_generated_demo_histories_and_threads(today_demo: dict, check) -> None:
    assert rules.walk(today_demo["url"], check) == []
