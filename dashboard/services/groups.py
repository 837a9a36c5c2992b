"""Group withdrawal approvals (issue 8): N-of-M approvals and exactly-once payouts (seed 004).

Who sees what
- A *group officer* is anyone (customer or staff) with a **current** OWNER or TREASURER membership of
  the group (``removed_at IS NULL``). Officers see and act on the requests of their own groups only.
- ADMIN sees every group, read-only (``Perm.GROUPS_VIEW`` without ``GROUPS_APPROVE``).
- The staff TREASURER role holds both permissions, but the approval rules are the groups' own: a
  staff treasurer **without a membership** sees no group and can approve nothing (the screen says
  so). Membership is checked against the target request's group on every read and write, so
  guessing an id of another group's request gives "not found", exactly as a missing id does.

Rules (service, backed by the database)
- Requester cannot approve (service + trigger ``approval_not_by_requester``); one approval per officer
  (``uq_approval_withdrawal_id_approver``); only current officers count at the quorum check (an
  approval whose author was removed since no longer counts); expired requests cannot be approved.
- A decline by any officer, with a reason, ends the request (PENDING, or APPROVED with no payout
  in flight or done).
- Approvals reaching ``approvals_required`` make the request APPROVED.
- Every change locks the request row (``SELECT ... FOR UPDATE``), so concurrent clicks are applied
  one by one and each sees the previous one's result.

Payout design: **DEBIT only on success.** ``execute_payout`` locks the request and the group's
balance row, re-checks quorum, expiry and the *available* balance (balance minus payouts still in
flight), upserts the one ``payout`` row (``uq_payout_withdrawal_id``) and calls the provider with a
reference that is stable per attempt. On SUCCESS, in the same transaction: the ledger DEBIT
(reference ``PAYOUT-<withdrawal id>``; the partial unique index allows one DEBIT per withdrawal), the
payout SUCCESS and the request PAID. On FAILED: the payout FAILED, a ``payout_recovery`` row, the
request stays APPROVED; a retry reuses the same payout row (``attempts + 1``), and as no debit was
written nothing is reversed. On PENDING the provider confirms later through ``webhook_event`` rows,
applied idempotently by ``process_webhooks``.

Every change writes the audit entry and the outbox event in the same transaction, and a
status-history row whenever a status changes (an approval that does not reach the quorum changes no
status: it is audited and emitted).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from dashboard.models.enums import ReviewableEntity, WithdrawalStatus
from dashboard.core.permissions import Perm
from dashboard.audit import chain as audit
from dashboard.services import outbox
from dashboard.core.actor import Actor
from dashboard.core.errors import Conflict, InvalidInput, NotAllowed, NotAuthenticated, NotFound
from dashboard.services.history import record_status_change
from dashboard.services.payouts import (
    FAILED,
    PENDING,
    SUCCESS,
    PayoutProvider,
    ProviderResult,
    default_provider,
)

PAGE_SIZE = 50
MAX_PAGE = 100
MAX_REASON = 500
MIN_REASON = 3
LEDGER_ROWS = 10
TABS = ("open", "history")
STATUS_FILTERS = ("", "pending", "approved", "declined", "paid", "expired")
OFFICER_ROLES = ("OWNER", "TREASURER")
NOT_FOUND = "That withdrawal request does not exist or is not in one of your groups."
WS = WithdrawalStatus

# Why a button is disabled (shown next to it).
WHY_REQUESTER = "You requested this: another officer must approve it."
WHY_APPROVED_ALREADY = "You already approved this request."
WHY_EXPIRED = "This request has expired."
WHY_QUORUM = "Quorum not met"
WHY_BALANCE = "Insufficient balance"
WHY_READ_ONLY = "Read-only: administrators see every group but do not act on requests."
WHY_NOT_OFFICER = "Only a current owner or treasurer of this group can act on it."


def utcnow() -> datetime:
    """The service's clock (tests replace it)."""
    return datetime.now(UTC)


# --- formatting -------------------------------------------------------------------------------
def naira(kobo: int | None) -> str:
    """Integer kobo as naira text: 1234567 -> "₦12,345.67" (never a float)."""
    if kobo is None:
        return ""
    k = int(kobo)
    sign = "-" if k < 0 else ""
    k = abs(k)
    return f"{sign}₦{k // 100:,}.{k % 100:02d}"


def time_left(expires_at: datetime | None, now: datetime) -> str:
    if expires_at is None:
        return "No expiry"
    if expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=UTC)
    seconds = int((expires_at - now).total_seconds())
    if seconds <= 0:
        return "Expired"
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d {hours}h left"
    if hours:
        return f"{hours}h {minutes}m left"
    return f"{max(minutes, 1)}m left"


def _when(value: datetime | None) -> str:
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def describe_beneficiary(b: Any) -> str:
    if not isinstance(b, Mapping):
        return ""
    name = str(b.get("account_name") or b.get("name") or "").strip()
    bank = str(b.get("bank_name") or b.get("bank") or "").strip()
    number = str(b.get("account_number") or "")
    masked = f"•••{number[-4:]}" if len(number) >= 4 else number
    return " · ".join(p for p in (name, bank, masked) if p)[:200]


