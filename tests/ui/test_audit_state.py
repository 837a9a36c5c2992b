"""The audit log page state, driven in plain pytest against a real database (one per test)."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session

import dashboard.dashboard  # noqa: F401  (builds the app and its state tree once per process)
from dashboard.audit import chain as audit
from dashboard.audit import state as audit_state
from dashboard.audit.rules import PAGE_SIZE
from dashboard.audit.state import AuditState
from dashboard.core.actor import Actor
from dashboard.ui import auth_state as app_state
from dashboard.ui import screens as routes
from dashboard.ui.list_state import ListState
from tests.ui.signin import (
    SignedIn,
    call,
    downloads,
    page_state,
    present_cookie,
    redirected_to,
    run_handler,
    sign_in_state,
    staff_user,
    toasted,
)

ADMIN = Actor(user_id=uuid.uuid4(), email="grace@staff.test", role="ADMIN", ip_address="192.0.2.1")
COMPLIANCE = Actor(user_id=uuid.uuid4(), email="cora@staff.test", role="COMPLIANCE")
USER_ID = uuid.UUID("3f2a0000-0000-4000-8000-000000000001")
KYC_ID = uuid.UUID("3f2a0000-0000-4000-8000-000000000002")
TODAY = datetime.now(UTC).date()


@pytest.fixture
def app_db(app_engine: Engine) -> Engine:
    return app_engine


@pytest.fixture
def decisions() -> Iterator[list[tuple[str, str]]]:
    seen: list[tuple[str, str]] = []
    token = app_state.decisions.set(seen)
    yield seen
    app_state.decisions.reset(token)


def write_log(engine: Engine, extra: int = 0) -> None:
    """Four known entries (two about one user, one KYC decision, one system job), then ``extra``
    support replies, all committed in this order."""
    with Session(engine) as session:
        for actor in (ADMIN, COMPLIANCE):
            staff_user(session, actor.role, id=actor.user_id, email=actor.email)
        audit.record(session, actor=ADMIN, action="staff.created", target_type="user", target_id=USER_ID,
                     description="Created staff account tom@staff.test (TREASURER)",
                     after={"email": "tom@staff.test", "role": "TREASURER", "is_active": True})
        audit.record(session, actor=COMPLIANCE, action="kyc.approved", target_type="kyc_verification",
                     target_id=KYC_ID, description="Approved <b>KYC</b> case",
                     before={"status": "PENDING"}, after={"status": "APPROVED", "note": "<script>alert(1)</script>"})
        audit.record(session, actor=ADMIN, action="staff.role_changed", target_type="user", target_id=USER_ID,
                     description="Changed the role of tom@staff.test from TREASURER to MANAGER",
                     before={"role": "TREASURER"}, after={"role": "MANAGER"})
        audit.record(session, actor=None, action="jobs.snapshot", description="Nightly snapshots",
                     details={"portfolios": 12})
        for i in range(extra):
            audit.record(session, actor=COMPLIANCE, action="support.reply", target_type="ticket",
                         target_id=f"T-{i:04d}", description=f"Reply {i}")
        session.commit()


def audit_page_state(engine: Engine, role: str = "ADMIN", query: dict[str, str] | None = None
                     ) -> tuple[AuditState, SignedIn]:
    state = page_state(AuditState)
    officer = sign_in_state(state, engine, role, path=routes.AUDIT, query=query)
    return state, officer


def load(state: AuditState) -> list[Any]:
    return run_handler(state.load())


def filters(**given: str) -> dict[str, str]:
    return {"actor": "", "action": "", "target_type": "", "target_id": "", "date_from": "", "date_to": "", **given}


def actions(state: AuditState) -> list[str]:
    return [e["action"] for e in state.rows]


def logged(engine: Engine, action: str) -> list[dict[str, Any]]:
    with Session(engine) as session:
        rows = session.execute(
            sa.text("SELECT actor_email, details FROM activity_logs WHERE action = :a ORDER BY seq"), {"a": action}
        ).all()
    return [{"actor": r[0], "details": r[1]} for r in rows]


# --- reading ----------------------------------------------------------------------------------------
def test_load_lists_the_log_newest_first_with_the_chain_summary(app_db: Engine) -> None:
    write_log(app_db)
    state, _ = audit_page_state(app_db)

    load(state)

    assert state.error == "" and state.access_error == "" and state.loading is False
    assert actions(state) == ["jobs.snapshot", "staff.role_changed", "kyc.approved", "staff.created"]
    role_change = state.rows[1]
    assert role_change["actor"] == "grace@staff.test" and role_change["actor_role"] == "ADMIN"
    assert role_change["target"] == f"user {USER_ID}"
    assert role_change["changes"] == "role: TREASURER → MANAGER"
    assert role_change["when"].endswith(" UTC")
    assert state.rows[0]["actor"] == "system"
    assert all(isinstance(v, str) for e in state.rows for v in e.values())
    assert "before" not in role_change, "the JSON stays on the server until an entry is opened"
    assert state.chain["rows"] == "4" and state.chain["head_seq"] == state.rows[0]["seq"]
    assert state.page_label == "Page 1 · 4 entries, newest first"
    assert not state.has_next and not state.has_prev


def test_filters_by_actor_action_prefix_target_and_dates(app_db: Engine) -> None:
    write_log(app_db)
    state, _ = audit_page_state(app_db)
    load(state)

    run_handler(state.apply_filters(filters(actor="cora")))
    assert actions(state) == ["kyc.approved"] and state.active_filters == 1

    run_handler(state.apply_filters(filters(action="staff.")))
    assert actions(state) == ["staff.role_changed", "staff.created"]

    run_handler(state.apply_filters(filters(action="staff.created")))
    assert actions(state) == ["staff.created"]

    run_handler(state.apply_filters(filters(target_type="user", target_id=str(USER_ID))))
    assert actions(state) == ["staff.role_changed", "staff.created"]

    run_handler(state.apply_filters(filters(date_from=TODAY.isoformat(), date_to=TODAY.isoformat())))
    assert len(state.rows) == 4

    run_handler(state.apply_filters(filters(date_from=(TODAY + timedelta(days=1)).isoformat())))
    assert state.rows == [] and state.page_label == "No entries match"

    run_handler(state.clear_filters())
    assert len(state.rows) == 4 and state.active_filters == 0 and state.filters == filters()


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (filters(date_from="2026-13-45"), "From date: '2026-13-45' is not a date; use YYYY-MM-DD"),
        (filters(date_to="yesterday"), "To date: 'yesterday' is not a date"),
        (filters(date_from="2026-02-01", date_to="2026-01-01"), "'from' (2026-02-01) is after 'to' (2026-01-01)"),
        (filters(target_id=str(USER_ID)), "Record id: choose the record type (target_type) as well"),
        (filters(target_type="Users; DROP"), "Record type: 'users; drop' is not a record type"),
        (filters(action="DROP TABLE"), "Action: 'drop table' is not an action"),
        (filters(actor={"$ne": ""}), "The form could not be read: expected text."),  # type: ignore[arg-type]
        ("actor=cora", "The form could not be read."),
        (None, "The form could not be read."),
        (filters(actor="x" * 256), "Actor: at most 255 characters"),
    ],
)
def test_a_bad_filter_is_named_and_the_list_stays(app_db: Engine, form: Any, message: str) -> None:
    write_log(app_db)
    state, _ = audit_page_state(app_db)
    load(state)
    shown = list(state.rows)

    run_handler(state.apply_filters(form))

    assert message in state.filter_error
    assert state.rows == shown and state.filters == filters() and state.active_filters == 0


def test_other_form_keys_are_ignored(app_db: Engine) -> None:
    """Reflex also submits inputs by their id; only the known filter names count."""
    write_log(app_db)
    state, _ = audit_page_state(app_db)
    load(state)

    run_handler(state.apply_filters({**filters(actor="cora"), "audit_filter_actor": "x", "is_admin": "yes"}))

    assert state.filter_error == "" and actions(state) == ["kyc.approved"]
    assert state.filters == filters(actor="cora")


def test_keyset_pages_older_and_newer(app_db: Engine) -> None:
    write_log(app_db, extra=2 * PAGE_SIZE + 6)  # 110 entries
    state, _ = audit_page_state(app_db)
    load(state)

    first = [e["seq"] for e in state.rows]
    assert len(first) == PAGE_SIZE and state.has_next and not state.has_prev

    run_handler(state.next_page())
    second = [e["seq"] for e in state.rows]
    assert len(second) == PAGE_SIZE and state.has_prev and state.has_next and state.page_number == 2
    assert int(second[0]) < int(first[-1])

    run_handler(state.next_page())
    third = [e["seq"] for e in state.rows]
    assert len(third) == 10 and not state.has_next and state.page_number == 3
    assert actions(state)[-4:] == ["jobs.snapshot", "staff.role_changed", "kyc.approved", "staff.created"]

    run_handler(state.prev_page())
    assert [e["seq"] for e in state.rows] == second and state.page_number == 2

    run_handler(state.prev_page())
    assert [e["seq"] for e in state.rows] == first and not state.has_prev and state.page_number == 1

    run_handler(state.next_page())
    run_handler(state.first_page())
    assert [e["seq"] for e in state.rows] == first and state.page_number == 1


def test_opening_an_entry_shows_its_data_as_text(app_db: Engine) -> None:
    write_log(app_db)
    state, _ = audit_page_state(app_db)
    load(state)
    kyc = next(e for e in state.rows if e["action"] == "kyc.approved")

    run_handler(state.open_item(kyc["seq"]))

    assert state.detail_open is True
    detail = state.detail
    assert detail["description"] == "Approved <b>KYC</b> case", "kept as text, drawn as text"
    assert json.loads(detail["after"]) == {"status": "APPROVED", "note": "<script>alert(1)</script>"}
    assert detail["before"] == '{\n  "status": "PENDING"\n}', "pretty-printed"
    assert detail["timeline_href"] == f"/audit?target_type=kyc_verification&target_id={KYC_ID}"
    assert all(isinstance(v, str) for v in detail.values())

    run_handler(state.set_detail_open(False))
    assert state.detail_open is False


@pytest.mark.parametrize(
    ("seq", "message"),
    [
        ("999999", "This entry is not on the page any more."),
        ("x" * 50, "This entry is not on the page any more."),
        ({"seq": 1}, "That id is not valid."),
        (None, "That id is not valid."),
        (True, "That id is not valid."),
        (["1"], "That id is not valid."),
    ],
)
def test_opening_an_unknown_entry_says_so(app_db: Engine, seq: Any, message: str) -> None:
    write_log(app_db)
    state, _ = audit_page_state(app_db)
    load(state)

    events = run_handler(state.open_item(seq))

    assert toasted(events, message, "error")
    assert state.detail_open is False and state.detail == {} and state.open_id == ""


def test_a_records_timeline_opens_from_the_url(app_db: Engine) -> None:
    write_log(app_db)
    state, _ = audit_page_state(app_db, query={"target_type": "user", "target_id": str(USER_ID)})

    load(state)

    assert [e["action"] for e in state.timeline] == ["staff.role_changed", "staff.created"]
    assert state.timeline_label == f"user {USER_ID}" and state.timeline_error == ""
    assert len(state.rows) == 4, "the log itself is still shown below"
    run_handler(state.open_item(state.timeline[1]["seq"]))
    assert state.detail["action"] == "staff.created"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"target_type": "user"}, "a timeline needs both the record type and its id"),
        ({"target_id": str(USER_ID)}, "a timeline needs both the record type and its id"),
        ({"target_type": "<img src=x>", "target_id": "1"}, "is not a record type"),
        ({"target_type": "user", "target_id": "x" * 100}, "Record id: at most 64 characters"),
    ],
)
def test_a_bad_timeline_url_gets_a_clear_message(app_db: Engine, query: dict[str, str], message: str) -> None:
    write_log(app_db)
    state, _ = audit_page_state(app_db, query=query)

    load(state)

    assert message in state.timeline_error
    assert state.timeline == [] and len(state.rows) == 4


def test_export_downloads_the_filtered_log_and_is_audited(app_db: Engine) -> None:
    write_log(app_db)
    state, officer = audit_page_state(app_db)
    load(state)
    run_handler(state.apply_filters(filters(action="staff.")))

    events = run_handler(call(state, "export_csv"))

    [(filename, content)] = downloads(events, state)
    assert filename.startswith("audit-log-") and filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8"))))
    assert [r["action"] for r in rows] == ["staff.role_changed", "staff.created"]
    assert state.exporting is False
    [export] = logged(app_db, "audit.export")
    assert export["actor"] == officer.email and export["details"]["filters"] == {"action": "staff."}


def test_verify_chain_reports_an_intact_chain(app_db: Engine) -> None:
    write_log(app_db)
    state, _ = audit_page_state(app_db)
    load(state)

    events = run_handler(call(state, "verify_chain"))

    assert state.verify_ok == "yes" and state.verifying is False
    assert state.verify_message.startswith("Chain intact: 4 entries checked")
    assert toasted(events, "The audit chain is intact.", "success")


def test_verify_chain_names_the_first_altered_entry(app_db: Engine) -> None:
    write_log(app_db)
    with app_db.begin() as conn:  # bypass the append-only triggers, as an attacker with DB access would
        conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        seq = conn.execute(sa.text("SELECT seq FROM activity_logs WHERE action = 'kyc.approved'")).scalar_one()
        conn.execute(sa.text("UPDATE activity_logs SET description = 'Rejected' WHERE seq = :s"), {"s": seq})
    state, _ = audit_page_state(app_db)
    load(state)

    events = run_handler(call(state, "verify_chain"))

    assert state.verify_ok == "no"
    assert f"Chain BROKEN at seq {seq}" in state.verify_message and "altered" in state.verify_message
    assert toasted(events, "The audit chain is broken.", "error")


def test_only_one_verification_runs_at_a_time(app_db: Engine) -> None:
    write_log(app_db)
    state, _ = audit_page_state(app_db)
    load(state)

    assert audit_state._verify_lock.acquire(blocking=False)
    try:
        events = run_handler(call(state, "verify_chain"))
    finally:
        audit_state._verify_lock.release()

    assert toasted(events, "A verification is already running on this server.", "warning")
    assert state.verify_ok == "" and state.verifying is False


# --- who may call what ------------------------------------------------------------------------------
def _decided(name: str) -> str:
    """How the guard names a handler in its decisions (the shared list handlers are ListState's)."""
    return f"{'ListState' if name in vars(ListState) else 'AuditState'}.{name}"


def _every_handler_call() -> dict[str, Callable[[AuditState], Any]]:
    return {
        "load": lambda s: s.load(),
        "apply_filters": lambda s: s.apply_filters(filters(actor="cora")),
        "clear_filters": lambda s: s.clear_filters(),
        "set_filter": lambda s: s.set_filter("action", "kyc.approved"),
        "next_page": lambda s: s.next_page(),
        "prev_page": lambda s: s.prev_page(),
        "first_page": lambda s: s.first_page(),
        "refresh": lambda s: s.refresh(),
        "open_item": lambda s: s.open_item("1"),
        "close_item": lambda s: s.close_item(),
        "set_detail_open": lambda s: s.set_detail_open(False),
        "verify_chain": lambda s: call(s, "verify_chain"),
        "export_csv": lambda s: call(s, "export_csv"),
    }


def test_the_state_offers_exactly_these_handlers_with_these_permissions() -> None:
    public = {name for name in AuditState.event_handlers if not name.startswith("_")}
    assert public == set(_every_handler_call()) | {"setvar"}
    for name in public - {"setvar"}:
        wanted = "audit.export" if name == "export_csv" else "audit.view"
        assert app_state.permission_of(AuditState, getattr(AuditState, name).fn) == wanted, name


def test_compliance_may_read_verify_and_export(app_db: Engine, decisions) -> None:
    write_log(app_db)
    state, _ = audit_page_state(app_db, "COMPLIANCE")

    for name, handler_call in _every_handler_call().items():
        run_handler(handler_call(state))
        assert decisions[-1] == (_decided(name), "allowed"), name
    assert len(logged(app_db, "audit.export")) == 1


@pytest.mark.parametrize("role", ["TREASURER", "MANAGER", "SUPPORT"])
def test_every_handler_is_denied_to_other_roles(app_db: Engine, decisions, role: str) -> None:
    write_log(app_db)
    state, _ = audit_page_state(app_db, role)

    for name, handler_call in _every_handler_call().items():
        events = run_handler(handler_call(state))
        assert decisions[-1] == (_decided(name), "denied"), name
        assert toasted(events, "You do not have permission to do this.", "error"), name
        assert downloads(events) == []

    assert state.rows == [] and state.detail == {} and state.chain == {} and state.verify_message == ""
    assert state.access_error == "You do not have permission to do this."
    assert logged(app_db, "audit.export") == []


def test_without_a_session_every_handler_sends_to_sign_in(app_db: Engine, decisions) -> None:
    write_log(app_db)
    state = page_state(AuditState)
    present_cookie(state, None, path=routes.AUDIT)

    for name, handler_call in _every_handler_call().items():
        events = run_handler(handler_call(state))
        assert decisions[-1] == (_decided(name), "unauthenticated"), name
        assert redirected_to(events) == [f"{routes.LOGIN}?next={routes.AUDIT}"], name
    assert state.rows == [] and logged(app_db, "audit.export") == []


def test_the_chain_card_shows_the_last_checkpoint_and_whether_it_still_matches(app_db: Engine) -> None:
    from dashboard.cli.audit import cmd_verify

    write_log(app_db)
    state, _ = audit_page_state(app_db)
    load(state)
    assert state.chain["checkpoint_state"] == "none" and state.chain["checkpoint_seq"] == "—"

    assert cmd_verify(app_db.url.render_as_string(hide_password=False), out=io.StringIO()) == 0
    load(state)
    assert state.chain["checkpoint_state"] == "matches"
    assert state.chain["checkpoint_seq"] == state.rows[0]["seq"] and state.chain["checkpoint_at"].endswith(" UTC")

    with app_db.begin() as conn:  # someone bypassing the triggers deletes the newest entry
        conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        conn.execute(sa.text("DELETE FROM activity_logs WHERE seq = (SELECT max(seq) FROM activity_logs)"))
    load(state)
    assert state.chain["checkpoint_state"] == "broken"
    assert "Does NOT match the log" in state.chain["checkpoint_note"] and "removed" in state.chain["checkpoint_note"]
    run_handler(call(state, "verify_chain"))
    assert state.verify_ok == "no" and "removed from the end" in state.verify_message


# --- issue 12 ------------------------------------------------------------------------------------------
def test_a_call_with_arguments_that_do_not_fit_is_refused_plainly(app_db: Engine, decisions) -> None:
    """Finding 8: an allowed handler called with an extra argument or an unknown keyword answers "That
    request is not valid." (no TypeError, nothing run)."""
    state, _ = audit_page_state(app_db)
    load(state)
    for args, kwargs in (((False, "extra"), {}), ((), {"junk": 1}), ((1, 2, 3), {"value": 4})):
        events = run_handler(type(state).event_handlers["set_detail_open"].fn(state, *args, **kwargs))
        assert toasted(events, "That request is not valid.", "error")
        assert decisions[-1] == ("AuditState.set_detail_open", "invalid")


def test_the_long_actions_are_background_events() -> None:
    """Finding 7: verification and export do not hold the tab's state lock while they work."""
    assert AuditState.event_handlers["verify_chain"].is_background
    assert AuditState.event_handlers["export_csv"].is_background


def test_the_export_is_fetched_over_http_not_pushed_through_the_websocket(app_db: Engine) -> None:
    write_log(app_db)
    state, _ = audit_page_state(app_db)
    load(state)
    [event] = [e for e in run_handler(call(state, "export_csv")) if "_download" in str(getattr(e, "handler", ""))
               or getattr(getattr(getattr(e, "handler", None), "fn", None), "__qualname__", "") == "_download"]
    assert "/_download/" in str(event.args) and "base64" not in str(event.args)
