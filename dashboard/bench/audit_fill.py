"""Synthetic audit entries for benchmarks: ``python -m dashboard.cli audit fill --rows N``.

``fill_synthetic(url, n, seed)`` appends ``n`` realistic, correctly chained entries with COPY. It
continues the existing chain inside one transaction that holds the chain's advisory lock (so
``record()`` writers wait rather than fork the chain) and hashes in Python with the same
``canonical()`` form and keyed hash (HMAC with the audit key) ``record()`` uses.
"""

from __future__ import annotations

import hmac
import json
import random
import time
from datetime import timedelta, timezone

import psycopg
from psycopg.copy import QueuedLibpqWriter

from dashboard.db import to_libpq_url
from dashboard.audit.chain import AUDIT_CHAIN_LOCK, HASH_HMAC, HASHED_FIELDS, audit_key, canonical

MAX_FILL_ROWS = 20_000_000

_STAFF_ROLES = ("ADMIN", "COMPLIANCE", "TREASURER", "MANAGER", "SUPPORT")
_USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Edg/131.0 Safari/537.36",
)
_REJECT_REASONS = (
    "Document expired",
    "Name does not match the document",
    "Photo unreadable",
    "Address proof older than three months",
)
_DECLINE_REASONS = ("Insufficient available balance", "Beneficiary mismatch", "Suspicious activity review")
_CURRENCIES = ("USD", "EUR", "GBP", "GHS", "NGN")

# action -> (weight, target type)
_ACTIONS: dict[str, tuple[float, str | None]] = {
    "auth.sign_in": (30, "user"),
    "auth.sign_out": (10, "user"),
    "auth.sign_in_failed": (2, "user"),
    "kyc.claim": (5, "kyc_verification"),
    "kyc.approve": (6, "kyc_verification"),
    "kyc.reject": (2.5, "kyc_verification"),
    "kyc.request_resubmit": (1, "kyc_verification"),
    "transactions.first_approve": (3, "transaction"),
    "transactions.approve": (7, "transaction"),
    "transactions.decline": (2, "transaction"),
    "crypto.approve": (2, "crypto_transaction"),
    "giftcards.approve": (1.5, "gift_card_order"),
    "support.reply": (10, "support_ticket"),
    "support.assign": (2, "support_ticket"),
    "support.close": (3, "support_ticket"),
    "groups.approve": (4, "withdrawal_request"),
    "groups.reject": (1, "withdrawal_request"),
    "portfolios.export": (1, None),
    "audit.export": (0.5, None),
    "staff.update_role": (0.3, "user"),
    "jobs.portfolio_snapshot": (1.2, "portfolio"),
}


def _uuid(rng: random.Random) -> str:
    """A random version-4 UUID as text (what str(uuid.UUID(...)) gives, without building one)."""
    h = "%032x" % ((rng.getrandbits(128) & ~(0xF000 << 64) & ~(0xC000 << 48)) | (0x4000 << 64) | (0x8000 << 48))
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _money(rng: random.Random, low: int = 10, high: int = 50_000) -> str:
    return f"{rng.randint(low * 100, high * 100) / 100:.2f}"


