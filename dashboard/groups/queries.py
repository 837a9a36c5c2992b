"""Group approvals, read: the groups an officer may filter by, the request list and one request.

Officers read their own groups' requests only; ADMIN reads every group, read-only; a staff TREASURER
without a membership sees no group (the screen says so). A request of another group answers "not
found", exactly as a missing id does. Only display strings leave this module.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from dashboard.core.actor import Actor
from dashboard.core.listing import PAGE_SIZE, Page, check_limit, cut_page, optional_cursor
from dashboard.core.permissions import Perm, requires
from dashboard.groups.access import (
    COUNTING_APPROVALS,
    RECORDED_APPROVALS,
    counting_approvals,
    recorded_approvals,
    shown_approvals,
    current_officer,
    is_officer,
    officer_group_ids,
    sees_all,
    visible_request,
)
from dashboard.groups.balances import available_kobo, group_balance
from dashboard.groups.payouts import FAILED, PENDING, SUCCESS
from dashboard.groups.rules import (
    LEDGER_ROWS,
    MAX_PAGE,
    STATUS_LABELS,
    TIMELINE_LABELS,
    WHY_APPROVED_ALREADY,
    WHY_BALANCE,
    WHY_EXPIRED,
    WHY_NOT_OFFICER,
    WHY_LAST_FAILED,
    WHY_PAYOUT_IN_FLIGHT,
    WHY_QUORUM,
    WHY_READ_ONLY,
    WHY_REQUESTER,
    WS,
    aware,
    describe_beneficiary,
    display_status,
    is_expired,
    naira,
    parse_query,
    person,
    time_left,
    utcnow,
    when,
    why_already,
)

_CURSOR = (datetime, uuid.UUID)  # (created_at, id), newest first


@requires(Perm.GROUPS_VIEW)
def visible_groups(session: Session, *, actor: Actor) -> list[dict[str, str]]:
    """The groups the actor may filter by (id, name), by name."""
    if sees_all(actor):
        rows = session.execute(sa.text('SELECT id, name FROM "group" ORDER BY name LIMIT 2000')).all()
    else:
        rows = session.execute(
            sa.text(f'SELECT g.id, g.name FROM "group" g JOIN group_membership m ON m.group_id = g.id '
                    f"WHERE m.user_id = :u AND {current_officer()} ORDER BY g.name"),
            {"u": actor.user_id},
        ).all()
    return [{"id": str(r[0]), "name": r[1]} for r in rows]


@requires(Perm.GROUPS_VIEW)
def list_requests(session: Session, *, actor: Actor, tab: Any = "open", status: Any = "", group: Any = "",
                  after: Any = None, limit: int = PAGE_SIZE) -> Page[dict[str, str]]:
    """One page of the tab's requests, newest first. ``extra["scope"]``: "all" (ADMIN), "own" (an
    officer's groups) or "none" (no group)."""
    query = parse_query(tab, status, group)
    limit = check_limit(limit, MAX_PAGE)
    cursor = optional_cursor(after, _CURSOR)
    now = utcnow()
    where: list[str] = []
    params: dict[str, Any] = {"now": now, "limit": limit + 1}
    scope = "all"
    if not sees_all(actor):
        gids = officer_group_ids(session, actor.user_id)
        if not gids:
            return Page([], None, {"scope": "none"})
        where.append("w.group_id = ANY(:gids)")
        params["gids"] = gids
        scope = "own"
    if query.group_id is not None:
        where.append("w.group_id = :gid")
        params["gid"] = query.group_id
    live = "(w.expires_at IS NULL OR w.expires_at > :now)"
    if query.tab == "open":
        where.append(f"(w.status = 'APPROVED' OR (w.status = 'PENDING' AND {live}))")
    else:
        where.append(f"(w.status IN ('APPROVED', 'DECLINED', 'PAID') OR (w.status = 'PENDING' AND NOT {live}))")
    status_sql = {
        "pending": f"w.status = 'PENDING' AND {live}",
        "expired": f"w.status = 'PENDING' AND NOT {live}",
        "approved": "w.status = 'APPROVED'",
        "declined": "w.status = 'DECLINED'",
        "paid": "w.status = 'PAID'",
    }.get(query.status)
    if status_sql:
        where.append(status_sql)
    if cursor is not None:
        where.append("(w.created_at, w.id) < (:c_at, :c_id)")
        params["c_at"], params["c_id"] = cursor
    sql = f"""
        SELECT w.id, g.name, g.approvals_required, w.amount_kobo, w.beneficiary, w.reason, w.status,
               w.expires_at, w.created_at, u.first_name, u.last_name, u.email,
               ({COUNTING_APPROVALS}) AS approvals, ({RECORDED_APPROVALS}) AS recorded
        FROM withdrawal_request w
        JOIN "group" g ON g.id = w.group_id
        JOIN users u ON u.id = w.requested_by
        WHERE {" AND ".join(where)}
        ORDER BY w.created_at DESC, w.id DESC
        LIMIT :limit
    """
    shown, next_cursor = cut_page(session.execute(sa.text(sql), params).all(), limit,
                                  lambda r: (aware(r.created_at), r.id))
    return Page([_list_row(r, now) for r in shown], next_cursor, {"scope": scope})


