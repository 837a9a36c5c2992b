"""The KYC page state, driven in plain pytest against a real database (one per test)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session

import dashboard.dashboard  # noqa: F401  (builds the app and its state tree once per process)
from dashboard import models as m
from dashboard.kyc.state import KycState
from tests import factories
from tests.ui.signin import page_state, present_cookie, run_handler, sign_in_state, toasted

NOW = datetime.now(UTC)


def add_case(engine: Engine, *, hours_old: float = 5, risk: str = "LOW", status: str = "PENDING") -> dict[str, Any]:
    with Session(engine, expire_on_commit=False) as session:
        user = factories.user(session, kyc_status="PENDING")
        row = factories.verification(session, user, status=status, risk_level=risk, country="GB",
                                     submitted_at=NOW - timedelta(hours=hours_old))
        doc = m.KycDocument(user_id=user.id, verification_id=row.id, document_type="ID_FRONT",
                            storage_key=f"kyc/{user.id}/{row.id}/id_front.jpg", file_name="f.jpg", file_size=9,
                            mime_type="image/jpeg")
        session.add(doc)
        session.commit()
        return {"id": str(row.id), "user_id": user.id, "doc": str(doc.id), "email": user.email,
                "number": row.document_number}


def kyc_state(engine: Engine, role: str = "COMPLIANCE", query: dict[str, str] | None = None) -> KycState:
    state = page_state(KycState)
    sign_in_state(state, engine, role, path="/kyc", query=query)
    return state


def snapshot(engine: Engine) -> tuple:
    with Session(engine) as session:
        return tuple(session.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                     for t in (m.ActivityLog, m.OutboxEvent, m.StatusHistory, m.Notification)) + tuple(
            session.execute(sa.select(m.KycVerification.status, m.KycVerification.claimed_by_id)
                            .order_by(m.KycVerification.id)).all())


def case_status(engine: Engine, case_id: str) -> str:
    with Session(engine) as session:
        return session.get(m.KycVerification, uuid.UUID(case_id)).status


def test_load_shows_the_queue_oldest_first_with_counts(app_engine: Engine) -> None:
    old, new = add_case(app_engine, hours_old=40), add_case(app_engine, hours_old=1)
    state = kyc_state(app_engine)
    run_handler(state.load())
    assert [r["id"] for r in state.rows] == [old["id"], new["id"]]
    assert state.rows[0]["sla_state"] == "overdue" and state.overdue == "1"
    assert {c["status"]: c["count"] for c in state.counts}["PENDING"] == "2"
    assert state.access_error == "" and state.open_id == ""


def test_filters_and_search(app_engine: Engine) -> None:
    a, b = add_case(app_engine), add_case(app_engine)
    state = kyc_state(app_engine)
    run_handler(state.load())
    run_handler(state.apply_filters({"search": b["email"], "status": "__all__"}))
    assert [r["id"] for r in state.rows] == [b["id"]] and state.active_filters == 1
    run_handler(state.apply_filters({"search": "", "country": "ZZZ"}))
    assert "Country" in state.filter_error and [r["id"] for r in state.rows] == [b["id"]]
    run_handler(state.apply_filters("junk"))
    assert state.filter_error
    run_handler(state.clear_filters())
    assert {r["id"] for r in state.rows} == {a["id"], b["id"]} and state.filter_error == ""


def test_keyset_pages(app_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    monkeypatch.setattr(KycState, "spec", dataclasses.replace(KycState.spec, page_size=2))
    cases = [add_case(app_engine, hours_old=10 - i) for i in range(5)]
    state = kyc_state(app_engine)
    run_handler(state.load())
    assert [r["id"] for r in state.rows] == [c["id"] for c in cases[:2]] and state.has_next
    run_handler(state.next_page())
    assert [r["id"] for r in state.rows] == [c["id"] for c in cases[2:4]] and state.page_number == 2
    run_handler(state.next_page())
    assert [r["id"] for r in state.rows] == [cases[4]["id"]] and not state.has_next
    run_handler(state.prev_page())
    assert [r["id"] for r in state.rows] == [c["id"] for c in cases[2:4]]
    run_handler(state.first_page())
    assert state.page_number == 1 and [r["id"] for r in state.rows] == [c["id"] for c in cases[:2]]


def test_open_case_claims_it_and_a_url_opens_it_directly(app_engine: Engine) -> None:
    c = add_case(app_engine)
    state = kyc_state(app_engine, query={"case": c["id"]})
    run_handler(state.load())
    assert state.open_id == c["id"] and state.can_decide
    assert state.summary["status"] == "UNDER_REVIEW" and state.summary["mine"] == "yes"
    assert state.documents[0]["url"] == f"/_private/kyc/{c['doc']}"
    other = kyc_state(app_engine)
    run_handler(other.open_item(c["id"]))
    assert other.open_id == c["id"] and not other.can_decide and "Being reviewed by" in other.case_notice
    run_handler(other.ask("approve"))
    run_handler(other.confirm_approve())
    assert "being reviewed by" in other.dialog_error
    assert case_status(app_engine, c["id"]) == "UNDER_REVIEW"


def test_reject_with_a_retry_reason_leaves_the_queue(app_engine: Engine) -> None:
    c = add_case(app_engine)
    state = kyc_state(app_engine)
    run_handler(state.load())
    run_handler(state.open_item(c["id"]))
    run_handler(state.ask("reject"))
    assert state.dialog == "reject"
    run_handler(state.submit_reject({"reason_code": "", "message": "", "internal_note": ""}))
    assert "reason" in state.dialog_error and state.dialog == "reject"
    run_handler(state.submit_reject({"reason_code": "GLARE", "message": "", "internal_note": "note"}))
    assert not state.dialog == "reject" and state.summary["status"] == "RESUBMIT_REQUIRED"
    assert c["id"] not in [r["id"] for r in state.rows]
    with Session(app_engine) as session:
        assert session.get(m.User, c["user_id"]).kyc_status == "RESUBMIT_REQUIRED"


def test_document_decisions_and_approval(app_engine: Engine) -> None:
    c = add_case(app_engine)
    state = kyc_state(app_engine)
    run_handler(state.open_item(c["id"]))
    run_handler(state.ask("doc_reject", c["doc"]))
    assert state.dialog == "doc_reject"
    run_handler(state.submit_document_rejection({"doc_reason": ""}))
    assert state.dialog_error and state.dialog == "doc_reject"
    run_handler(state.dialog_changed(False))
    events = run_handler(state.approve_document(c["doc"]))
    assert toasted(events, "Document approved.") and state.documents[0]["status"] == "APPROVED"
    events = run_handler(state.approve_document(str(uuid.uuid4())))
    assert toasted(events, "That document does not exist.", "error")
    run_handler(state.ask("approve"))
    run_handler(state.confirm_approve())
    assert state.summary["status"] == "APPROVED" and not state.dialog == "approve" and not state.can_decide


def test_four_eyes_in_the_page(app_engine: Engine) -> None:
    c = add_case(app_engine, risk="CRITICAL")
    first = kyc_state(app_engine)
    run_handler(first.open_item(c["id"]))
    run_handler(first.confirm_approve())
    assert first.summary["status"] == "AWAITING_SECOND_REVIEW" and not first.can_decide
    run_handler(first.confirm_approve())  # the same officer again: refused
    assert "different" in first.dialog_error
    second = kyc_state(app_engine)
    run_handler(second.open_item(c["id"]))
    assert second.can_decide
    run_handler(second.confirm_approve())
    assert second.summary["status"] == "APPROVED"


@pytest.mark.parametrize("junk", [{"$ne": None}, ["x"], "../../etc/passwd", -1, None, "x" * 500])
def test_bad_arguments_give_messages_and_write_nothing(app_engine: Engine, junk: Any) -> None:
    c = add_case(app_engine)
    state = kyc_state(app_engine)
    run_handler(state.load())
    before = snapshot(app_engine)
    run_handler(state.open_item(junk))
    run_handler(state.approve_document(junk))
    run_handler(state.ask("doc_reject", junk))
    run_handler(state.submit_reject(junk))
    run_handler(state.submit_document_rejection(junk))
    run_handler(state.apply_filters(junk))
    run_handler(state.dialog_changed(junk))
    assert snapshot(app_engine) == before
    assert state.open_id == "" and not state.dialog == "approve"
    assert c["id"] in [r["id"] for r in state.rows]


HANDLER_CALLS = [
    ("open_item", lambda c: [c["id"]]), ("approve_document", lambda c: [c["doc"]]),
    ("submit_document_rejection", lambda c: [{"doc_reason": "x"}]),
    ("confirm_approve", lambda c: []), ("submit_reject", lambda c: [{"reason_code": "GLARE"}]),
    ("release_case", lambda c: []), ("ask", lambda c: ["approve"]),
    ("load", lambda c: []), ("refresh", lambda c: []), ("apply_filters", lambda c: [{"search": "x"}]), ("set_filter", lambda c: ["search", "x"]), ("next_page", lambda c: []),
    ("prev_page", lambda c: []), ("first_page", lambda c: []), ("clear_filters", lambda c: []),
    ("close_item", lambda c: []), ("dialog_changed", lambda c: [False]),
]


def test_every_handler_is_in_this_list() -> None:
    own = {n for n in KycState.event_handlers if n not in {"setvar", "set_is_hydrated", "hydrate", "hydrate_and_load"}}
    assert own == {n for n, _ in HANDLER_CALLS}


@pytest.mark.parametrize("role", ["TREASURER", "SUPPORT", "MANAGER", "ADMIN"])
def test_a_wrong_role_changes_nothing(app_engine: Engine, role: str) -> None:
    c = add_case(app_engine)
    state = kyc_state(app_engine, role)
    state.open_id = c["id"]  # as if the page had a case open
    before = snapshot(app_engine)
    for name, args in HANDLER_CALLS:
        run_handler(getattr(state, name)(*args(c)))
    assert snapshot(app_engine) == before
    if role != "ADMIN":
        assert state.rows == [] and state.access_error != ""


def test_signed_out_calls_change_nothing(app_engine: Engine) -> None:
    c = add_case(app_engine)
    state = page_state(KycState)
    present_cookie(state, None, path="/kyc")
    before = snapshot(app_engine)
    for name, args in HANDLER_CALLS:
        run_handler(getattr(state, name)(*args(c)))
    assert snapshot(app_engine) == before and state.rows == []