def _person(first: str | None, last: str | None, email: str | None = None) -> str:
    name = f"{first or ''} {last or ''}".strip()
    return name or (email or "")


def _display_status(status: str, expires_at: datetime | None, now: datetime) -> str:
    if status == WS.PENDING and expires_at is not None and _aware(expires_at) <= now:
        return "EXPIRED"
    return status


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


TIMELINE_LABELS = {"APPROVED": "Quorum reached: approved", "DECLINED": "Declined", "PAID": "Paid out",
                   "PENDING": "Back to pending"}
STATUS_LABELS = {"PENDING": "Pending", "APPROVED": "Approved", "DECLINED": "Declined", "PAID": "Paid",
                 "EXPIRED": "Expired"}


# --- parsing ------------------------------------------------------------------------------------
def parse_id(value: Any, what: str = "request") -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str) or not 1 <= len(value.strip()) <= 64:
        raise InvalidInput(f"That {what} id is not valid.")
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        raise InvalidInput(f"That {what} id is not valid.") from None


def parse_reason(value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidInput("Give a reason for the decline.")
    reason = " ".join(value.replace("\x00", "").split())
    if len(reason) < MIN_REASON:
        raise InvalidInput(f"Give a reason for the decline (at least {MIN_REASON} characters).")
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"The reason must have at most {MAX_REASON} characters.")
    return reason


@dataclass(frozen=True)
class ListQuery:
    tab: str = "open"
    status: str = ""
    group_id: uuid.UUID | None = None


def parse_query(tab: Any = "open", status: Any = "", group_id: Any = "") -> ListQuery:
    if tab not in TABS:
        raise InvalidInput("Choose the open requests or the history.")
    if status is None:
        status = ""
    if status not in STATUS_FILTERS:
        raise InvalidInput("That status filter is not valid.")
    if tab == "open" and status not in ("", "pending", "approved"):
        raise InvalidInput("Open requests are pending or approved; use the history for the others.")
    if tab == "history" and status == "pending":
        raise InvalidInput("Pending requests are on the open tab.")
    gid = None
    if group_id not in (None, ""):
        gid = parse_id(group_id, "group")
    return ListQuery(tab=tab, status=status, group_id=gid)


def _cursor(value: Any) -> tuple[datetime, uuid.UUID] | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > 100 or "|" not in value:
        raise InvalidInput("That page position is not valid; start again from the first page.")
    at, _, ident = value.partition("|")
    try:
        return datetime.fromisoformat(at), uuid.UUID(ident)
    except ValueError:
        raise InvalidInput("That page position is not valid; start again from the first page.") from None


# --- who may see and act ------------------------------------------------------------------------
def _require(actor: Actor | None, perm: Perm) -> Actor:
    if actor is None or actor.user_id is None:
        raise NotAuthenticated("Please sign in.")
    if not actor.can(perm):
        raise NotAllowed("You do not have permission to do this.")
    return actor


def _sees_all(actor: Actor) -> bool:
    return actor.role == "ADMIN"


def officer_group_ids(session: Session, user_id: uuid.UUID) -> list[uuid.UUID]:
    rows = session.execute(
        sa.text("SELECT group_id FROM group_membership WHERE user_id = :u AND removed_at IS NULL "
                "AND role_in_group IN ('OWNER', 'TREASURER')"),
        {"u": user_id},
    ).scalars()
    return list(rows)


def _is_officer(session: Session, user_id: uuid.UUID, group_id: uuid.UUID, *, lock: bool = False) -> bool:
    sql = ("SELECT 1 FROM group_membership WHERE user_id = :u AND group_id = :g AND removed_at IS NULL "
           "AND role_in_group IN ('OWNER', 'TREASURER')" + (" FOR SHARE" if lock else ""))
    return session.execute(sa.text(sql), {"u": user_id, "g": group_id}).first() is not None


def visible_groups(session: Session, *, actor: Actor) -> list[dict[str, str]]:
    """The groups the actor may filter by (id, name), by name."""
    actor = _require(actor, Perm.GROUPS_VIEW)
    if _sees_all(actor):
        rows = session.execute(sa.text('SELECT id, name FROM "group" ORDER BY name LIMIT 2000')).all()
    else:
        rows = session.execute(
            sa.text('SELECT g.id, g.name FROM "group" g JOIN group_membership m ON m.group_id = g.id '
                    "WHERE m.user_id = :u AND m.removed_at IS NULL AND m.role_in_group IN ('OWNER', 'TREASURER') "
                    "ORDER BY g.name"),
            {"u": actor.user_id},
        ).all()
    return [{"id": str(r[0]), "name": r[1]} for r in rows]


# Approvals that count: by a current OWNER/TREASURER of the request's group.
_COUNTING = """
SELECT count(*) FROM approval a
JOIN group_membership m ON m.group_id = {w}.group_id AND m.user_id = a.approver_user_id
 AND m.removed_at IS NULL AND m.role_in_group IN ('OWNER', 'TREASURER')
WHERE a.withdrawal_id = {w}.id
"""