def _content(action: str, rng: random.Random, actor_email: str) -> tuple[str, dict | None, dict | None, dict | None]:
    """(description, before, after, details) that read like the real service's."""
    if action == "auth.sign_in":
        return "Signed in", None, None, {"method": rng.choice(["password", "password+totp"]), "success": True}
    if action == "auth.sign_out":
        return "Signed out", None, None, {"reason": rng.choice(["user", "idle_timeout"])}
    if action == "auth.sign_in_failed":
        return "Sign-in refused", None, None, {"reason": "bad_password", "failed_attempts": rng.randint(1, 5)}
    if action == "kyc.claim":
        return "Claimed for review", {"status": "PENDING", "claimed_by": None}, {"status": "UNDER_REVIEW", "claimed_by": actor_email}, None
    if action == "kyc.approve":
        return ("Identity verification approved", {"status": "UNDER_REVIEW", "risk_level": rng.choice(["LOW", "MEDIUM"])},
                {"status": "APPROVED", "reviewed_by": actor_email}, {"attempt": rng.randint(1, 3)})
    if action == "kyc.reject":
        reason = rng.choice(_REJECT_REASONS)
        return (f"Identity verification rejected: {reason}", {"status": "UNDER_REVIEW"},
                {"status": "REJECTED", "rejection_reason": reason}, {"attempt": rng.randint(1, 3)})
    if action == "kyc.request_resubmit":
        return "Resubmission requested", {"status": "UNDER_REVIEW"}, {"status": "RESUBMIT_REQUIRED"}, None
    if action.startswith("transactions."):
        amount, currency = _money(rng), rng.choice(_CURRENCIES)
        base = {"amount": amount, "currency": currency, "type": rng.choice(["DEPOSIT", "WITHDRAWAL"])}
        if action == "transactions.first_approve":
            return "First approval", {**base, "status": "PENDING"}, {**base, "status": "AWAITING_SECOND_APPROVAL"}, None
        if action == "transactions.approve":
            return f"Approved {amount} {currency}", {**base, "status": rng.choice(["PENDING", "AWAITING_SECOND_APPROVAL"])}, {**base, "status": "COMPLETED"}, None
        reason = rng.choice(_DECLINE_REASONS)
        return f"Declined: {reason}", {**base, "status": "PENDING"}, {**base, "status": "FAILED", "admin_note": reason}, None
    if action == "crypto.approve":
        return ("Crypto order approved", {"status": "PENDING", "crypto_amount": f"{rng.randint(1, 10**7) / 10**8:.8f}"},
                {"status": "APPROVED"}, {"symbol": rng.choice(["BTC", "ETH", "USDT"])})
    if action == "giftcards.approve":
        return "Gift card order approved", {"status": "PENDING"}, {"status": "APPROVED", "payout_cedis": _money(rng, 50, 5000)}, None
    if action == "support.reply":
        return "Replied to ticket", None, None, {"message_chars": rng.randint(20, 1800), "internal": rng.random() < 0.15}
    if action == "support.assign":
        return "Ticket assigned", {"assigned_to": None}, {"assigned_to": actor_email}, None
    if action == "support.close":
        return "Ticket closed", {"status": "IN_PROGRESS"}, {"status": "CLOSED"}, None
    if action in ("groups.approve", "groups.reject"):
        have = rng.randint(0, 2)
        decision = "APPROVE" if action == "groups.approve" else "REJECT"
        return (f"Withdrawal {decision.lower()}d", {"approvals": have, "status": "PENDING"},
                {"approvals": have + (decision == "APPROVE"), "status": "PENDING" if have < 1 else "APPROVED"},
                {"amount_kobo": rng.randint(10_000, 50_000_000), "decision": decision})
    if action in ("portfolios.export", "audit.export"):
        return "Exported CSV", None, None, {"rows": rng.randint(1, 100_000), "filters": {"action": rng.choice(["", "kyc."])}}
    if action == "staff.update_role":
        old, new = rng.sample(_STAFF_ROLES, 2)
        return f"Role changed from {old} to {new}", {"role": old}, {"role": new}, None
    return "Daily snapshot written", None, None, {"portfolios": rng.randint(100, 100_000)}


def _actors(conn: psycopg.Connection, rng: random.Random) -> list[tuple[str | None, str, str | None]]:
    """(actor_id, email, role): the staff users when there are any, else made-up officers."""
    staff = conn.execute(
        "SELECT id::text, email, role FROM users WHERE role <> 'CUSTOMER' ORDER BY email LIMIT 500"
    ).fetchall()
    if staff:
        return [(a, e, r) for a, e, r in staff]
    return [(None, f"officer{i:02d}@staff.example", rng.choice(_STAFF_ROLES)) for i in range(1, 41)]


COPY_COLUMNS = HASHED_FIELDS + ("row_hash", "hash_version")


