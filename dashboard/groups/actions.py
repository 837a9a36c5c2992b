"""Group withdrawal decisions (issue 8): approve, decline, pay out. One transaction each.

Each action locks the request row (``SELECT ... FOR UPDATE``), so concurrent clicks are applied one by
one and each sees the previous one's result, and checks on that row, after ``@requires``:

- the actor is a current officer of the request's group (else "not found", as for a missing id;
  ADMIN holds no ``GROUPS_APPROVE``: read-only);
- the requester cannot approve (also the trigger ``approval_not_by_requester``); one approval per
  officer (``uq_approval_withdrawal_id_approver``); expired requests cannot be approved or paid;
- approvals reaching ``approvals_required`` make the request APPROVED; only current officers count;
- a decline by any officer, with a reason, ends the request (PENDING, or APPROVED with no payout in
  flight or done);
- a payout re-checks quorum, expiry and the *available* balance (balance minus payouts still in
  flight) under the group's balance-row lock, upserts the one ``payout`` row
  (``uq_payout_withdrawal_id``) and calls the provider with a reference stable per attempt; the
  outcome is written by ``effects.apply_result`` (a FAILED outcome is committed, not raised);
- each provider call is a ``payout_attempt`` row, at most one in flight per withdrawal (a partial unique
  index); after a FAILED attempt "Pay" is refused: only ``retry_payout``, naming the failed attempt the
  officer saw, calls the provider again (issue 12, finding 8: 30 clicks made 23 provider calls).

Each decision carries the status the officer saw (``expected_status``, the stored status, not the
displayed EXPIRED): when the locked row has another one now, it is refused (``Conflict``), so a tab that
still shows PENDING cannot decline a request that reached its quorum meanwhile.

Every change writes the audit entry and the outbox event in the same transaction, and a status-history
row whenever a status changes (an approval that does not reach the quorum is audited and emitted only).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from dashboard.core.actor import Actor
from dashboard.core.decisions import check_seen, parse_expected
from dashboard.core.errors import Conflict, InvalidInput, NotAllowed
from dashboard.core.permissions import Perm, requires
from dashboard.groups import effects
from dashboard.groups.access import acting_request, counting_approvals
from dashboard.groups.balances import available_kobo
from dashboard.groups.effects import PayoutOutcome
from dashboard.groups.payouts import PENDING, SUCCESS, PayoutProvider, default_provider
from dashboard.groups.rules import (
    WHY_APPROVED_ALREADY,
    WHY_BALANCE,
    WHY_LAST_FAILED,
    WHY_PAYOUT_IN_FLIGHT,
    WHY_QUORUM,
    WHY_REQUESTER,
    WS,
    is_expired,
    naira,
    parse_reason,
    utcnow,
    why_already,
)
from dashboard.models.enums import ReviewableEntity
from dashboard.core.history import record_status_change


@dataclass(frozen=True)
class ApproveResult:
    approvals: int
    required: int
    status: str


def _acting(session: Session, actor: Actor, request_id: Any, expected_status: Any) -> Any:
    """The locked request (``access.acting_request``), refused when it is not in the status the officer saw."""
    expected = parse_expected(expected_status)
    row = acting_request(session, actor, request_id)
    check_seen(row.status, expected)
    return row


@requires(Perm.GROUPS_APPROVE)
def approve(session: Session, *, actor: Actor, request_id: Any, expected_status: Any = None) -> ApproveResult:
    row = _acting(session, actor, request_id, expected_status)
    now = utcnow()
    if row.status != WS.PENDING:
        raise Conflict(why_already(row.status))
    if row.requested_by == actor.user_id:
        raise NotAllowed(WHY_REQUESTER)
    if is_expired(row.expires_at, now):
        raise Conflict("This request has expired and can no longer be approved.")
    inserted = session.execute(
        sa.text("INSERT INTO approval (id, withdrawal_id, approver_user_id, created_at) VALUES (:id, :w, :u, now()) "
                "ON CONFLICT ON CONSTRAINT uq_approval_withdrawal_id_approver DO NOTHING RETURNING id"),
        {"id": uuid.uuid4(), "w": row.id, "u": actor.user_id},  # now(): the transaction's time, as history's
    ).first()
    if inserted is None:
        raise Conflict(WHY_APPROVED_ALREADY)
    count = counting_approvals(session, row.id)
    required = int(row.approvals_required)
    effects.record(session, actor=actor, row=row, action="group.withdrawal.approve",
                   event="group.withdrawal.approval_added",
                   description=f"Approved withdrawal {naira(row.amount_kobo)} ({count} of {required})",
                   before={"approvals": count - 1}, after={"approvals": count, "required": required})
    status = row.status
    if count >= required:
        effects.set_status(session, row, WS.APPROVED, actor, approved_at=now)
        effects.record(session, actor=actor, row=row, action="group.withdrawal.approved",
                       event="group.withdrawal.approved",
                       description=f"Quorum reached ({count} of {required}): withdrawal approved",
                       before={"status": row.status}, after={"status": WS.APPROVED.value, "approvals": count})
        status = WS.APPROVED.value
    return ApproveResult(count, required, str(status))


@requires(Perm.GROUPS_APPROVE)
def decline(session: Session, *, actor: Actor, request_id: Any, reason: Any, expected_status: Any = None) -> None:
    text_reason = parse_reason(reason)
    row = _acting(session, actor, request_id, expected_status)
    if row.status not in (WS.PENDING, WS.APPROVED):
        raise Conflict(why_already(row.status))
    payout = session.execute(sa.text("SELECT status FROM payout WHERE withdrawal_id = :w"), {"w": row.id}).scalar()
    if payout in (PENDING, SUCCESS):
        raise Conflict("A payout is in progress for this request; it cannot be declined now.")
    effects.set_status(session, row, WS.DECLINED, actor, reason=text_reason, declined_by=actor.user_id,
                       decline_reason=text_reason)
    effects.record(session, actor=actor, row=row, action="group.withdrawal.decline", event="group.withdrawal.declined",
                   description=f"Declined withdrawal {naira(row.amount_kobo)}", before={"status": row.status},
                   after={"status": WS.DECLINED.value, "reason": text_reason})


@requires(Perm.GROUPS_APPROVE)
def execute_payout(session: Session, *, actor: Actor, request_id: Any,
                   provider: PayoutProvider | None = None, expected_status: Any = None) -> PayoutOutcome:
    """Pay an APPROVED request once. A FAILED outcome is committed (recovery row), not raised; after it,
    "Pay" is refused and only ``retry_payout`` calls the provider again."""
    return _pay(session, actor, request_id, provider, expected_status, retry_of=None)


@requires(Perm.GROUPS_APPROVE)
def retry_payout(session: Session, *, actor: Actor, request_id: Any, expected_attempt: Any,
                 provider: PayoutProvider | None = None, expected_status: Any = None) -> PayoutOutcome:
    """Send a FAILED payout again: the officer names the failed attempt they saw (``expected_attempt``),
    so thirty clicks on one failure make one new attempt, and a retry already made is refused."""
    return _pay(session, actor, request_id, provider, expected_status, retry_of=parse_attempt(expected_attempt))


def _pay(session: Session, actor: Actor, request_id: Any, provider: PayoutProvider | None, expected_status: Any,
         *, retry_of: int | None) -> PayoutOutcome:
    provider = provider or default_provider()
    row = _acting(session, actor, request_id, expected_status)
    now = utcnow()
    if row.status == WS.PAID:
        raise Conflict("This request has already been paid.")
    if row.status != WS.APPROVED:
        raise Conflict(f"{WHY_QUORUM}: only approved requests can be paid.")
    required = int(row.approvals_required)
    count = counting_approvals(session, row.id)
    if count < required:
        raise Conflict(f"{WHY_QUORUM}: {count} of {required} approvals from current officers.")
    if is_expired(row.expires_at, now):
        raise Conflict("This request has expired; decline it and raise a new one.")
    account_id = effects.group_account(session, row.group_id)
    session.execute(sa.text("INSERT INTO group_balances (group_id) VALUES (:g) ON CONFLICT DO NOTHING"),
                    {"g": row.group_id})
    # the balance row's lock serialises the payouts of one group
    available = available_kobo(session, row.group_id, excluding=row.id, lock=True)
    if available < int(row.amount_kobo):
        raise Conflict(f"{WHY_BALANCE}: the group has {naira(available)} available for "
                       f"{naira(row.amount_kobo)}.")
    existing = session.execute(sa.text("SELECT * FROM payout WHERE withdrawal_id = :w FOR UPDATE"),
                               {"w": row.id}).first()
    check_attempt(existing, retry_of)
    if existing is None:
        payout_id, attempt = uuid.uuid4(), 1
        session.execute(
            sa.text("INSERT INTO payout (id, withdrawal_id, provider, amount_kobo, beneficiary, status, attempts, "
                    "executed_by, created_at, updated_at) VALUES (:id, :w, :p, :a, CAST(:b AS jsonb), 'PENDING', 1, "
                    ":u, :now, :now)"),
            {"id": payout_id, "w": row.id, "p": provider.name, "a": row.amount_kobo,
             "b": effects.as_json(row.beneficiary), "u": actor.user_id, "now": now})
        record_status_change(session, entity_type=ReviewableEntity.PAYOUT, entity_id=payout_id, from_status=None,
                             to_status=PENDING, actor=actor)
    else:
        payout_id, attempt = existing.id, int(existing.attempts) + 1
        session.execute(sa.text("UPDATE payout SET status = 'PENDING', attempts = :n, executed_by = :u, "
                                "updated_at = :now WHERE id = :id"),
                        {"n": attempt, "u": actor.user_id, "now": now, "id": payout_id})
        record_status_change(session, entity_type=ReviewableEntity.PAYOUT, entity_id=payout_id,
                             from_status=existing.status, to_status=PENDING, actor=actor, reason="Retried")
    reference = f"WDR-{row.id}-{attempt}"
    effects.start_attempt(session, actor=actor, row=row, payout_id=payout_id, attempt=attempt, reference=reference,
                          retry=retry_of is not None)
    result = provider.send(reference=reference, amount_kobo=int(row.amount_kobo),
                           beneficiary=dict(row.beneficiary or {}))
    return effects.apply_result(session, actor=actor, row=row, payout_id=payout_id, result=result,
                                account_id=account_id, attempt=attempt)


def parse_attempt(value: Any) -> int:
    """The failed attempt's number the officer saw, as untrusted input."""
    if isinstance(value, str) and value.isdigit() and len(value) <= 6:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 999_999:
        raise InvalidInput("Which failed attempt to retry could not be read. Reopen the request.")
    return value


def check_attempt(existing: Any, retry_of: int | None) -> None:
    """"Pay" starts the first attempt only; "Retry payout" only the one after the failed attempt it names."""
    if existing is not None and existing.status == SUCCESS:
        raise Conflict("This request has already been paid.")
    if existing is not None and existing.status == PENDING:
        raise Conflict(WHY_PAYOUT_IN_FLIGHT)
    if retry_of is None:
        if existing is not None:  # FAILED
            raise Conflict(f"{WHY_LAST_FAILED} Nothing was sent again.")
        return
    if existing is None:
        raise Conflict("There is no failed payout to retry: use Pay out.")
    if int(existing.attempts) != retry_of:
        raise Conflict(f"This payout was retried meanwhile (attempt {int(existing.attempts)} now). "
                       "Reopen the request to see how it ended.")
