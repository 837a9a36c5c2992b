"""The rules the services enforce, walked over generated data (issue 14, item 10).

Each rule is a query that returns the rows breaking it (the first few, for the failure message), built
from the services' own vocabulary: who may decide what comes from ``core.permissions``, the maker-checker
threshold from ``settings``, the statuses from each domain's ``rules``. The generator must only produce
what the services (or, for what they do not decide, the platforms) could have produced, so a generator
change that breaks one fails the test that walks these (``test_generated_rules``, ``test_demo_today``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg

from dashboard.core.permissions import Perm, has_permission
from dashboard.db import to_libpq_url
from dashboard.groups.balances import COUNTED_KOBO
from dashboard.kyc import rules as kyc_rules
from dashboard.models.enums import Role
from dashboard.seed.support_copy import SCRIPTS
from dashboard.seed.support import CUSTOMER_FILLER, STAFF_FILLER
from dashboard.transactions import rules as tx_rules

Q = tx_rules.Queue
LIMIT = 5


def roles_with(perm: Perm) -> list[str]:
    return [r.value for r in Role if has_permission(r.value, perm)]


@dataclass(frozen=True)
class Rule:
    name: str
    sql: str  # selects offending rows (at most LIMIT are reported)
    params: Callable[[], dict[str, Any]] = dict


def _p(**values: Any) -> Callable[[], dict[str, Any]]:
    return lambda: values


DECIDERS = _p(roles=roles_with(Perm.TRANSACTIONS_APPROVE))
REVIEWERS = _p(roles=roles_with(Perm.KYC_REVIEW))
AGENTS = _p(roles=roles_with(Perm.SUPPORT_REPLY))
QUEUE_TYPES = list(tx_rules.QUEUE_TYPES)
OPEN_TX = list(tx_rules.PENDING[Q.DEPOSITS])
FOUR_EYES = list(tx_rules.FOUR_EYES_TYPES)
THRESHOLD = "(SELECT second_approval_threshold_usd FROM settings WHERE id = 1)"
HIGH_RISK = list(kyc_rules.HIGH_RISK)
OFFICER_AT = """EXISTS (SELECT 1 FROM group_membership m WHERE m.group_id = {g} AND m.user_id = {u}
                AND m.role_in_group IN ('OWNER', 'TREASURER') AND m.joined_at <= {t}
                AND (m.removed_at IS NULL OR {t} < m.removed_at))"""

RULES: list[Rule] = [
    # --- who decides (core.permissions) ---------------------------------------------------------------
    Rule("deposits and withdrawals are decided by officers holding transactions.approve", """
        SELECT t.reference, u.role FROM transactions t JOIN users u ON u.id IN (t.processed_by, t.first_approved_by)
        WHERE u.role <> ALL(%(roles)s)""", DECIDERS),
    Rule("crypto orders are decided by officers holding transactions.approve", """
        SELECT c.reference, u.role FROM crypto_transactions c JOIN users u ON u.id IN (c.processed_by, c.first_approved_by)
        WHERE u.role <> ALL(%(roles)s)""", DECIDERS),
    Rule("gift-card orders are decided by officers holding transactions.approve", """
        SELECT g.reference, u.role FROM gift_card_orders g JOIN users u ON u.id = g.processed_by
        WHERE u.role <> ALL(%(roles)s)""", DECIDERS),
    Rule("KYC cases and documents are reviewed and claimed by officers holding kyc.review", """
        SELECT v.id, u.role FROM kyc_verifications v
        JOIN users u ON u.id IN (v.reviewed_by_id, v.first_approved_by_id, v.claimed_by_id)
        WHERE u.role <> ALL(%(roles)s)
        UNION ALL SELECT d.id, u.role FROM kyc_documents d JOIN users u ON u.id = d.reviewed_by WHERE u.role <> ALL(%(roles)s)
        UNION ALL SELECT c.id, u.role FROM users c JOIN users u ON u.id = c.kyc_approved_by WHERE u.role <> ALL(%(roles)s)""",
         REVIEWERS),
    Rule("staff messages and internal notes come from agents holding support.reply", """
        SELECT m.id, u.role FROM support_messages m JOIN users u ON u.id = m.sender_id
        WHERE u.role <> 'CUSTOMER' AND u.role <> ALL(%(roles)s)""", AGENTS),
    Rule("tickets are assigned to support agents only", """
        SELECT t.number, u.role FROM support_tickets t JOIN users u ON u.id = t.assigned_to_id WHERE u.role <> 'SUPPORT'"""),
    Rule("customers write only in their own tickets", """
        SELECT m.id FROM support_messages m JOIN support_tickets t ON t.id = m.ticket_id JOIN users u ON u.id = m.sender_id
        WHERE u.role = 'CUSTOMER' AND m.sender_id <> t.user_id"""),
    Rule("group approvals come from officers in office when they approved, never the requester", f"""
        SELECT a.id FROM approval a JOIN withdrawal_request w ON w.id = a.withdrawal_id
        WHERE a.approver_user_id = w.requested_by
           OR NOT {OFFICER_AT.format(g="w.group_id", u="a.approver_user_id", t="a.created_at")}"""),
    Rule("payouts are made by officers in office, before the request expires", f"""
        SELECT p.id FROM payout_attempt p JOIN withdrawal_request w ON w.id = p.withdrawal_id
        WHERE p.created_at >= w.expires_at
           OR NOT {OFFICER_AT.format(g="w.group_id", u="p.started_by", t="p.created_at")}"""),
    Rule("status changes are made by officers who may make them", """
        SELECT h.entity_type, h.to_status, u.role FROM status_history h JOIN users u ON u.id = h.actor_id
        WHERE u.role <> 'CUSTOMER' AND NOT (
              (h.entity_type IN ('TRANSACTION', 'CRYPTO_TRANSACTION', 'GIFT_CARD_ORDER') AND u.role = ANY(%(deciders)s))
           OR (h.entity_type IN ('KYC_VERIFICATION', 'KYC_DOCUMENT') AND u.role = ANY(%(reviewers)s))
           OR (h.entity_type = 'SUPPORT_TICKET' AND u.role = ANY(%(agents)s)))""",
         lambda: {"deciders": roles_with(Perm.TRANSACTIONS_APPROVE), "reviewers": roles_with(Perm.KYC_REVIEW),
                  "agents": roles_with(Perm.SUPPORT_REPLY)}),
    Rule("platform-booked rows (other types, failed payments) have no reviewing officer", """
        SELECT reference, transaction_type, status FROM transactions
        WHERE (transaction_type <> ALL(%(queue)s) OR status IN ('FAILED', 'CANCELLED')) AND processed_by IS NOT NULL""",
         _p(queue=QUEUE_TYPES)),
    Rule("other transaction types are never waiting in a queue nothing shows", """
        SELECT reference, transaction_type, status FROM transactions
        WHERE transaction_type <> ALL(%(queue)s) AND status = ANY(%(open)s)""", _p(queue=QUEUE_TYPES, open=OPEN_TX)),
    # --- approval counts vs thresholds ----------------------------------------------------------------
    Rule("maker-checker: only a withdrawal above the threshold waits for, or had, a second approval", f"""
        SELECT reference, transaction_type, status, amount_usd FROM transactions
        WHERE (status = 'AWAITING_SECOND_APPROVAL' OR first_approved_by IS NOT NULL)
          AND NOT (transaction_type = ANY(%(four_eyes)s) AND amount_usd > {THRESHOLD})""", _p(four_eyes=FOUR_EYES)),
    Rule("maker-checker: a completed withdrawal above the threshold had two different treasurers", f"""
        SELECT reference FROM transactions WHERE status = 'COMPLETED' AND transaction_type = ANY(%(four_eyes)s)
          AND amount_usd > {THRESHOLD} AND (first_approved_by IS NULL OR first_approved_by = processed_by)""",
         _p(four_eyes=FOUR_EYES)),
    Rule("a withdrawal waiting for its second approval has its first and nothing else", """
        SELECT reference FROM transactions WHERE status = 'AWAITING_SECOND_APPROVAL'
          AND (first_approved_by IS NULL OR processed_by IS NOT NULL)"""),
    Rule("crypto and gift-card orders are decided in one approval (no maker-checker)", """
        SELECT reference FROM crypto_transactions WHERE status = 'AWAITING_SECOND_APPROVAL' OR first_approved_by IS NOT NULL"""),
    Rule("four-eyes KYC: a high-risk approval needs a first and a different second officer", """
        SELECT v.id, v.status FROM kyc_verifications v
        WHERE (v.status = 'AWAITING_SECOND_REVIEW' AND (v.first_approved_by_id IS NULL OR v.reviewed_by_id IS NOT NULL))
           OR (v.status = 'APPROVED' AND (v.risk_level = ANY(%(high)s) OR EXISTS (
                 SELECT 1 FROM compliance_records c WHERE c.verification_id = v.id AND c.risk_level = ANY(%(high)s)))
               AND (v.first_approved_by_id IS NULL OR v.first_approved_by_id = v.reviewed_by_id))
           OR (v.first_approved_by_id IS NOT NULL AND v.status IN ('APPROVED', 'AWAITING_SECOND_REVIEW')
               AND NOT (v.risk_level = ANY(%(high)s) OR EXISTS (
                 SELECT 1 FROM compliance_records c WHERE c.verification_id = v.id AND c.risk_level = ANY(%(high)s))))""",
         _p(high=HIGH_RISK)),
    Rule("a KYC case is approved only with no rejected document; a rejection names a reason of the taxonomy", """
        SELECT v.id, v.status, v.rejection_code FROM kyc_verifications v
        WHERE (v.status IN ('APPROVED', 'AWAITING_SECOND_REVIEW') AND EXISTS (
                 SELECT 1 FROM kyc_documents d WHERE d.verification_id = v.id AND d.status = 'REJECTED'))
           OR (v.status = 'RESUBMIT_REQUIRED' AND v.rejection_code <> ALL(%(retry)s))
           OR (v.status = 'REJECTED' AND v.rejection_code <> ALL(%(final)s))""",
         lambda: {"retry": [r.code for r in kyc_rules.REASONS.values() if r.kind == kyc_rules.RETRY],
                  "final": [r.code for r in kyc_rules.REASONS.values() if r.kind == kyc_rules.FINAL]}),
    Rule("a group request is approved exactly when current approvals reached its quorum", f"""
        SELECT w.id, w.status FROM withdrawal_request w JOIN "group" g ON g.id = w.group_id
        WHERE (w.status IN ('APPROVED', 'PAID') AND (w.approved_at IS NULL OR (
                 SELECT count(*) FROM approval a WHERE a.withdrawal_id = w.id AND a.created_at <= w.approved_at
                   AND {OFFICER_AT.format(g="w.group_id", u="a.approver_user_id", t="w.approved_at")})
               < g.approvals_required))
           OR (w.status = 'PENDING' AND (SELECT count(*) FROM approval a WHERE a.withdrawal_id = w.id
                   AND {OFFICER_AT.format(g="w.group_id", u="a.approver_user_id", t="now()")}) >= g.approvals_required)"""),
    Rule("an approved group request keeps its quorum of current officers (it can be paid)", """
        SELECT w.id FROM withdrawal_request w JOIN "group" g ON g.id = w.group_id WHERE w.status = 'APPROVED'
          AND (SELECT count(*) FROM approval a JOIN group_membership m ON m.group_id = w.group_id
               AND m.user_id = a.approver_user_id AND m.removed_at IS NULL AND m.role_in_group IN ('OWNER', 'TREASURER')
               WHERE a.withdrawal_id = w.id) < g.approvals_required"""),
    Rule("decisions on a group request happen inside its window, payment before it expires", """
        SELECT id FROM withdrawal_request WHERE approved_at > expires_at OR executed_at > expires_at
           OR approved_at < created_at OR executed_at < approved_at"""),
    # --- amounts and balances ------------------------------------------------------------------------
    Rule("deposits and withdrawals follow the account-type rule (transactions.balances)", """
        SELECT t.reference, u.account_type, t.currency, t.method FROM transactions t JOIN users u ON u.id = t.user_id
        WHERE t.transaction_type = ANY(%(queue)s) AND (
              (t.currency = ANY(%(crypto)s)) <> (t.method = 'CRYPTO_TRANSFER')
           OR (u.account_type = 'CRYPTO' AND t.method <> 'CRYPTO_TRANSFER')
           OR (u.account_type = 'STOCK' AND t.method NOT IN ('WIRE_TRANSFER', 'ACH', 'CARD')))""",
         _p(queue=QUEUE_TYPES, crypto=sorted(tx_rules.CRYPTO_CURRENCIES))),
    Rule("a completed deposit or withdrawal moved a portfolio (the service creates one on the first deposit)", """
        SELECT t.reference FROM transactions t WHERE t.status = 'COMPLETED' AND t.transaction_type = ANY(%(queue)s)
          AND NOT EXISTS (SELECT 1 FROM portfolios p WHERE p.user_id = t.user_id)""", _p(queue=QUEUE_TYPES)),
    Rule("a withdrawal was approved (or waits) only for a customer whose KYC is approved", """
        SELECT t.reference, u.kyc_status FROM transactions t JOIN users u ON u.id = t.user_id
        WHERE t.transaction_type = 'WITHDRAWAL' AND (t.status = ANY(%(open)s) OR t.status = 'COMPLETED')
          AND u.kyc_status <> 'APPROVED'""", _p(open=OPEN_TX)),
    Rule("open fiat withdrawals fit in the cash they would debit, together", """
        SELECT t.user_id, sum(t.amount_usd), max(p.cash_value) FROM transactions t
        LEFT JOIN portfolios p ON p.user_id = t.user_id
        WHERE t.transaction_type = 'WITHDRAWAL' AND t.status = ANY(%(open)s) AND t.method <> 'CRYPTO_TRANSFER'
        GROUP BY t.user_id HAVING sum(t.amount_usd) > coalesce(max(p.cash_value), 0)""", _p(open=OPEN_TX)),
    Rule("open crypto withdrawals fit in the holding they would debit, together", """
        SELECT t.user_id, t.currency, sum(t.amount), max(h.quantity) FROM transactions t
        LEFT JOIN portfolios p ON p.user_id = t.user_id
        LEFT JOIN holdings h ON h.portfolio_id = p.id AND h.symbol = t.currency
        WHERE t.transaction_type = 'WITHDRAWAL' AND t.status = ANY(%(open)s) AND t.method = 'CRYPTO_TRANSFER'
        GROUP BY t.user_id, t.currency HAVING sum(t.amount) > coalesce(max(h.quantity), 0)""", _p(open=OPEN_TX)),
    Rule("a portfolio's values are its holdings plus cash, never negative", """
        SELECT p.id FROM portfolios p LEFT JOIN (SELECT portfolio_id, sum(total_value) AS v FROM holdings GROUP BY 1) h
          ON h.portfolio_id = p.id
        WHERE p.cash_value < 0 OR p.total_value <> coalesce(h.v, 0) + p.cash_value
           OR p.crypto_value + p.stock_value <> coalesce(h.v, 0)"""),
    Rule("a holding is worth its quantity at its price", """
        SELECT id FROM holdings WHERE quantity <= 0 OR total_value <> round(quantity * current_price, 2)"""),
    Rule("crypto orders are in the wallet's coin and their amounts agree with the rate (transactions.crypto)", """
        SELECT c.reference FROM crypto_transactions c LEFT JOIN wallets w ON w.user_id = c.user_id
        WHERE w.id IS NULL OR w.crypto_symbol <> c.crypto_symbol OR abs(round(c.crypto_amount * c.rate, 2) - c.cedis_amount) > 0.01"""),
    Rule("a wallet's escrow is the sum of its open orders' holds", """
        SELECT w.id FROM wallets w LEFT JOIN (SELECT user_id, sum(escrow_amount) AS e FROM crypto_transactions
          WHERE status = ANY(%(open)s) GROUP BY 1) o ON o.user_id = w.user_id
        WHERE w.escrow_balance <> coalesce(o.e, 0)""", _p(open=list(tx_rules.PENDING[Q.CRYPTO]))),
    Rule("a wallet's coin is what approved orders bought minus what they sold, and covers its open sales", """
        SELECT w.id FROM wallets w LEFT JOIN (
            SELECT user_id, sum(CASE WHEN type = 'BUY' THEN crypto_amount ELSE -crypto_amount END)
                   FILTER (WHERE status = 'APPROVED') AS held,
                   coalesce(sum(crypto_amount) FILTER (WHERE status = 'PENDING' AND type = 'SELL'), 0) AS selling
            FROM crypto_transactions GROUP BY 1) o ON o.user_id = w.user_id
        WHERE w.balance_crypto <> coalesce(o.held, 0) OR w.balance_crypto < coalesce(o.selling, 0)"""),
    Rule("open purchases can be paid from the wallet's cedis plus their escrow", """
        SELECT w.id FROM wallets w JOIN (SELECT user_id, sum(cedis_amount - escrow_amount) AS due FROM crypto_transactions
          WHERE status = 'PENDING' AND type = 'BUY' GROUP BY 1) o ON o.user_id = w.user_id WHERE w.balance_cedis < o.due"""),
    Rule("gift-card payouts are the face value at the quoted rate", """
        SELECT reference FROM gift_card_orders WHERE payout_cedis <> round(amount * rate, 2)"""),
    Rule("group balances count settled, real credits minus debits, and never went below zero", f"""
        WITH moves AS (SELECT group_id, sum({COUNTED_KOBO}) OVER (PARTITION BY group_id ORDER BY created_at, type, id) AS running
                       FROM ledger_entry)
        SELECT group_id, min(running) FROM moves GROUP BY group_id HAVING min(running) < 0
        UNION ALL
        SELECT b.group_id, b.balance_kobo FROM group_balances b
        WHERE b.balance_kobo <> (SELECT sum({COUNTED_KOBO}) FROM ledger_entry l WHERE l.group_id = b.group_id)"""),
    Rule("an approved group request fits in its group's balance", """
        SELECT w.id FROM withdrawal_request w JOIN group_balances b ON b.group_id = w.group_id
        WHERE w.status = 'APPROVED' AND w.amount_kobo > b.balance_kobo"""),
    Rule("a paid request has one successful payout and one debit PAYOUT-<id> of its amount; nothing else does", """
        SELECT w.id FROM withdrawal_request w
        WHERE (w.status = 'PAID') <> EXISTS (SELECT 1 FROM payout p WHERE p.withdrawal_id = w.id AND p.status = 'SUCCESS')
           OR (w.status = 'PAID') <> EXISTS (SELECT 1 FROM ledger_entry l WHERE l.withdrawal_id = w.id AND l.type = 'DEBIT'
                 AND l.amount_kobo = w.amount_kobo AND l.reference = 'PAYOUT-' || w.id)
           OR (w.status NOT IN ('APPROVED', 'PAID') AND EXISTS (SELECT 1 FROM payout p WHERE p.withdrawal_id = w.id))"""),
    Rule("every payout's provider calls are recorded, numbered, the last one its outcome", """
        SELECT p.id FROM payout p WHERE p.attempts <> (SELECT count(*) FROM payout_attempt a WHERE a.payout_id = p.id)
           OR p.status <> (SELECT a.status FROM payout_attempt a WHERE a.payout_id = p.id ORDER BY a.attempt DESC LIMIT 1)
           OR EXISTS (SELECT 1 FROM payout_attempt a WHERE a.payout_id = p.id AND a.attempt > 1 AND a.kind <> 'RETRY')"""),
    Rule("a support ticket answered in public is no longer OPEN, and its first response is its first reply", """
        SELECT t.number FROM support_tickets t
        WHERE (t.status = 'OPEN') = EXISTS (SELECT 1 FROM support_messages m JOIN users u ON u.id = m.sender_id
                                            WHERE m.ticket_id = t.id AND u.role <> 'CUSTOMER' AND NOT m.is_internal)
           OR t.first_response_at IS DISTINCT FROM (SELECT min(m.created_at) FROM support_messages m JOIN users u
                                                   ON u.id = m.sender_id WHERE m.ticket_id = t.id AND u.role <> 'CUSTOMER'
                                                   AND NOT m.is_internal)"""),
]

# --- status transitions (each domain's statuses) ------------------------------------------------------
T = {"PENDING": "PENDING", "AWAITING": "AWAITING_SECOND_APPROVAL"}
TRANSITIONS: dict[str, set[tuple[str | None, str]]] = {
    "TRANSACTION": {(None, "PENDING"), ("PENDING", T["AWAITING"]), ("PENDING", "COMPLETED"), ("PENDING", "DECLINED"),
                    (T["AWAITING"], "COMPLETED"), (T["AWAITING"], "DECLINED"), ("PENDING", "CANCELLED"),
                    ("PENDING", "FAILED")},
    "CRYPTO_TRANSACTION": {(None, "PENDING"), ("PENDING", "APPROVED"), ("PENDING", "DECLINED")},
    "GIFT_CARD_ORDER": {(None, "PENDING"), ("PENDING", "APPROVED"), ("PENDING", "DECLINED"), ("APPROVED", "COMPLETED")},
    "KYC_VERIFICATION": {(None, "PENDING"), ("PENDING", "UNDER_REVIEW")}
    | {(s, d) for s in ("UNDER_REVIEW", "AWAITING_SECOND_REVIEW") for d in ("APPROVED", "REJECTED", "RESUBMIT_REQUIRED")}
    | {("UNDER_REVIEW", "AWAITING_SECOND_REVIEW")},
    "KYC_DOCUMENT": {("PENDING", "APPROVED"), ("PENDING", "REJECTED")},
    "WITHDRAWAL_REQUEST": {(None, "PENDING"), ("PENDING", "APPROVED"), ("PENDING", "DECLINED"), ("APPROVED", "PAID"),
                           ("APPROVED", "DECLINED")},
    "PAYOUT": {(None, "PENDING"), ("PENDING", "SUCCESS"), ("PENDING", "FAILED"), ("FAILED", "PENDING")},
    "SUPPORT_TICKET": {(None, "OPEN"), ("OPEN", "IN_PROGRESS"), ("IN_PROGRESS", "RESOLVED"), ("RESOLVED", "CLOSED")},
}
CURRENT = {
    "TRANSACTION": "SELECT id, status FROM transactions", "CRYPTO_TRANSACTION": "SELECT id, status FROM crypto_transactions",
    "GIFT_CARD_ORDER": "SELECT id, status FROM gift_card_orders", "KYC_VERIFICATION": "SELECT id, status FROM kyc_verifications",
    "KYC_DOCUMENT": "SELECT id, status FROM kyc_documents", "WITHDRAWAL_REQUEST": "SELECT id, status FROM withdrawal_request",
    "PAYOUT": "SELECT id, status FROM payout", "SUPPORT_TICKET": "SELECT id, status FROM support_tickets",
}


def transition_faults(conn: psycopg.Connection) -> list[str]:
    """Each item's history, in time order, is a path of allowed steps ending at its status (for the kinds
    of item the profile keeps history of)."""
    faults: list[str] = []
    kept = {r[0] for r in conn.execute("SELECT DISTINCT entity_type FROM status_history")}
    for kind in sorted(kept & set(TRANSITIONS)):
        steps: dict[Any, list[tuple[str | None, str]]] = {}
        for entity, before, after in conn.execute(
                "SELECT entity_id, from_status, to_status FROM status_history WHERE entity_type = %s "
                "ORDER BY entity_id, created_at, id", (kind,)):
            steps.setdefault(entity, []).append((before, after))
        for entity, status in conn.execute(CURRENT[kind]):
            path = steps.get(entity)
            if kind == "KYC_DOCUMENT" and path is None:
                ok = status == "PENDING"
            else:
                start = (None, "PENDING") if kind == "KYC_DOCUMENT" else None
                path = ([start] if start else []) + (path or [])
                ok = bool(path) and path[0][0] is None and path[-1][1] == status \
                    and all(step in TRANSITIONS[kind] | ({start} if start else set()) for step in path) \
                    and all(a[1] == b[0] for a, b in zip(path, path[1:]))
            if not ok:
                faults.append(f"{kind} {entity}: {status} after {path}")
                if len(faults) >= LIMIT:
                    return faults
    return faults


# --- conversations follow their subject --------------------------------------------------------------
def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[a-z]+\})", template)
    return re.compile("".join(".+?" if p.startswith("{") else re.escape(p) for p in parts) + r"\Z", re.S)


def script_faults(conn: psycopg.Connection) -> list[str]:
    """Every message of a ticket is a line of its subject's script (or a neutral filler)."""
    lines: dict[str, list[re.Pattern[str]]] = {}
    for scripts in SCRIPTS.values():
        for s in scripts:
            lines[s.subject] = [_pattern(x) for x in (s.opener, *s.replies, *s.follow_ups, s.resolution, *s.notes,
                                                      *STAFF_FILLER, *CUSTOMER_FILLER)]
    faults = []
    for number, subject, message in conn.execute(
            "SELECT t.number, t.subject, m.message FROM support_messages m JOIN support_tickets t ON t.id = m.ticket_id"):
        patterns = lines.get(subject)
        if patterns is None or not any(p.match(message) for p in patterns):
            faults.append(f"ticket #{number} {subject!r}: {message[:80]!r}")
            if len(faults) >= LIMIT:
                break
    return faults


def offending(url: str, rule: Rule) -> list[tuple]:
    with psycopg.connect(to_libpq_url(url)) as conn:
        return offending_in(conn, rule)


def offending_in(conn: psycopg.Connection, rule: Rule) -> list[tuple]:
    return conn.execute(f"SELECT * FROM ({rule.sql}) AS bad LIMIT {LIMIT}", rule.params()).fetchall()


def walk(url: str, check: Callable[[psycopg.Connection], list[str]]) -> list[str]:
    with psycopg.connect(to_libpq_url(url)) as conn:
        return check(conn)