# --- the list -----------------------------------------------------------------------------------
@dataclass
class RequestPage:
    rows: list[dict[str, str]]
    next_cursor: str | None
    scope: str  # "all" (admin), "own" (officer) or "none" (no group)


def list_requests(session: Session, *, actor: Actor, query: ListQuery | None = None, after: Any = None,
                  limit: int = PAGE_SIZE) -> RequestPage:
    actor = _require(actor, Perm.GROUPS_VIEW)
    query = query or ListQuery()
    if not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise InvalidInput("That page size is not valid.")
    cursor = _cursor(after)
    now = utcnow()
    where: list[str] = []
    params: dict[str, Any] = {"now": now, "limit": limit + 1}
    scope = "all"
    if not _sees_all(actor):
        gids = officer_group_ids(session, actor.user_id)
        if not gids:
            return RequestPage([], None, "none")
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
               ({_COUNTING.format(w="w")}) AS approvals
        FROM withdrawal_request w
        JOIN "group" g ON g.id = w.group_id
        JOIN users u ON u.id = w.requested_by
        WHERE {" AND ".join(where)}
        ORDER BY w.created_at DESC, w.id DESC
        LIMIT :limit
    """
    rows = session.execute(sa.text(sql), params).all()
    more = len(rows) > limit
    rows = rows[:limit]
    out = []
    for r in rows:
        shown = _display_status(r.status, r.expires_at, now)
        out.append({
            "id": str(r.id), "group": r.name, "amount": naira(r.amount_kobo),
            "beneficiary": describe_beneficiary(r.beneficiary), "reason": (r.reason or "")[:200],
            "requester": _person(r.first_name, r.last_name, r.email),
            "approvals": f"{r.approvals} of {r.approvals_required}",
            "status": shown, "status_label": STATUS_LABELS.get(shown, shown),
            "time_left": time_left(r.expires_at, now) if r.status == WS.PENDING else "—",
            "created": _when(r.created_at),
        })
    next_cursor = f"{_aware(rows[-1].created_at).isoformat()}|{rows[-1].id}" if more and rows else None
    return RequestPage(out, next_cursor, scope)


# --- one request --------------------------------------------------------------------------------
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


def _load_request(session: Session, request_id: uuid.UUID, *, lock: bool = False) -> Any:
    sql = ("SELECT w.*, g.name AS group_name, g.approvals_required FROM withdrawal_request w "
           'JOIN "group" g ON g.id = w.group_id WHERE w.id = :id' + (" FOR UPDATE OF w" if lock else ""))
    return session.execute(sa.text(sql), {"id": request_id}).first()


def _visible_request(session: Session, actor: Actor, request_id: Any, *, lock: bool = False) -> Any:
    rid = parse_id(request_id)
    row = _load_request(session, rid, lock=lock)
    if row is None:
        raise NotFound(NOT_FOUND)
    if not _sees_all(actor) and not _is_officer(session, actor.user_id, row.group_id):
        raise NotFound(NOT_FOUND)  # the same answer as a missing id: no probing other groups' ids
    return row


def _counting_approvals(session: Session, request_id: uuid.UUID, group_id: uuid.UUID) -> int:
    return int(session.execute(
        sa.text("SELECT count(*) FROM approval a JOIN group_membership m ON m.group_id = :g "
                "AND m.user_id = a.approver_user_id AND m.removed_at IS NULL "
                "AND m.role_in_group IN ('OWNER', 'TREASURER') WHERE a.withdrawal_id = :w"),
        {"g": group_id, "w": request_id},
    ).scalar_one())


def group_balance(session: Session, group_id: uuid.UUID, *, lock: bool = False) -> int:
    """The maintained balance (``group_balances``), not a scan of the ledger."""
    value = session.execute(
        sa.text("SELECT balance_kobo FROM group_balances WHERE group_id = :g" + (" FOR UPDATE" if lock else "")),
        {"g": group_id},
    ).scalar()
    return int(value or 0)


def in_flight_kobo(session: Session, group_id: uuid.UUID, *, excluding: uuid.UUID | None = None) -> int:
    """Money promised to payouts the provider has accepted but not confirmed (reserved)."""
    value = session.execute(
        sa.text("SELECT coalesce(sum(p.amount_kobo), 0) FROM withdrawal_request w "
                "JOIN payout p ON p.withdrawal_id = w.id "
                "WHERE w.group_id = :g AND w.status = 'APPROVED' AND p.status = 'PENDING' "
                "AND p.provider_reference IS NOT NULL AND w.id IS DISTINCT FROM :x"),
        {"g": group_id, "x": excluding},
    ).scalar_one()
    return int(value)


def rebuild_group_balances(session: Session) -> int:
    """Recompute every group's balance from the ledger (after a load that bypassed the triggers)."""
    session.execute(sa.text("DELETE FROM group_balances"))
    result = session.execute(sa.text(
        "INSERT INTO group_balances (group_id, balance_kobo, updated_at) "
        "SELECT group_id, sum(CASE WHEN type = 'CREDIT' THEN amount_kobo ELSE -amount_kobo END), now() "
        "FROM ledger_entry GROUP BY group_id"))
    return int(result.rowcount or 0)