def _list_row(r: Any, now: datetime) -> dict[str, str]:
    shown = display_status(r.status, r.expires_at, now)
    return {
        "id": str(r.id), "group": r.name, "amount": naira(r.amount_kobo),
        "beneficiary": describe_beneficiary(r.beneficiary), "reason": (r.reason or "")[:200],
        "requester": person(r.first_name, r.last_name, r.email),
        "approvals": f"{shown_approvals(r.status, r.approvals, r.recorded)} of {r.approvals_required}",
        "status": shown, "status_label": STATUS_LABELS.get(shown, shown),
        "time_left": time_left(r.expires_at, now) if r.status == WS.PENDING else "—",
        "created": when(r.created_at),
    }


# --- one request ------------------------------------------------------------------------------------
@dataclass
class RequestView:
    id: str
    summary: dict[str, str]
    balance: str
    ledger: list[dict[str, str]]
    members: list[dict[str, str]]
    timeline: list[dict[str, str]]
    payouts: list[dict[str, str]]
    recoveries: list[dict[str, str]]
    actions: dict[str, str] = field(default_factory=dict)  # can_* = "yes"/""; why_* = reason when not


@requires(Perm.GROUPS_VIEW)
def open_request(session: Session, *, actor: Actor, request_id: Any) -> RequestView:
    row = visible_request(session, actor, request_id)
    now = utcnow()
    approvals = counting_approvals(session, row.id)
    available = available_kobo(session, row.group_id, excluding=row.id)
    shown = shown_approvals(row.status, approvals, recorded_approvals(session, row.id))
    return RequestView(
        id=str(row.id), summary=_summary(session, row, shown, now),
        balance=naira(group_balance(session, row.group_id)), ledger=_ledger(session, row),
        members=_members(session, row.group_id), timeline=_timeline(session, row), payouts=_payouts(session, row.id),
        recoveries=_recoveries(session, row.id), actions=_actions(session, actor, row, approvals, available, now),
    )