def fill_synthetic(url: str, n: int, seed: int = 1) -> float:
    """Append ``n`` chained entries to the audit log at ``url`` with COPY; return the seconds taken.

    One transaction holding the chain's advisory lock: it reads the head, reserves ``n`` seqs,
    hashes every row in Python (same ``canonical()`` as ``record()``) and streams them with COPY.
    Timestamps spread over the two years before now (never before the current head).
    """
    if n < 1 or n > MAX_FILL_ROWS:
        raise ValueError(f"n must be from 1 to {MAX_FILL_ROWS:,}")
    started = time.perf_counter()
    rng = random.Random(seed)
    with psycopg.connect(to_libpq_url(url)) as conn:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (AUDIT_CHAIN_LOCK,))
        head = conn.execute(
            "SELECT row_hash, created_at FROM activity_logs ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        prev_hash, head_at = (head[0], head[1]) if head else (None, None)
        now = conn.execute("SELECT clock_timestamp()").fetchone()[0].astimezone(timezone.utc)
        last = conn.execute(
            "SELECT setval(pg_get_serial_sequence('activity_logs', 'seq'), "
            "nextval(pg_get_serial_sequence('activity_logs', 'seq')) + %s - 1)",
            (n,),
        ).fetchone()[0]
        first_seq = last - n + 1

        actors = _actors(conn, rng)
        sessions = {a[1]: [_uuid(rng) for _ in range(12)] for a in actors}
        ips = [f"{rng.randint(11, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
               for _ in range(1500)]
        ips += [f"2001:db8:{rng.randint(0, 0xFFFF):x}::{rng.randint(1, 0xFFFF):x}" for _ in range(100)]
        target_pools: dict[str, list[str]] = {}
        pool_size = max(50, n // 25)
        names = list(_ACTIONS)
        weights = [_ACTIONS[a][0] for a in names]
        chosen = rng.choices(names, weights=weights, k=n)

        start = now - timedelta(days=730)
        if head_at is not None and head_at > start:
            start = head_at
        span_us = max(int((now - start).total_seconds() * 1_000_000), n)
        step = span_us / n
        base = start

        columns = ", ".join(COPY_COLUMNS)
        dumps = json.dumps
        keyed, key = hmac.digest, audit_key()
        cursor = conn.cursor()
        # the queued writer sends on a worker thread while this one builds and hashes rows
        with cursor.copy(f"COPY activity_logs ({columns}) FROM STDIN", writer=QueuedLibpqWriter(cursor)) as copy:
            for i in range(n):
                action = chosen[i]
                actor_id, email, role = actors[rng.randrange(len(actors))] if action != "jobs.portfolio_snapshot" else (None, "system", None)
                target_type = _ACTIONS[action][1]
                if target_type == "user":
                    target_id = actor_id or _uuid(rng)
                elif target_type is None:
                    target_id = None
                else:
                    pool = target_pools.setdefault(target_type, [])
                    if len(pool) < pool_size and (not pool or rng.random() < 0.5):
                        pool.append(_uuid(rng))
                        target_id = pool[-1]
                    else:
                        target_id = pool[rng.randrange(len(pool))]
                description, before, after, details = _content(action, rng, email)
                created_at = base + timedelta(microseconds=int(i * step + rng.random() * step))
                human = email != "system"
                row = {
                    "seq": first_seq + i,
                    "id": _uuid(rng),
                    "created_at": created_at,
                    "actor_id": actor_id,
                    "actor_role": role,
                    "actor_email": email,
                    "action": action,
                    "target_type": target_type,
                    "target_id": target_id,
                    "description": description,
                    "before": before,
                    "after": after,
                    "details": details,
                    "ip_address": ips[rng.randrange(len(ips))] if human else None,
                    "user_agent": _USER_AGENTS[rng.randrange(len(_USER_AGENTS))] if human else None,
                    "session_id": sessions[email][rng.randrange(12)] if human else None,
                    "correlation_id": _uuid(rng),
                    "prev_hash": prev_hash,
                }
                digest = keyed(key, canonical(row), "sha256").hex()
                copy.write_row((
                    row["seq"], row["id"], created_at, actor_id, role, email, action, target_type, target_id,
                    description,
                    dumps(before) if before is not None else None,
                    dumps(after) if after is not None else None,
                    dumps(details) if details is not None else None,
                    row["ip_address"], row["user_agent"], row["session_id"], row["correlation_id"],
                    prev_hash, digest, HASH_HMAC,
                ))
                prev_hash = digest
        conn.commit()
    with psycopg.connect(to_libpq_url(url), autocommit=True) as conn:
        conn.execute("ANALYZE activity_logs")
    return time.perf_counter() - started