def _actions(session: Session, actor: Actor, row: Any, approvals: int, balance: int, now: datetime) -> dict[str, str]:
    acts = {"can_approve": "", "why_approve": "", "can_decline": "", "why_decline": "", "can_pay": "",
            "why_pay": ""}
    if _sees_all(actor) or not actor.can(Perm.GROUPS_APPROVE):
        acts["why_approve"] = acts["why_decline"] = acts["why_pay"] = WHY_READ_ONLY
        return acts
    if not _is_officer(session, actor.user_id, row.group_id):
        acts["why_approve"] = acts["why_decline"] = acts["why_pay"] = WHY_NOT_OFFICER
        return acts
    expired = row.expires_at is not None and _aware(row.expires_at) <= now
    mine = session.execute(sa.text("SELECT 1 FROM approval WHERE withdrawal_id = :w AND approver_user_id = :u"),
                           {"w": row.id, "u": actor.user_id}).first() is not None
    payout = session.execute(sa.text("SELECT status FROM payout WHERE withdrawal_id = :w"), {"w": row.id}).scalar()
    # approve
    if row.status != WS.PENDING:
        acts["why_approve"] = f"This request is already {STATUS_LABELS.get(row.status, row.status).lower()}."
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
        acts["why_decline"] = f"This request is already {STATUS_LABELS.get(row.status, row.status).lower()}."
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
        acts["why_pay"] = "The provider has not confirmed the last attempt yet."
    elif balance < int(row.amount_kobo):
        acts["why_pay"] = f"{WHY_BALANCE}: the group has {naira(balance)} available."
    else:
        acts["can_pay"] = "yes"
    return acts


def open_request(session: Session, *, actor: Actor, request_id: Any) -> RequestView:
    actor = _require(actor, Perm.GROUPS_VIEW)
    row = _visible_request(session, actor, request_id)
    now = utcnow()
    approvals = _counting_approvals(session, row.id, row.group_id)
    balance = group_balance(session, row.group_id) - in_flight_kobo(session, row.group_id, excluding=row.id)
    shown = _display_status(row.status, row.expires_at, now)
    people = {r.id: r for r in session.execute(
        sa.text("SELECT id, first_name, last_name, email FROM users WHERE id = ANY(:ids)"),
        {"ids": [i for i in (row.requested_by, row.declined_by) if i]}).all()}
    req = people.get(row.requested_by)
    dec = people.get(row.declined_by) if row.declined_by else None
    b = row.beneficiary if isinstance(row.beneficiary, Mapping) else {}
    summary = {
        "id": str(row.id), "group": row.group_name, "group_id": str(row.group_id),
        "amount": naira(row.amount_kobo), "reason": row.reason or "",
        "beneficiary": describe_beneficiary(b),
        "beneficiary_name": str(b.get("account_name") or b.get("name") or "")[:120],
        "beneficiary_bank": str(b.get("bank_name") or b.get("bank") or "")[:120],
        "beneficiary_account": str(b.get("account_number") or "")[:34],
        "requester": _person(req.first_name, req.last_name, req.email) if req else "",
        "status": shown, "status_label": STATUS_LABELS.get(shown, shown),
        "approvals": f"{approvals} of {row.approvals_required}",
        "created": _when(row.created_at), "expires": _when(row.expires_at),
        "time_left": time_left(row.expires_at, now) if row.status == WS.PENDING else "—",
        "approved_at": _when(row.approved_at), "executed_at": _when(row.executed_at),
        "declined_by": _person(dec.first_name, dec.last_name, dec.email) if dec else "",
        "decline_reason": row.decline_reason or "",
    }
    ledger = [
        {"id": str(r.id), "when": _when(r.created_at), "type": r.type, "amount": naira(r.amount_kobo),
         "reference": r.reference, "source": r.source or "",
         "this_request": "yes" if r.withdrawal_id == row.id else ""}
        for r in session.execute(
            sa.text("SELECT id, created_at, type, amount_kobo, reference, source, withdrawal_id FROM ledger_entry "
                    "WHERE group_id = :g ORDER BY created_at DESC, id DESC LIMIT :n"),
            {"g": row.group_id, "n": LEDGER_ROWS}).all()
    ]
    members = [
        {"name": _person(r.first_name, r.last_name, r.email), "role": r.role_in_group.title(),
         "since": _when(r.joined_at)[:10]}
        for r in session.execute(
            sa.text("SELECT u.first_name, u.last_name, u.email, m.role_in_group, m.joined_at FROM group_membership m "
                    "JOIN users u ON u.id = m.user_id WHERE m.group_id = :g AND m.removed_at IS NULL "
                    "ORDER BY CASE m.role_in_group WHEN 'OWNER' THEN 0 WHEN 'TREASURER' THEN 1 ELSE 2 END, "
                    "u.last_name, u.first_name LIMIT 100"),
            {"g": row.group_id}).all()
    ]
    timeline: list[tuple[datetime, dict[str, str]]] = []
    for r in session.execute(
        sa.text("SELECT a.created_at, u.first_name, u.last_name, u.email, EXISTS (SELECT 1 FROM group_membership m "
                "WHERE m.group_id = :g AND m.user_id = a.approver_user_id AND m.removed_at IS NULL "
                "AND m.role_in_group IN ('OWNER', 'TREASURER')) AS counts FROM approval a "
                "JOIN users u ON u.id = a.approver_user_id WHERE a.withdrawal_id = :w ORDER BY a.created_at"),
        {"g": row.group_id, "w": row.id}).all():
        timeline.append((r.created_at, {
            "when": _when(r.created_at), "what": "Approval", "who": _person(r.first_name, r.last_name, r.email),
            "note": "" if r.counts else "No longer counts: no longer an officer of the group"}))
    for r in session.execute(
        sa.text("SELECT h.created_at, h.from_status, h.to_status, h.reason, u.first_name, u.last_name, u.email "
                "FROM status_history h LEFT JOIN users u ON u.id = h.actor_id "
                "WHERE h.entity_type = 'WITHDRAWAL_REQUEST' AND h.entity_id = :w ORDER BY h.created_at LIMIT 50"),
        {"w": row.id}).all():
        timeline.append((r.created_at, {
            "when": _when(r.created_at), "what": TIMELINE_LABELS.get(r.to_status, r.to_status) if r.from_status
            else "Requested", "who": _person(r.first_name, r.last_name, r.email), "note": (r.reason or "")[:200]}))
    timeline.sort(key=lambda t: _aware(t[0]))
    payouts = [
        {"id": str(r.id), "provider": r.provider, "status": r.status, "amount": naira(r.amount_kobo),
         "attempts": str(r.attempts), "reference": r.provider_reference or "", "created": _when(r.created_at),
         "updated": _when(r.updated_at)}
        for r in session.execute(sa.text("SELECT * FROM payout WHERE withdrawal_id = :w"), {"w": row.id}).all()
    ]
    recoveries = [
        {"when": _when(r.created_at), "error": (r.error_message or "")[:300],
         "resolved": _when(r.resolved_at) or "Open"}
        for r in session.execute(sa.text("SELECT created_at, error_message, resolved_at FROM payout_recovery "
                                         "WHERE withdrawal_id = :w ORDER BY created_at DESC LIMIT 20"),
                                 {"w": row.id}).all()
    ]
    return RequestView(
        id=str(row.id), summary=summary, balance=naira(group_balance(session, row.group_id)), ledger=ledger,
        members=members, timeline=[t[1] for t in timeline], payouts=payouts, recoveries=recoveries,
        actions=_actions(session, actor, row, approvals, balance, now),
    )


