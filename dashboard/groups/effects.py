"""What a group decision writes besides its own row, in the caller's transaction.

- ``record``: the audit entry and the outbox event (every change writes both).
- ``set_status``: the request's conditional status UPDATE and its status-history row.
- ``start_attempt``: the ``payout_attempt`` row of a provider call, in flight until settled.
- ``apply_result``: a payout provider's answer. **DEBIT only on success**: the ledger DEBIT (reference
  ``PAYOUT-<withdrawal id>``; a partial unique index allows one DEBIT per withdrawal), the payout
  SUCCESS and the request PAID together. FAILED: the payout FAILED and a ``payout_recovery`` row, the
  request stays APPROVED (nothing was debited, so nothing is reversed). PENDING: the provider confirms
  later through a webhook (``groups.webhooks``), which settles with the same ``succeed`` / ``fail``.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from dashboard.core.actor import Actor
from dashboard.core.errors import Conflict
from dashboard.groups.payouts import FAILED, PENDING, SUCCESS, ProviderResult
from dashboard.groups.rules import WS, naira, utcnow
from dashboard.models.enums import ReviewableEntity
from dashboard.audit import chain as audit
from dashboard.core import outbox
from dashboard.core.history import record_status_change


@dataclass(frozen=True)
class PayoutOutcome:
    status: str  # SUCCESS, PENDING or FAILED
    message: str
    payout_id: str


def as_json(value: Any) -> str:
    return json.dumps(outbox.json_safe(value))


def record(session: Session, *, actor: Actor, row: Any, action: str, event: str, description: str,
           before: dict[str, Any] | None, after: dict[str, Any], details: dict[str, Any] | None = None) -> None:
    audit.record(session, actor=actor, action=action, target_type="withdrawal_request", target_id=str(row.id),
                 description=description, before=before, after=after, details=details)
    outbox.emit(session, event_type=event, aggregate_type="withdrawal_request", aggregate_id=row.id,
                payload={"withdrawal_id": row.id, "group_id": row.group_id, **after, **(details or {})},
                actor=actor, target_platform="TREASURY")


def set_status(session: Session, row: Any, to: str, actor: Actor, *, reason: str | None = None,
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


def group_account(session: Session, group_id: uuid.UUID) -> uuid.UUID:
    account = session.execute(
        sa.text("SELECT id FROM account WHERE group_id = :g ORDER BY (status = 'active') DESC, created_at LIMIT 1"),
        {"g": group_id}).scalar()
    if account is None:
        raise Conflict("This group has no account to pay from.")
    return account


def start_attempt(session: Session, *, actor: Actor, row: Any, payout_id: uuid.UUID, attempt: int, reference: str,
                  retry: bool) -> None:
    """The provider call about to be made, in flight until its answer (or webhook) settles it. The partial
    unique index ``uq_payout_attempt_one_in_flight`` refuses a second one for the same withdrawal."""
    session.execute(
        sa.text("INSERT INTO payout_attempt (id, payout_id, withdrawal_id, attempt, kind, reference, status, "
                "started_by, created_at) VALUES (:id, :p, :w, :n, :k, :r, 'PENDING', :u, clock_timestamp())"),
        {"id": uuid.uuid4(), "p": payout_id, "w": row.id, "n": attempt, "k": "RETRY" if retry else "PAY",
         "r": reference, "u": actor.user_id})


def _settle_attempt(session: Session, payout_id: uuid.UUID, status: str, error: str | None = None) -> None:
    session.execute(sa.text("UPDATE payout_attempt SET status = :s, error = :e, finished_at = clock_timestamp() "
                            "WHERE payout_id = :p AND status = 'PENDING'"),
                    {"s": status, "e": error, "p": payout_id})


def apply_result(session: Session, *, actor: Actor, row: Any, payout_id: uuid.UUID, result: ProviderResult,
                 account_id: uuid.UUID, attempt: int) -> PayoutOutcome:
    if result.status == SUCCESS:
        succeed(session, actor=actor, row=row, payout_id=payout_id, provider_reference=result.provider_reference,
                payload=result.payload, account_id=account_id)
        return PayoutOutcome(SUCCESS, f"Paid {naira(row.amount_kobo)}.", str(payout_id))
    if result.status == PENDING:
        session.execute(sa.text("UPDATE payout SET provider_reference = :r, provider_payload = CAST(:p AS jsonb), "
                                "updated_at = :now WHERE id = :id"),
                        {"r": result.provider_reference, "p": as_json(result.payload), "now": utcnow(),
                         "id": payout_id})
        record(session, actor=actor, row=row, action="group.payout.sent", event="group.payout.sent",
               description=f"Payout {naira(row.amount_kobo)} sent; awaiting the provider's confirmation",
               before=None, after={"payout_status": PENDING, "attempt": attempt})
        return PayoutOutcome(PENDING, "Sent: waiting for the provider's confirmation.", str(payout_id))
    fail(session, actor=actor, row=row, payout_id=payout_id, error=result.error or "The provider refused the payout",
         payload=result.payload, attempt=attempt)
    return PayoutOutcome(FAILED, f"The payout failed: {result.error or 'refused by the provider'}. "
                                 "Nothing was debited; you can retry.", str(payout_id))


def succeed(session: Session, *, actor: Actor, row: Any, payout_id: uuid.UUID, provider_reference: str | None,
            payload: dict[str, Any], account_id: uuid.UUID) -> None:
    now = utcnow()
    session.execute(
        sa.text("INSERT INTO ledger_entry (id, group_id, account_id, user_id, withdrawal_id, type, amount_kobo, "
                "currency, source, reference, client_ref, simulated, payment_channel, rule_status, created_at) "
                "VALUES (:id, :g, :acc, :u, :w, 'DEBIT', :a, 'NGN', 'payout', :ref, :cref, false, 'VA', 'VALID', "
                ":now)"),
        {"id": uuid.uuid4(), "g": row.group_id, "acc": account_id, "u": row.requested_by, "w": row.id,
         "a": row.amount_kobo, "ref": f"PAYOUT-{row.id}", "cref": provider_reference, "now": now})
    session.execute(sa.text("UPDATE payout SET status = 'SUCCESS', provider_reference = :r, "
                            "provider_payload = CAST(:p AS jsonb), updated_at = :now WHERE id = :id"),
                    {"r": provider_reference, "p": as_json(payload), "now": now, "id": payout_id})
    _settle_attempt(session, payout_id, SUCCESS)
    session.execute(sa.text("UPDATE payout_recovery SET resolved_at = :now WHERE withdrawal_id = :w "
                            "AND resolved_at IS NULL"), {"now": now, "w": row.id})
    record_status_change(session, entity_type=ReviewableEntity.PAYOUT, entity_id=payout_id, from_status=PENDING,
                         to_status=SUCCESS, actor=actor)
    set_status(session, row, WS.PAID, actor, executed_at=now)
    record(session, actor=actor, row=row, action="group.payout.success", event="group.withdrawal.paid",
           description=f"Paid withdrawal {naira(row.amount_kobo)}", before={"status": row.status},
           after={"status": WS.PAID.value, "ledger_reference": f"PAYOUT-{row.id}",
                  "provider_reference": provider_reference})


def fail(session: Session, *, actor: Actor, row: Any, payout_id: uuid.UUID, error: str, payload: dict[str, Any],
         attempt: int) -> None:
    now = utcnow()
    session.execute(sa.text("UPDATE payout SET status = 'FAILED', provider_payload = CAST(:p AS jsonb), "
                            "updated_at = :now WHERE id = :id"),
                    {"p": as_json(payload), "now": now, "id": payout_id})
    _settle_attempt(session, payout_id, FAILED, error[:1000])
    session.execute(
        sa.text("INSERT INTO payout_recovery (id, withdrawal_id, payout_id, attempted_payload, error_message, "
                "created_at) VALUES (:id, :w, :p, CAST(:pl AS jsonb), :e, :now)"),
        {"id": uuid.uuid4(), "w": row.id, "p": payout_id, "pl": as_json({"attempt": attempt, **payload}),
         "e": error[:1000], "now": now})
    record_status_change(session, entity_type=ReviewableEntity.PAYOUT, entity_id=payout_id, from_status=PENDING,
                         to_status=FAILED, actor=actor, reason=error[:500])
    record(session, actor=actor, row=row, action="group.payout.failed", event="group.payout.failed",
           description=f"Payout {naira(row.amount_kobo)} failed (attempt {attempt}): {error[:200]}",
           before=None, after={"payout_status": FAILED, "attempt": attempt, "error": error[:200]})
