"""A group's balance counts only settled, real credits (issue 14, item 12).

Seed 004 marks demo credits ``simulated`` and each credit's ``rule_status`` (``VALID``: settled). The
balance the database keeps (``group_balances``, triggers) and the one ``rebuild_group_balances`` computes
are settled non-simulated credits minus every debit; a payout is judged against that balance; and the
migration that introduced the rule recomputes existing balances (or stops, naming the groups, when a
group already paid out more than it really received).
"""

from __future__ import annotations

import uuid

import psycopg
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlmodel import Session

from dashboard import models as m
from dashboard.core.actor import Actor
from dashboard.core.errors import Conflict
from dashboard.core.permissions import GROUP_OFFICER
from dashboard.db import make_engine, to_libpq_url
from dashboard.groups import actions, balances
from dashboard.groups.payouts import SANDBOX
from tests import factories as f
from tests.conftest import ROOT, create_database, drop_database


def _ledger(session: Session, g: dict, kind: str, kobo: int, **kw) -> m.LedgerEntry:
    row = m.LedgerEntry(group_id=g["group"].id, account_id=g["account"].id, type=kind, amount_kobo=kobo,
                        source=kw.pop("source", "provider_sandbox"), reference=f"L-{uuid.uuid4().hex}", **kw)
    session.add(row)
    session.flush()
    return row


def _group(session: Session) -> dict:
    people = [f.user(session) for _ in range(3)]
    grp = f.group(session, people[0], approvals_required=2, approvals_cap=3)
    for i, p in enumerate(people):
        f.membership(session, grp, p, role="OWNER" if i == 0 else "TREASURER")
    return {"group": grp, "account": f.account(session, grp), "officers": people,
            "actors": [Actor(user_id=p.id, email=p.email, role=GROUP_OFFICER) for p in people]}


def _balance(session: Session, g: dict) -> int:
    return balances.group_balance(session, g["group"].id)


def test_simulated_and_unsettled_credits_do_not_count(db: Session) -> None:
    g = _group(db)
    _ledger(db, g, "CREDIT", 500_000)
    _ledger(db, g, "CREDIT", 300_000, simulated=True, source="demo")
    _ledger(db, g, "CREDIT", 200_000, rule_status="PENDING")
    assert _balance(db, g) == 500_000
    wr = f.withdrawal(db, g["group"], g["officers"][0], amount_kobo=100_000)
    _ledger(db, g, "DEBIT", 100_000, withdrawal_id=wr.id, source="payout")
    assert _balance(db, g) == 400_000


def test_a_credit_counts_once_it_settles_and_stops_counting_when_marked_simulated(db: Session) -> None:
    g = _group(db)
    held = _ledger(db, g, "CREDIT", 200_000, rule_status="PENDING")
    real = _ledger(db, g, "CREDIT", 50_000)
    assert _balance(db, g) == 50_000
    db.execute(sa.text("UPDATE ledger_entry SET rule_status = 'VALID' WHERE id = :id"), {"id": held.id})
    assert _balance(db, g) == 250_000
    db.execute(sa.text("UPDATE ledger_entry SET simulated = true WHERE id = :id"), {"id": real.id})
    assert _balance(db, g) == 200_000
    db.execute(sa.text("DELETE FROM ledger_entry WHERE id = :id"), {"id": real.id})  # simulated: nothing to undo
    assert _balance(db, g) == 200_000


def test_rebuild_uses_the_same_rule_as_the_triggers(db: Session) -> None:
    g = _group(db)
    _ledger(db, g, "CREDIT", 700_000)
    _ledger(db, g, "CREDIT", 90_000, simulated=True, source="demo")
    _ledger(db, g, "CREDIT", 10_000, rule_status="FLAGGED")
    kept = _balance(db, g)
    db.execute(sa.text("UPDATE group_balances SET balance_kobo = 1 WHERE group_id = :g"), {"g": g["group"].id})
    balances.rebuild_group_balances(db)
    assert _balance(db, g) == kept == 700_000


def test_a_payout_covered_only_by_simulated_credits_is_refused(db: Session) -> None:
    SANDBOX.reset()
    g = _group(db)
    _ledger(db, g, "CREDIT", 100_000)
    _ledger(db, g, "CREDIT", 900_000, simulated=True, source="demo")
    wr = f.withdrawal(db, g["group"], g["officers"][0], amount_kobo=400_000)
    for actor in g["actors"][1:3]:
        actions.approve(db, actor=actor, request_id=str(wr.id))
    with pytest.raises(Conflict, match="Insufficient balance"):
        actions.execute_payout(db, actor=g["actors"][1], request_id=str(wr.id))
    assert db.execute(sa.text("SELECT count(*) FROM ledger_entry WHERE type = 'DEBIT'")).scalar() == 0


# --- the migration ---------------------------------------------------------------------------------
BEFORE = "9dea6b3983b0"  # the revision before group balances counted settled, real credits only


@pytest.fixture
def old_schema_url(pg_server_url: str):
    name = f"dash_bal_{uuid.uuid4().hex[:10]}"
    url = create_database(pg_server_url, name)
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["url"] = url
    command.upgrade(cfg, BEFORE)
    yield url, cfg
    drop_database(pg_server_url, name)


def _old_ledger(url: str, rows: list[tuple[str, int, bool]]) -> str:
    """A group with (type, kobo, simulated) ledger rows written under the old rule; returns its id."""
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        with Session(engine) as session:
            g = _group(session)
            wr = f.withdrawal(session, g["group"], g["officers"][0], amount_kobo=1)
            for kind, kobo, simulated in rows:
                _ledger(session, g, kind, kobo, simulated=simulated, withdrawal_id=wr.id if kind == "DEBIT" else None)
            session.commit()
            return str(g["group"].id)
    finally:
        engine.dispose()


def _stored_balance(url: str, group_id: str) -> int:
    with psycopg.connect(to_libpq_url(url)) as conn:
        return conn.execute("SELECT balance_kobo FROM group_balances WHERE group_id = %s", (group_id,)).fetchone()[0]


def test_the_migration_recomputes_existing_balances(old_schema_url) -> None:
    url, cfg = old_schema_url
    grp = _old_ledger(url, [("CREDIT", 600, False), ("CREDIT", 400, True), ("DEBIT", 100, False)])
    assert _stored_balance(url, grp) == 900  # the old rule counted the simulated credit
    command.upgrade(cfg, "head")
    assert _stored_balance(url, grp) == 500
    command.downgrade(cfg, BEFORE)
    assert _stored_balance(url, grp) == 900


def test_the_migration_stops_when_a_group_paid_out_simulated_money(old_schema_url) -> None:
    url, cfg = old_schema_url
    grp = _old_ledger(url, [("CREDIT", 100, False), ("CREDIT", 900, True), ("DEBIT", 500, False)])
    with pytest.raises(RuntimeError, match=grp):
        command.upgrade(cfg, "head")
    assert _stored_balance(url, grp) == 500  # nothing changed