# --- writes -------------------------------------------------------------------------------------
def _acting_officer(session: Session, actor: Actor, request_id: Any) -> Any:
    """Lock the request and check the actor is a current officer of its group (ADMIN: read-only)."""
    actor = _require(actor, Perm.GROUPS_APPROVE)
    rid = parse_id(request_id)
    row = _load_request(session, rid, lock=True)
    if row is None or not _is_officer(session, actor.user_id, row.group_id, lock=True):
        raise NotFound(NOT_FOUND)
    return row


def _record(session: Session, *, actor: Actor, row: Any, action: str, event: str, description: str,
            before: dict[str, Any] | None, after: dict[str, Any], details: dict[str, Any] | None = None) -> None:
    audit.record(session, actor=actor, action=action, target_type="withdrawal_request", target_id=str(row.id),
                 description=description, before=before, after=after, details=details)
    outbox.emit(session, event_type=event, aggregate_type="withdrawal_request", aggregate_id=row.id,
                payload={"withdrawal_id": row.id, "group_id": row.group_id, **after, **(details or {})},
                actor=actor, target_platform="TREASURY")


def _set_status(session: Session, row: Any, to: str, actor: Actor, *, reason: str | None = None,
                **values: Any) -> None:
    sets = ", ".join(f"{k} = :{k}" for k in values)
    params = {"id": row.id, "to": to, "from": row.status, "now": utcnow(), **values}
    result = session.execute(
        sa.text(f"UPDATE withdrawal_request SET status = :to, updated_at = :now{', ' + sets if sets else ''} "
                "WHERE id = :id AND status = :from"), params)
    if result.rowcount != 1:  # cannot happen under the row lock; refuse rather than double-apply
        raise Conflict("This request changed meanwhile. Reload it and try again.")
    record_status_change(session, entity_type=ReviewableEntity.WITHDRAWAL_REQUEST, entity_id=row.id,
                         from_status=row.status, to_status=to, actor=actor, reason=reason)


@dataclass(frozen=True)
class ApproveResult:
    approvals: int
    required: int
    status: str


