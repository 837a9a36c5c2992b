"""Payout provider confirmations: store each callback once, then apply it to its payout idempotently.

These are the provider's and the background job's entry points, not an officer's: they act as the
system actor ``WEBHOOK_ACTOR`` (history and audit name it) and are reached by no page.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from dashboard.core.actor import Actor
from dashboard.core.errors import Conflict, InvalidInput, NotFound
from dashboard.groups import effects
from dashboard.groups.access import load_request
from dashboard.groups.payouts import FAILED, PENDING, SUCCESS
from dashboard.groups.rules import WS

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
        {"id": uuid.uuid4(), "p": provider[:64], "e": event_id, "t": event_type[:200], "raw": effects.as_json(payload)},
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
    row = load_request(session, payout.withdrawal_id, lock=True)
    payout = session.execute(sa.text("SELECT id, status, attempts FROM payout WHERE id = :id FOR UPDATE"),
                             {"id": payout.id}).first()
    if payout.status != PENDING:
        return "ignored"  # already final: a duplicate or late confirmation changes nothing
    if status == SUCCESS:
        if row.status != WS.APPROVED:
            raise Conflict("The request is no longer approved")
        effects.succeed(session, actor=WEBHOOK_ACTOR, row=row, payout_id=payout.id,
                        provider_reference=data["reference"], payload=dict(data),
                        account_id=effects.group_account(session, row.group_id))
    else:
        effects.fail(session, actor=WEBHOOK_ACTOR, row=row, payout_id=payout.id,
                     error=str(data.get("complete_message") or "The provider reported the transfer failed"),
                     payload=dict(data), attempt=int(payout.attempts))
    return "applied"