def _summary(session: Session, row: Any, approvals: int, now: datetime) -> dict[str, str]:
    shown = display_status(row.status, row.expires_at, now)
    people = {r.id: r for r in session.execute(
        sa.text("SELECT id, first_name, last_name, email FROM users WHERE id = ANY(:ids)"),
        {"ids": [i for i in (row.requested_by, row.declined_by) if i]}).all()}
    req = people.get(row.requested_by)
    dec = people.get(row.declined_by) if row.declined_by else None
    b = row.beneficiary if isinstance(row.beneficiary, Mapping) else {}
    return {
        "id": str(row.id), "group": row.group_name, "group_id": str(row.group_id),
        "amount": naira(row.amount_kobo), "reason": row.reason or "",
        "beneficiary": describe_beneficiary(b),
        "beneficiary_name": str(b.get("account_name") or b.get("name") or "")[:120],
        "beneficiary_bank": str(b.get("bank_name") or b.get("bank") or "")[:120],
        "beneficiary_account": str(b.get("account_number") or "")[:34],
        "requester": person(req.first_name, req.last_name, req.email) if req else "",
        "status": shown, "status_label": STATUS_LABELS.get(shown, shown),
        "status_code": row.status,  # the stored status: what a decision on this view expects
        "approvals": f"{approvals} of {row.approvals_required}",
        "created": when(row.created_at), "expires": when(row.expires_at),
        "time_left": time_left(row.expires_at, now) if row.status == WS.PENDING else "—",
        "approved_at": when(row.approved_at), "executed_at": when(row.executed_at),
        "declined_by": person(dec.first_name, dec.last_name, dec.email) if dec else "",
        "decline_reason": row.decline_reason or "",
    }


def _ledger(session: Session, row: Any) -> list[dict[str, str]]:
    return [
        {"id": str(r.id), "when": when(r.created_at), "type": r.type, "amount": naira(r.amount_kobo),
         "reference": r.reference, "source": r.source or "",
         "this_request": "yes" if r.withdrawal_id == row.id else ""}
        for r in session.execute(
            sa.text("SELECT id, created_at, type, amount_kobo, reference, source, withdrawal_id FROM ledger_entry "
                    "WHERE group_id = :g ORDER BY created_at DESC, id DESC LIMIT :n"),
            {"g": row.group_id, "n": LEDGER_ROWS}).all()
    ]


def _members(session: Session, group_id: Any) -> list[dict[str, str]]:
    return [
        {"name": person(r.first_name, r.last_name, r.email), "role": r.role_in_group.title(),
         "since": when(r.joined_at)[:10]}
        for r in session.execute(
            sa.text("SELECT u.first_name, u.last_name, u.email, m.role_in_group, m.joined_at FROM group_membership m "
                    "JOIN users u ON u.id = m.user_id WHERE m.group_id = :g AND m.removed_at IS NULL "
                    "ORDER BY CASE m.role_in_group WHEN 'OWNER' THEN 0 WHEN 'TREASURER' THEN 1 ELSE 2 END, "
                    "u.last_name, u.first_name LIMIT 100"),
            {"g": group_id}).all()
    ]


def _timeline(session: Session, row: Any) -> list[dict[str, str]]:
    """Approvals (marked when their author no longer counts) and status changes, oldest first."""
    timeline: list[tuple[datetime, dict[str, str]]] = []
    for r in session.execute(
        sa.text(f"SELECT a.created_at, u.first_name, u.last_name, u.email, EXISTS (SELECT 1 FROM group_membership m "
                f"WHERE m.group_id = :g AND m.user_id = a.approver_user_id AND {current_officer()}) AS counts "
                "FROM approval a JOIN users u ON u.id = a.approver_user_id WHERE a.withdrawal_id = :w "
                "ORDER BY a.created_at"),
        {"g": row.group_id, "w": row.id}).all():
        timeline.append((r.created_at, {
            "when": when(r.created_at), "what": "Approval", "who": person(r.first_name, r.last_name, r.email),
            "note": "" if r.counts else "No longer counts: no longer an officer of the group"}))
    for r in session.execute(
        sa.text("SELECT h.created_at, h.from_status, h.to_status, h.reason, u.first_name, u.last_name, u.email "
                "FROM status_history h LEFT JOIN users u ON u.id = h.actor_id "
                "WHERE h.entity_type = 'WITHDRAWAL_REQUEST' AND h.entity_id = :w ORDER BY h.created_at LIMIT 50"),
        {"w": row.id}).all():
        timeline.append((r.created_at, {
            "when": when(r.created_at), "what": TIMELINE_LABELS.get(r.to_status, r.to_status) if r.from_status
            else "Requested", "who": person(r.first_name, r.last_name, r.email), "note": (r.reason or "")[:200]}))
    timeline.sort(key=lambda t: aware(t[0]))
    return [t[1] for t in timeline]