def approve(session: Session, *, actor: Actor, request_id: Any) -> ApproveResult:
    row = _acting_officer(session, actor, request_id)
    now = utcnow()
    if row.status != WS.PENDING:
        raise Conflict(f"This request is already {STATUS_LABELS.get(row.status, row.status).lower()}.")
    if row.requested_by == actor.user_id:
        raise NotAllowed(WHY_REQUESTER)
    if row.expires_at is not None and _aware(row.expires_at) <= now:
        raise Conflict("This request has expired and can no longer be approved.")
    inserted = session.execute(
        sa.text("INSERT INTO approval (id, withdrawal_id, approver_user_id, created_at) VALUES (:id, :w, :u, now()) "
                "ON CONFLICT ON CONSTRAINT uq_approval_withdrawal_id_approver DO NOTHING RETURNING id"),
        {"id": uuid.uuid4(), "w": row.id, "u": actor.user_id},  # now(): the transaction's time, as history's
    ).first()
    if inserted is None:
        raise Conflict(WHY_APPROVED_ALREADY)
    count = _counting_approvals(session, row.id, row.group_id)
    required = int(row.approvals_required)
    _record(session, actor=actor, row=row, action="group.withdrawal.approve", event="group.withdrawal.approval_added",
            description=f"Approved withdrawal {naira(row.amount_kobo)} ({count} of {required})",
            before={"approvals": count - 1}, after={"approvals": count, "required": required})
    status = row.status
    if count >= required:
        _set_status(session, row, WS.APPROVED, actor, approved_at=now)
        _record(session, actor=actor, row=row, action="group.withdrawal.approved", event="group.withdrawal.approved",
                description=f"Quorum reached ({count} of {required}): withdrawal approved",
                before={"status": row.status}, after={"status": WS.APPROVED.value, "approvals": count})
        status = WS.APPROVED.value
    return ApproveResult(count, required, str(status))


def decline(session: Session, *, actor: Actor, request_id: Any, reason: Any) -> None:
    text_reason = parse_reason(reason)
    row = _acting_officer(session, actor, request_id)
    if row.status not in (WS.PENDING, WS.APPROVED):
        raise Conflict(f"This request is already {STATUS_LABELS.get(row.status, row.status).lower()}.")
    payout = session.execute(sa.text("SELECT status FROM payout WHERE withdrawal_id = :w"), {"w": row.id}).scalar()
    if payout in (PENDING, SUCCESS):
        raise Conflict("A payout is in progress for this request; it cannot be declined now.")
    _set_status(session, row, WS.DECLINED, actor, reason=text_reason, declined_by=actor.user_id,
                decline_reason=text_reason)
    _record(session, actor=actor, row=row, action="group.withdrawal.decline", event="group.withdrawal.declined",
            description=f"Declined withdrawal {naira(row.amount_kobo)}", before={"status": row.status},
            after={"status": WS.DECLINED.value, "reason": text_reason})


@dataclass(frozen=True)
class PayoutOutcome:
    status: str  # SUCCESS, PENDING or FAILED
    message: str
    payout_id: str


def _group_account(session: Session, group_id: uuid.UUID) -> uuid.UUID:
    account = session.execute(
        sa.text("SELECT id FROM account WHERE group_id = :g ORDER BY (status = 'active') DESC, created_at LIMIT 1"),
        {"g": group_id}).scalar()
    if account is None:
        raise Conflict("This group has no account to pay from.")
    return account


def execute_payout(session: Session, *, actor: Actor, request_id: Any,
                   provider: PayoutProvider | None = None) -> PayoutOutcome:
    """Pay an APPROVED request once. A FAILED outcome is committed (recovery row), not raised."""
    provider = provider or default_provider()
    row = _acting_officer(session, actor, request_id)
    now = utcnow()
    if row.status == WS.PAID:
        raise Conflict("This request has already been paid.")
    if row.status != WS.APPROVED:
        raise Conflict(f"{WHY_QUORUM}: only approved requests can be paid.")
    required = int(row.approvals_required)
    count = _counting_approvals(session, row.id, row.group_id)
    if count < required:
        raise Conflict(f"{WHY_QUORUM}: {count} of {required} approvals from current officers.")
    if row.expires_at is not None and _aware(row.expires_at) <= now:
        raise Conflict("This request has expired; decline it and raise a new one.")
    account_id = _group_account(session, row.group_id)
    session.execute(sa.text("INSERT INTO group_balances (group_id) VALUES (:g) ON CONFLICT DO NOTHING"),
                    {"g": row.group_id})
    balance = group_balance(session, row.group_id, lock=True)  # serialises payouts of one group
    available = balance - in_flight_kobo(session, row.group_id, excluding=row.id)
    if available < int(row.amount_kobo):
        raise Conflict(f"{WHY_BALANCE}: the group has {naira(available)} available for "
                       f"{naira(row.amount_kobo)}.")
    existing = session.execute(sa.text("SELECT * FROM payout WHERE withdrawal_id = :w FOR UPDATE"),
                               {"w": row.id}).first()
    if existing is not None and existing.status == SUCCESS:
        raise Conflict("This request has already been paid.")
    if existing is not None and existing.status == PENDING and existing.provider_reference:
        raise Conflict("The provider has not confirmed the last attempt yet.")
    if existing is None:
        payout_id, attempt = uuid.uuid4(), 1
        session.execute(
            sa.text("INSERT INTO payout (id, withdrawal_id, provider, amount_kobo, beneficiary, status, attempts, "
                    "executed_by, created_at, updated_at) VALUES (:id, :w, :p, :a, CAST(:b AS jsonb), 'PENDING', 1, "
                    ":u, :now, :now)"),
            {"id": payout_id, "w": row.id, "p": provider.name, "a": row.amount_kobo,
             "b": _json(row.beneficiary), "u": actor.user_id, "now": now})
        record_status_change(session, entity_type=ReviewableEntity.PAYOUT, entity_id=payout_id, from_status=None,
                             to_status=PENDING, actor=actor)
    else:
        payout_id, attempt = existing.id, int(existing.attempts) + 1
        session.execute(sa.text("UPDATE payout SET status = 'PENDING', attempts = :n, executed_by = :u, "
                                "updated_at = :now WHERE id = :id"),
                        {"n": attempt, "u": actor.user_id, "now": now, "id": payout_id})
        if existing.status != PENDING:
            record_status_change(session, entity_type=ReviewableEntity.PAYOUT, entity_id=payout_id,
                                 from_status=existing.status, to_status=PENDING, actor=actor, reason="Retried")
    result = provider.send(reference=f"WDR-{row.id}-{attempt}", amount_kobo=int(row.amount_kobo),
                           beneficiary=dict(row.beneficiary or {}))
    return _apply_result(session, actor=actor, row=row, payout_id=payout_id, result=result,
                         account_id=account_id, attempt=attempt)


