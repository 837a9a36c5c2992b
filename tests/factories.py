"""Minimal valid rows for service and constraint tests (one function per table, keyword overrides)."""

from __future__ import annotations

import itertools
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from dashboard import models as m

_counter = itertools.count(1)


def _n() -> int:
    return next(_counter)


def _add(session: Session, row: Any) -> Any:
    session.add(row)
    session.flush()
    return row


def user(session: Session, **kw: Any) -> m.User:
    n = _n()
    values: dict[str, Any] = {
        "email": f"user{n}-{uuid.uuid4().hex[:6]}@example.com",
        "first_name": "Ada",
        "last_name": f"Lovelace{n}",
        "role": "CUSTOMER",
        "account_type": "STOCK",
        "country": "GB",
    }
    values.update(kw)
    if values["role"] != "CUSTOMER" and "account_type" not in kw:
        values["account_type"] = None
    return _add(session, m.User(**values))


def portfolio(session: Session, owner: m.User | None = None, **kw: Any) -> m.Portfolio:
    owner = owner or user(session)
    return _add(session, m.Portfolio(user_id=owner.id, **kw))


def snapshot(session: Session, pf: m.Portfolio, day: date, **kw: Any) -> m.PortfolioSnapshot:
    values: dict[str, Any] = {
        "total_value": Decimal("100.00"),
        "crypto_value": Decimal("50.00"),
        "stock_value": Decimal("25.00"),
        "cash_value": Decimal("25.00"),
        "total_pnl": Decimal("0"),
        "total_pnl_percent": Decimal("0"),
    }
    values.update(kw)
    return _add(session, m.PortfolioSnapshot(portfolio_id=pf.id, snapshot_date=day, **values))


def transaction(session: Session, owner: m.User | None = None, **kw: Any) -> m.Transaction:
    owner = owner or user(session)
    values: dict[str, Any] = {
        "reference": f"TX-{uuid.uuid4().hex[:12].upper()}",
        "transaction_type": "DEPOSIT",
        "amount": Decimal("100.00"),
        "currency": "USD",
        "amount_usd": Decimal("100.00"),
        "method": "WIRE_TRANSFER",
    }
    values.update(kw)
    return _add(session, m.Transaction(user_id=owner.id, **values))


def group(session: Session, creator: m.User | None = None, **kw: Any) -> m.Group:
    creator = creator or user(session)
    return _add(session, m.Group(name=f"Group {_n()}", created_by=creator.id, **kw))


def membership(session: Session, grp: m.Group, member: m.User, role: str = "TREASURER", **kw: Any) -> m.GroupMembership:
    return _add(session, m.GroupMembership(group_id=grp.id, user_id=member.id, role_in_group=role, **kw))


def withdrawal(session: Session, grp: m.Group, requester: m.User, **kw: Any) -> m.WithdrawalRequest:
    values: dict[str, Any] = {
        "amount_kobo": 500_000,
        "beneficiary": {"bank": "Wema Bank", "account_number": "0123456789", "name": "Ada Lovelace"},
        "expires_at": datetime.now(timezone.utc) + timedelta(days=2),
    }
    values.update(kw)
    return _add(session, m.WithdrawalRequest(group_id=grp.id, requested_by=requester.id, **values))


def account(session: Session, grp: m.Group, **kw: Any) -> m.Account:
    return _add(session, m.Account(group_id=grp.id, virtual_account_number=f"99{_n():08d}", status="active", **kw))


def payout(session: Session, wr: m.WithdrawalRequest, **kw: Any) -> m.Payout:
    values: dict[str, Any] = {
        "provider": "sandbox",
        "amount_kobo": wr.amount_kobo,
        "beneficiary": wr.beneficiary,
        "status": "PENDING",
    }
    values.update(kw)
    return _add(session, m.Payout(withdrawal_id=wr.id, **values))


def verification(session: Session, owner: m.User | None = None, **kw: Any) -> m.KycVerification:
    owner = owner or user(session)
    values: dict[str, Any] = {
        "document_type": "PASSPORT",
        "document_number": f"P{_n():08d}",
        "first_name": owner.first_name,
        "last_name": owner.last_name,
        "date_of_birth": date(1990, 1, 1),
        "address": "1 Main Street, London",
    }
    values.update(kw)
    return _add(session, m.KycVerification(user_id=owner.id, **values))