def _payouts(session: Session, request_id: Any) -> list[dict[str, str]]:
    return [
        {"id": str(r.id), "provider": r.provider, "status": r.status, "amount": naira(r.amount_kobo),
         "attempts": str(r.attempts), "reference": r.provider_reference or "", "created": when(r.created_at),
         "updated": when(r.updated_at)}
        for r in session.execute(sa.text("SELECT * FROM payout WHERE withdrawal_id = :w"), {"w": request_id}).all()
    ]


def _recoveries(session: Session, request_id: Any) -> list[dict[str, str]]:
    return [
        {"when": when(r.created_at), "error": (r.error_message or "")[:300], "resolved": when(r.resolved_at) or "Open"}
        for r in session.execute(sa.text("SELECT created_at, error_message, resolved_at FROM payout_recovery "
                                         "WHERE withdrawal_id = :w ORDER BY created_at DESC, "
                                         "(attempted_payload->>'attempt')::int DESC NULLS LAST LIMIT 20"),
                                 {"w": request_id}).all()
    ]


def _actions(session: Session, actor: Actor, row: Any, approvals: int, balance: int, now: datetime) -> dict[str, str]:
    """Which buttons the actor may use on this request, and why not (the actions check the same)."""
    acts = {"can_approve": "", "why_approve": "", "can_decline": "", "why_decline": "", "can_pay": "",
            "why_pay": "", "can_retry": "", "retry_attempt": ""}
    if sees_all(actor) or not actor.can(Perm.GROUPS_APPROVE):
        acts["why_approve"] = acts["why_decline"] = acts["why_pay"] = WHY_READ_ONLY
        return acts
    if not is_officer(session, actor.user_id, row.group_id):
        acts["why_approve"] = acts["why_decline"] = acts["why_pay"] = WHY_NOT_OFFICER
        return acts
    expired = is_expired(row.expires_at, now)
    mine = session.execute(sa.text("SELECT 1 FROM approval WHERE withdrawal_id = :w AND approver_user_id = :u"),
                           {"w": row.id, "u": actor.user_id}).first() is not None
    last = session.execute(sa.text("SELECT status, attempts FROM payout WHERE withdrawal_id = :w"),
                           {"w": row.id}).first()
    payout = last.status if last else None
    # approve
    if row.status != WS.PENDING:
        acts["why_approve"] = why_already(row.status)
    elif row.requested_by == actor.user_id:
        acts["why_approve"] = WHY_REQUESTER
    elif mine:
        acts["why_approve"] = WHY_APPROVED_ALREADY
    elif expired:
        acts["why_approve"] = WHY_EXPIRED
    else:
        acts["can_approve"] = "yes"
    # decline
    if row.status not in (WS.PENDING, WS.APPROVED):
        acts["why_decline"] = why_already(row.status)
    elif payout in (PENDING, SUCCESS):
        acts["why_decline"] = "A payout is in progress for this request."
    else:
        acts["can_decline"] = "yes"
    # pay
    required = int(row.approvals_required)
    if row.status == WS.PAID:
        acts["why_pay"] = "This request has been paid."
    elif row.status == WS.DECLINED:
        acts["why_pay"] = "This request was declined."
    elif row.status != WS.APPROVED or approvals < required:
        acts["why_pay"] = f"{WHY_QUORUM}: {approvals} of {required} approvals."
    elif expired:
        acts["why_pay"] = WHY_EXPIRED
    elif payout == PENDING:
        acts["why_pay"] = WHY_PAYOUT_IN_FLIGHT
    elif balance < int(row.amount_kobo):
        acts["why_pay"] = f"{WHY_BALANCE}: the group has {naira(balance)} available."
    elif payout == FAILED:  # a new provider call needs the explicit retry, naming the failed attempt
        acts["why_pay"], acts["can_retry"], acts["retry_attempt"] = WHY_LAST_FAILED, "yes", str(last.attempts)
    else:
        acts["can_pay"] = "yes"
    return acts
