"""Reading the staff screen's two lists (``Perm.STAFF_MANAGE``, ADMIN only): staff accounts and open
back-office sessions, each a keyset page of display rows with the total beside it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from dashboard.auth import rules as auth_rules
from dashboard.core.actor import Actor
from dashboard.core.errors import InvalidInput
from dashboard.core.listing import Page, check_limit, cut_page, like_pattern, optional_cursor
from dashboard.core.permissions import Perm, requires
from dashboard.models import ActiveSession, User
from dashboard.models.enums import STAFF_ROLES
from dashboard.staff import rules
from dashboard.staff.accounts import check_manager


def _count(session: Session, model: Any, conditions: list[Any]) -> int:
    return int(session.execute(sa.select(sa.func.count()).select_from(model).where(*conditions)).scalar_one())


@requires(Perm.STAFF_MANAGE)
def list_staff(session: Session, *, actor: Actor, search: object = None, role: object = None,
               include_inactive: object = False, after: object = None, limit: object = rules.PAGE_SIZE) -> Page:
    """Staff accounts ordered by email, ``limit`` at a time; ``extra["total"]`` counts every match.
    The cursor is the id of the last account shown (its email is the key)."""
    check_manager(session, actor)
    term = rules.search_term(search)
    role_filter = rules.staff_role(role) if role not in (None, "") else None
    if not isinstance(include_inactive, bool):
        raise InvalidInput(rules.ON_OR_OFF)
    start = optional_cursor(after, (uuid.UUID,))
    size = check_limit(limit, rules.MAX_STAFF_PAGE)

    conditions: list[Any] = [User.role.in_([role_filter] if role_filter else [str(r) for r in STAFF_ROLES])]
    if not include_inactive:
        conditions.append(User.is_active.is_(True))
    if term:
        pattern = like_pattern(term)
        full_name = sa.func.concat(User.first_name, " ", User.last_name)
        conditions.append(sa.or_(User.email.ilike(pattern, escape="\\"), full_name.ilike(pattern, escape="\\")))
    total = _count(session, User, conditions)
    page_conditions = list(conditions)
    if start:
        seen = aliased(User)
        page_conditions.append(User.email > sa.select(seen.email).where(seen.id == start[0]).scalar_subquery())
    users = session.exec(select(User).where(*page_conditions).order_by(User.email).limit(size + 1)).all()
    shown, next_cursor = cut_page(users, size, lambda u: (u.id,))
    now = auth_rules.utcnow()
    return Page([rules.account_row(u, now) for u in shown], next_cursor, {"total": total})


@requires(Perm.STAFF_MANAGE)
def list_sessions(session: Session, *, actor: Actor, user_id: object = None, after: object = None,
                  limit: object = rules.PAGE_SIZE) -> Page:
    """Open back-office sessions (not revoked, not expired, not idle), most recently used first;
    of one account when ``user_id`` is given. ``extra["total"]`` counts them all."""
    check_manager(session, actor)
    start = optional_cursor(after, (datetime, uuid.UUID))
    size = check_limit(limit, rules.MAX_SESSIONS_PAGE)
    now = auth_rules.utcnow()
    conditions: list[Any] = [
        ActiveSession.revoked.is_(False),
        ActiveSession.expires_at > now,
        sa.or_(ActiveSession.two_factor_verified.is_(False),
               ActiveSession.last_active_at > now - auth_rules.idle_timeout()),
    ]
    if user_id is not None:
        conditions.append(ActiveSession.user_id == rules.parse_id(user_id))
    total = _count(session, ActiveSession, conditions)
    page_conditions = list(conditions)
    if start:
        moment, last_id = start
        page_conditions.append(sa.or_(ActiveSession.last_active_at < moment,
                                      sa.and_(ActiveSession.last_active_at == moment, ActiveSession.id > last_id)))
    rows = session.execute(
        sa.select(ActiveSession, User).join(User, User.id == ActiveSession.user_id)
        .where(*page_conditions).order_by(ActiveSession.last_active_at.desc(), ActiveSession.id).limit(size + 1)
    ).all()
    shown, next_cursor = cut_page(rows, size, lambda r: (r[0].last_active_at, r[0].id))
    return Page([_session_row(s, u, actor) for s, u in shown], next_cursor, {"total": total})


def _session_row(s: ActiveSession, u: User, actor: Actor) -> dict[str, Any]:
    return {
        "id": str(s.id),
        "user_id": str(u.id),
        "email": u.email,
        "name": f"{u.first_name} {u.last_name}",
        "role": str(u.role),
        "device": s.device or auth_rules.describe_device(s.user_agent),
        "ip_address": str(s.ip_address) if s.ip_address else "",
        "user_agent": (s.user_agent or "")[:200],
        "created": rules.when(s.created_at),
        "last_active": rules.when(s.last_active_at),
        "expires": rules.when(s.expires_at),
        "status": "Signed in" if s.two_factor_verified else "Awaiting second step",
        "is_current": actor.session_id == s.id,
    }
