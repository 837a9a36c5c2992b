"""The generator's calendar and the large profile (issue 14, items 1 and 10; issue 15).

- Without ``--as-of`` the data is as of the day it runs (UTC) and nothing is dated after now; a day in
  the future is refused; ``--as-of`` parses only YYYY-MM-DD.
- A slice of the large profile (its staff, settings and history rules at a small size) follows every
  rule the services enforce (``generated_rules``), and its staff sign in with the printed passwords.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from dashboard.auth.passwords import verify_password
from dashboard.cli.args import iso_day
from dashboard.seed import BENCH_STAFF, PROFILES, calendar_for
from tests.service import generated_rules as rules
from tests.service.test_generator import AS_OF, private_files, rows, scalar, scratch_database, seed


# --- the calendar -------------------------------------------------------------------------------------
def test_default_as_of_is_the_run_day(pg_server_url: str, template_db: str, tmp_path: Path) -> None:
    with scratch_database(pg_server_url, template_db) as url, private_files(tmp_path):
        before = datetime.now(UTC)
        code, out, err = seed(url, "tiny", as_of=None)
        after = datetime.now(UTC)
        assert code == 0, err
        days = {before.date(), after.date()}  # a run across midnight may take either day
        assert any(f"data as of {d.isoformat()}" in out for d in days)
        assert scalar(url, "SELECT max(snapshot_date) FROM portfolio_snapshots") in days
        latest = scalar(url, "SELECT max(greatest(created_at, updated_at)) FROM transactions")
        assert latest <= after and scalar(url, "SELECT max(created_at) FROM status_history") <= after
        assert scalar(url, "SELECT max(created_at) FROM portfolio_snapshots") <= after


def test_calendar_of_a_past_day_ends_at_its_midnight_and_today_at_the_current_minute() -> None:
    wall = datetime(2026, 11, 30, 14, 7, 31, tzinfo=UTC)
    assert calendar_for(None, wall) == (date(2026, 11, 30), datetime(2026, 11, 30, 14, 7, tzinfo=UTC))
    assert calendar_for(date(2026, 11, 20), wall) == (date(2026, 11, 20), datetime(2026, 11, 21, tzinfo=UTC))
    with pytest.raises(ValueError, match="after today"):
        calendar_for(date(2026, 12, 1), wall)


def test_a_future_as_of_is_refused_and_writes_nothing(pg_server_url: str, template_db: str, tmp_path: Path) -> None:
    with scratch_database(pg_server_url, template_db) as url, private_files(tmp_path):
        code, _, err = seed(url, "tiny", as_of=datetime.now(UTC).date() + timedelta(days=2))
        assert code == 2 and "after today" in err
        assert scalar(url, "SELECT count(*) FROM users") == 0


@pytest.mark.parametrize("text", ["2026-02-30", "2026-1-5", "20261120", "yesterday", "2026-11-20T10:00", ""])
def test_as_of_accepts_only_a_real_day(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        iso_day(text)
    assert iso_day("2026-11-20") == date(2026, 11, 20)


# --- a slice of the large profile -------------------------------------------------------------------
@pytest.fixture(scope="module")
def large_slice(pg_server_url: str, template_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    folder = tmp_path_factory.mktemp("large-slice")
    with scratch_database(pg_server_url, template_db) as url:
        with private_files(folder):
            code, out, err = seed(url, "large_slice", as_of=AS_OF)
        assert code == 0, err
        yield {"url": url, "out": out}


def test_large_slice_loads_with_the_large_profiles_staff(large_slice: dict) -> None:
    profile = PROFILES["large_slice"]
    assert profile.staff == PROFILES["large"].staff == BENCH_STAFF
    assert scalar(large_slice["url"], "SELECT count(*) FROM users") == profile.users


def test_large_profile_staff_sign_in_with_their_printed_passwords(large_slice: dict) -> None:
    out = large_slice["out"]
    found = dict(rows(large_slice["url"], "SELECT email, password_hash FROM users WHERE role <> 'CUSTOMER'"))
    assert set(found) == {a.email for a in BENCH_STAFF}
    for account in BENCH_STAFF:
        assert account.email in out and account.password in out and len(account.password) >= 12
        assert verify_password(account.password, found[account.email])
        assert not verify_password(account.password + "x", found[account.email])


@pytest.mark.parametrize("rule", rules.RULES, ids=[r.name for r in rules.RULES])
def test_large_slice_follows_the_rule(large_slice: dict, rule: rules.Rule) -> None:
    assert rules.offending(large_slice["url"], rule) == []


@pytest.mark.parametrize("check", [rules.transition_faults, rules.script_faults], ids=["transitions", "scripts"])
def test_large_slice_histories_and_threads(large_slice: dict, check) -> None:
    assert rules.walk(large_slice["url"], check) == []


def _rule(name_part: str) -> rules.Rule:
    return next(r for r in rules.RULES if name_part in r.name)


BREAKAGES = [  # (what a careless generator change would do, the rule that catches it)
    ("UPDATE transactions SET processed_by = (SELECT id FROM users WHERE role = 'MANAGER' LIMIT 1) "
     "WHERE id = (SELECT id FROM transactions WHERE processed_by IS NOT NULL LIMIT 1)", "transactions.approve"),
    ("DELETE FROM approval WHERE withdrawal_id = (SELECT id FROM withdrawal_request WHERE status = 'PAID' LIMIT 1)",
     "quorum"),
    ("UPDATE transactions SET status = 'AWAITING_SECOND_APPROVAL' WHERE id = (SELECT id FROM transactions "
     "WHERE transaction_type = 'DEPOSIT' AND status = 'PENDING' LIMIT 1)", "maker-checker: only"),
    ("UPDATE wallets SET balance_crypto = balance_crypto + 1 WHERE id = (SELECT id FROM wallets LIMIT 1)", "coin is"),
    ("UPDATE ledger_entry SET simulated = false WHERE simulated", "group balances"),
]


@pytest.mark.parametrize(("breakage", "rule"), BREAKAGES, ids=[b[1] for b in BREAKAGES])
def test_the_rules_catch_data_the_services_could_not_have_produced(large_slice: dict, breakage: str, rule: str) -> None:
    import psycopg

    from dashboard.db import to_libpq_url

    with psycopg.connect(to_libpq_url(large_slice["url"])) as conn:
        assert rules.offending_in(conn, _rule(rule)) == []
        conn.execute("SET session_replication_role = replica")  # the group-balance triggers stay out of it
        assert conn.execute(breakage).rowcount >= 1
        assert rules.offending_in(conn, _rule(rule)) != []
        conn.rollback()


def test_the_script_check_catches_a_message_off_its_subject(large_slice: dict) -> None:
    import psycopg

    from dashboard.db import to_libpq_url

    with psycopg.connect(to_libpq_url(large_slice["url"])) as conn:
        assert rules.script_faults(conn) == []
        conn.execute("UPDATE support_messages SET message = 'Could you send me a new debit card?' "
                     "WHERE id = (SELECT id FROM support_messages ORDER BY created_at LIMIT 1)")
        faults = rules.script_faults(conn)
        conn.rollback()
    assert len(faults) == 1 and "new debit card" in faults[0]
