"""The sign-in throttle: attempts per client address and per e-mail address, in a fixed window,
counted in ``signin_throttle`` and never on the ``users`` row (customer rows are read by the
platforms; an unknown e-mail has no row at all).

``admit(email, ip)`` runs in its own short transaction *before* the password step
(``signin.sign_in``): it counts the attempt under both keys with one atomic upsert each, commits,
and refuses with ``TooManyAttempts`` when either count passes its limit
(``DASHBOARD_SIGNIN_MAX_PER_ADDRESS`` / ``DASHBOARD_SIGNIN_MAX_PER_EMAIL`` per
``DASHBOARD_SIGNIN_WINDOW_MINUTES``). Every attempt counts, whatever the account, so the answer says
nothing about whether the e-mail exists. Its own transaction means the row lock of the upsert is
released at once: sign-ins from one address (an office behind one NAT) never queue behind each
other's password checks.

``note_failure`` keeps the audit log readable under a flood: failed attempts on accounts that are
not back-office users (unknown e-mails, customers) add to the address's ``failures`` count, and an
``auth.sign_in_failed`` row is written only for the 1st, 10th, 100th... failure from that address in
the window (its details carry the count). Failed attempts on real staff accounts keep one row each
(``attempts.count_failure``).

PostgreSQL rather than Redis: the app already depends on it, the count commits with the audit row,
and a restart or a second backend process sees the same counts, with no new service to run.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from dashboard.audit import chain as audit
from dashboard.auth import crypto, rules
from dashboard.auth.attempts import refuse
from dashboard.config import get_settings
from dashboard.core.actor import Actor
from dashboard.core.errors import NotAuthenticated

_PURPOSE = "signin-throttle"

_COUNT = sa.text("""
    INSERT INTO signin_throttle AS t (key, kind, window_start, attempts, failures)
    VALUES (:key, :kind, :now, 1, 0)
    ON CONFLICT (key) DO UPDATE SET
        window_start = CASE WHEN t.window_start <= :stale THEN :now ELSE t.window_start END,
        attempts = CASE WHEN t.window_start <= :stale THEN 1 ELSE t.attempts + 1 END,
        failures = CASE WHEN t.window_start <= :stale THEN 0 ELSE t.failures END
    RETURNING attempts
""")
_FAIL = sa.text("""
    UPDATE signin_throttle SET failures = failures + 1
    WHERE key = :key AND window_start > :stale
    RETURNING failures, window_start
""")


class TooManyAttempts(NotAuthenticated):
    """Over the limit for this address or this e-mail: the same answer for every kind of account."""

    def __init__(self) -> None:
        super().__init__(rules.too_many_attempts())


def window() -> timedelta:
    return timedelta(minutes=get_settings().signin_window_minutes)


def address_key(ip: str | None) -> str:
    return crypto.keyed_digest(f"address:{ip or 'unknown'}", purpose=_PURPOSE)


def email_key(email: str) -> str:
    return crypto.keyed_digest(f"email:{email}", purpose=_PURPOSE)


def admit(session: Session, *, email: object, ip_address: object = None, user_agent: object = None) -> None:
    """Count one sign-in attempt for the client address and the e-mail; ``TooManyAttempts`` (after
    committing the count) when either is over its limit. ``InvalidInput`` for a malformed e-mail,
    before anything is counted."""
    address = rules.normalise_email(email)
    ip = rules.clean_ip(ip_address)
    now = rules.utcnow()
    settings = get_settings()
    stale = now - window()
    over: list[tuple[str, int, int]] = []
    for kind, key, limit in (("address", address_key(ip), settings.signin_max_per_address),
                             ("email", email_key(address), settings.signin_max_per_email)):
        attempts = session.execute(_COUNT, {"key": key, "kind": kind, "now": now, "stale": stale}).scalar_one()
        if attempts > limit:
            over.append((kind, attempts, limit))
    if not over:
        return
    if any(attempts == limit + 1 for _, attempts, limit in over):  # one audit row per key and window
        actor = Actor(user_id=None, email=None, role=None, ip_address=ip, user_agent=rules.clean_user_agent(user_agent))
        audit.record(session, actor=actor, action="auth.sign_in_throttled", target_type="user", target_id=None,
                     description=f"Sign-in attempts throttled ({', '.join(kind for kind, _, _ in over)})",
                     details={"email": address, "over": [kind for kind, _, _ in over],
                              "limits": {kind: limit for kind, _, limit in over},
                              "window_minutes": settings.signin_window_minutes})
    refuse(session, TooManyAttempts())


def _worth_a_row(failures: int) -> bool:
    """1, 10, 100, 1000...: a handful of rows per address and window, however large the flood."""
    while failures % 10 == 0 and failures > 1:
        failures //= 10
    return failures == 1


def note_failure(session: Session, *, actor: Actor, email: str, reason: str, user_id: uuid.UUID | None) -> None:
    """A failed attempt on an account that is not a back-office user: counted on the address's
    throttle row, summarised in the audit log (see the module docstring). Without a throttle row
    (``admit`` was not called, e.g. a direct service call) the attempt is audited on its own."""
    now: datetime = rules.utcnow()
    row = session.execute(_FAIL, {"key": address_key(actor.ip_address), "stale": now - window()}).first()
    failures = row.failures if row is not None else 1
    if row is not None and not _worth_a_row(failures):
        return
    details: dict[str, object] = {"email": email, "reason": reason, "failures_in_window": failures}
    if row is not None:
        details["window_start"] = row.window_start.isoformat()
    summary = "" if failures == 1 else f"; {failures} such failures from this address in this window"
    audit.record(session, actor=actor, action="auth.sign_in_failed", target_type="user", target_id=user_id,
                 description=f"Sign-in refused for {email} ({reason.replace('_', ' ')}){summary}", details=details)
