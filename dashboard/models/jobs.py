"""What each scheduled job did (dashboard/jobs/schedules.py): one row per run, kept for the audit screen
("last chain verification") and the overview's job health."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from dashboard.models.base import Created, Field, datetime, text, ts


class ScheduledRun(Created, table=True):
    __tablename__ = "scheduled_runs"
    __table_args__ = (sa.Index("ix_scheduled_runs_name_started_at", "name", "started_at"),)

    name: str = text(64, nullable=False)  # the schedule: snapshot, audit_verify, ...
    started_at: datetime = ts(nullable=False)
    finished_at: datetime = ts(nullable=False)
    ok: bool = Field(nullable=False)
    summary: str = text(None, nullable=False)  # one line an officer can read
    details: dict = Field(default_factory=dict, sa_type=pg.JSONB(), nullable=False)
