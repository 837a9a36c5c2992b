"""The command line's one entry point (``python -m dashboard.cli``) and the benchmarks' (``bench``), without
a database: help, the scenario list, and bad arguments refused with status 2 before anything runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard.bench import runner
from dashboard.cli.__main__ import main

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = ("migrate", "db-url", "db-stop", "seed", "snapshot", "bench", "create-admin", "audit")
# one scenario of each group, named here so that a group dropped from the registry is noticed
KNOWN_SCENARIOS = (
    "seed_load", "transactions_pending_first_page", "kyc_queue_first_page", "support_inbox_first_page",
    "tx_deposits_first_page", "svc_queue_counts", "tx_approve_one", "portfolio_overview_all",
    "groups_list_admin_open",
)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    # an unreachable server: any database access would fail loudly instead of passing unnoticed
    env = {**os.environ, "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}
    return subprocess.run([sys.executable, "-m", "dashboard.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture
def no_database(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> str:
        raise AssertionError("the command touched the database")

    monkeypatch.setattr(runner, "resolve_database_url", refuse)
    monkeypatch.setattr("dashboard.cli.audit.resolve_database_url", refuse)


def test_help_lists_every_command() -> None:
    done = _cli("--help")

    assert done.returncode == 0, done.stderr
    for command in COMMANDS:
        assert command in done.stdout


def test_bench_list_names_every_group_and_scenario() -> None:
    done = _cli("bench", "--list")

    assert done.returncode == 0, done.stderr
    listed = {line.split()[0] for line in done.stdout.splitlines() if line.strip()}
    assert set(KNOWN_SCENARIOS) <= listed
    assert {"baseline:", "kyc:", "support:", "transactions:", "portfolios:", "groups:"} <= listed
    for group in runner.GROUPS.values():
        assert set(group.scenarios) <= listed, group.name


def test_a_bad_argument_exits_2_with_a_message() -> None:
    done = _cli("bench", "--repeat", "0")

    assert done.returncode == 2
    assert "--repeat: expected a number from 1 to 100,000, got 0" in done.stderr


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["no-such-command"], "invalid choice"),
        (["seed", "--seed", "0"], "expected a number from 1"),
        (["seed", "--profile", "huge"], "invalid choice"),
        (["bench", "--repeat", "many"], "expected a whole number"),
        (["bench", "--group", "nope"], "invalid choice"),
        (["audit", "fill", "--rows", "0"], "expected a number from 1 to 20,000,000"),
        (["audit"], "required"),
        (["create-admin", "--email", "a@b.co"], "required"),
        (["worker", "--concurrency", "0"], "expected a number from 1 to 64"),
        (["worker", "--concurrency", "lots"], "expected a whole number"),
        (["worker", "--queue", "everything"], "invalid choice"),
    ],
)
def test_the_parser_refuses_bad_arguments(argv: list[str], message: str, no_database, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)

    assert exc.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["bench", "--scenario", "nope"], "unknown scenario(s): nope; see --list"),
        (["bench", "--group", "kyc", "--scenario", "support_inbox_counts"], "not in the chosen group(s)"),
        (["bench", "--scenario", "tx_bulk_approve_100"], "add --writes"),
        (["bench", "--url", "postgresql://db/x", "--writes"], "not with --url"),
        (["bench", "--url", "postgresql://db/x", "--reseed"], "not with --url"),
    ],
)
def test_bench_refuses_impossible_choices_before_touching_a_database(argv: list[str], message: str, no_database,
                                                                       capsys) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_bench_plans_the_default_groups_and_named_scenarios() -> None:
    default = runner.plan(None, None, writes=False)
    assert list(default) == ["baseline", "kyc", "support"]
    assert default["kyc"] == list(runner.GROUPS["kyc"].scenarios)

    named = runner.plan(None, ["kyc_case_open", "groups_list_admin_open", "seed_load"], writes=False)
    assert named == {"kyc": ["kyc_case_open"], "groups": ["groups_list_admin_open"]}

    assert "tx_approve_one" not in runner.plan(["transactions"], None, writes=False)["transactions"]
    assert "tx_approve_one" in runner.plan(["transactions"], None, writes=True)["transactions"]
    assert list(runner.plan(["all"], None, writes=False)) == list(runner.GROUPS)