def _json(value: Any) -> str:
    import json

    return json.dumps(outbox.json_safe(value))


def _apply_result(session: Session, *, actor: Actor, row: Any, payout_id: uuid.UUID, result: ProviderResult,
                  account_id: uuid.UUID, attempt: int) -> PayoutOutcome:
    now = utcnow()
    if result.status == SUCCESS:
        _succeed(session, actor=actor, row=row, payout_id=payout_id, provider_reference=result.provider_reference,
                 payload=result.payload, account_id=account_id)
        return PayoutOutcome(SUCCESS, f"Paid {naira(row.amount_kobo)}.", str(payout_id))
    if result.status == PENDING:
        session.execute(sa.text("UPDATE payout SET provider_reference = :r, provider_payload = CAST(:p AS jsonb), "
                                "updated_at = :now WHERE id = :id"),
                        {"r": result.provider_reference, "p": _json(result.payload), "now": now, "id": payout_id})
        _record(session, actor=actor, row=row, action="group.payout.sent", event="group.payout.sent",
                description=f"Payout {naira(row.amount_kobo)} sent; awaiting the provider's confirmation",
                before=None, after={"payout_status": PENDING, "attempt": attempt})
        return PayoutOutcome(PENDING, "Sent: waiting for the provider's confirmation.", str(payout_id))
    _fail(session, actor=actor, row=row, payout_id=payout_id, error=result.error or "The provider refused the payout",
          payload=result.payload, attempt=attempt)
    return PayoutOutcome(FAILED, f"The payout failed: {result.error or 'refused by the provider'}. "
                                 "Nothing was debited; you can retry.", str(payout_id))


def _succeed(session: Session, *, actor: Actor, row: Any, payout_id: uuid.UUID, provider_reference: str | None,
             payload: dict[str, Any], account_id: uuid.UUID) -> None:
    now = utcnow()
    session.execute(
        sa.text("INSERT INTO ledger_entry (id, group_id, account_id, user_id, withdrawal_id, type, amount_kobo, "
                "currency, source, reference, client_ref, simulated, payment_channel, rule_status, created_at) "
                "VALUES (:id, :g, :acc, :u, :w, 'DEBIT', :a, 'NGN', 'payout', :ref, :cref, false, 'VA', 'VALID', :now)"),
        {"id": uuid.uuid4(), "g": row.group_id, "acc": account_id, "u": row.requested_by, "w": row.id,
         "a": row.amount_kobo, "ref": f"PAYOUT-{row.id}", "cref": provider_reference, "now": now})
    session.execute(sa.text("UPDATE payout SET status = 'SUCCESS', provider_reference = :r, "
                            "provider_payload = CAST(:p AS jsonb), updated_at = :now WHERE id = :id"),
                    {"r": provider_reference, "p": _json(payload), "now": now, "id": payout_id})
    session.execute(sa.text("UPDATE payout_recovery SET resolved_at = :now WHERE withdrawal_id = :w "
                            "AND resolved_at IS NULL"), {"now": now, "w": row.id})
    record_status_change(session, entity_type=ReviewableEntity.PAYOUT, entity_id=payout_id, from_status=PENDING,
                         to_status=SUCCESS, actor=actor)
    _set_status(session, row, WS.PAID, actor, executed_at=now)
    _record(session, actor=actor, row=row, action="group.payout.success", event="group.withdrawal.paid",
            description=f"Paid withdrawal {naira(row.amount_kobo)}", before={"status": row.status},
            after={"status": WS.PAID.value, "ledger_reference": f"PAYOUT-{row.id}",
                   "provider_reference": provider_reference})


def _fail(session: Session, *, actor: Actor, row: Any, payout_id: uuid.UUID, error: str, payload: dict[str, Any],
          attempt: int) -> None:
    now = utcnow()
    session.execute(sa.text("UPDATE payout SET status = 'FAILED', provider_payload = CAST(:p AS jsonb), "
                            "updated_at = :now WHERE id = :id"),
                    {"p": _json(payload), "now": now, "id": payout_id})
    session.execute(
        sa.text("INSERT INTO payout_recovery (id, withdrawal_id, payout_id, attempted_payload, error_message, "
                "created_at) VALUES (:id, :w, :p, CAST(:pl AS jsonb), :e, :now)"),
        {"id": uuid.uuid4(), "w": row.id, "p": payout_id, "pl": _json({"attempt": attempt, **payload}),
         "e": error[:1000], "now": now})
    record_status_change(session, entity_type=ReviewableEntity.PAYOUT, entity_id=payout_id, from_status=PENDING,
                         to_status=FAILED, actor=actor, reason=error[:500])
    _record(session, actor=actor, row=row, action="group.payout.failed", event="group.payout.failed",
            description=f"Payout {naira(row.amount_kobo)} failed (attempt {attempt}): {error[:200]}",
            before=None, after={"payout_status": FAILED, "attempt": attempt, "error": error[:200]})


# --- provider confirmations -----------------------------------------------------------------------
WEBHOOK_ACTOR = Actor.system("payout-webhooks")


def record_webhook(session: Session, *, provider: str, event_id: str, event_type: str,
                   payload: dict[str, Any]) -> bool:
    """Store one provider callback; a duplicate (same provider and event id) is ignored. True if new."""
    if not isinstance(event_id, str) or not 1 <= len(event_id) <= 128:
        raise InvalidInput("webhook: event_id must be 1-128 characters")
    row = session.execute(
        sa.text("INSERT INTO webhook_event (id, provider, event_id, event_type, raw_payload, processed, created_at) "
                "VALUES (:id, :p, :e, :t, CAST(:raw AS jsonb), false, now()) "
                "ON CONFLICT ON CONSTRAINT uq_webhook_event_provider_event_id DO NOTHING RETURNING id"),
        {"id": uuid.uuid4(), "p": provider[:64], "e": event_id, "t": event_type[:200], "raw": _json(payload)},
    ).first()
    return row is not None


@dataclass
class WebhookReport:
    processed: int = 0
    applied: int = 0
    ignored: int = 0
    errors: int = 0


def process_webhooks(session: Session, *, limit: int = 500) -> WebhookReport:
    """Apply unprocessed ``transfer.completed`` callbacks to their payouts, idempotently.

    Rows are claimed with ``FOR UPDATE SKIP LOCKED`` (two workers never take the same event) and
    marked processed in the same transaction as their effect. A confirmation of a payout that is
    already final changes nothing. Other event types are marked processed and ignored here.
    """
    report = WebhookReport()
    events = session.execute(
        sa.text("SELECT id, event_type, raw_payload FROM webhook_event WHERE NOT processed "
                "ORDER BY created_at, id LIMIT :n FOR UPDATE SKIP LOCKED"), {"n": limit}).all()
    for event in events:
        error = None
        try:
            with session.begin_nested():
                outcome = _apply_webhook(session, event.event_type, event.raw_payload)
        except (Conflict, InvalidInput, NotFound, IntegrityError) as exc:
            outcome, error = "error", str(exc)[:500]
        report.processed += 1
        if outcome == "applied":
            report.applied += 1
        elif outcome == "error":
            report.errors += 1
        else:
            report.ignored += 1
        session.execute(sa.text("UPDATE webhook_event SET processed = true, processed_at = now(), error = :e "
                                "WHERE id = :id"), {"e": error, "id": event.id})
    return report


def _apply_webhook(session: Session, event_type: str, raw: Any) -> str:
    if event_type != "transfer.completed":
        return "ignored"
    data = raw.get("data") if isinstance(raw, Mapping) else None
    if not isinstance(data, Mapping) or not isinstance(data.get("reference"), str):
        raise InvalidInput("webhook: no transfer reference")
    status = str(data.get("status", "")).upper()
    status = {"SUCCESSFUL": SUCCESS, "SUCCESS": SUCCESS, "FAILED": FAILED}.get(status)
    if status is None:
        raise InvalidInput("webhook: unknown transfer status")
    payout = session.execute(sa.text("SELECT id, withdrawal_id, status, attempts FROM payout "
                                     "WHERE provider_reference = :r"), {"r": data["reference"]}).first()
    if payout is None:
        raise NotFound("Unknown payout reference")
    row = _load_request(session, payout.withdrawal_id, lock=True)
    payout = session.execute(sa.text("SELECT id, status, attempts FROM payout WHERE id = :id FOR UPDATE"),
                             {"id": payout.id}).first()
    if payout.status != PENDING:
        return "ignored"  # already final: a duplicate or late confirmation changes nothing
    if status == SUCCESS:
        if row.status != WS.APPROVED:
            raise Conflict("The request is no longer approved")
        _succeed(session, actor=WEBHOOK_ACTOR, row=row, payout_id=payout.id, provider_reference=data["reference"],
                 payload=dict(data), account_id=_group_account(session, row.group_id))
    else:
        _fail(session, actor=WEBHOOK_ACTOR, row=row, payout_id=payout.id,
              error=str(data.get("complete_message") or "The provider reported the transfer failed"),
              payload=dict(data), attempt=int(payout.attempts))
    return "applied"
