"""audit log: append-only triggers, actor email index

The database itself refuses UPDATE, DELETE and TRUNCATE on activity_logs (a row trigger and a
statement trigger calling one plpgsql function), so no code path, bug or console session can
rewrite history; tampering that bypasses the triggers (a superuser with session_replication_role
= replica) is caught by the hash chain (``python -m dashboard.cli audit verify``).

The (actor_email, seq) index serves the audit page's "actor" filter: the distinct e-mails are
walked with a loose index scan and each matching actor's newest entries are read in seq order.

Revision ID: 153ee92d13d1
Revises: 1e88cc939c9f
Create Date: 2026-11-23 09:00:00.000000+00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

revision: str = '153ee92d13d1'
down_revision: Union[str, None] = '1e88cc939c9f'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

REFUSE_FUNCTION = """
CREATE FUNCTION activity_logs_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'activity_logs is append-only: % refused (audit entries can never be changed or removed)', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Record a new audit entry that describes the correction instead.';
END;
$$
"""


def upgrade() -> None:
    op.create_index('ix_activity_logs_actor_email_seq', 'activity_logs', ['actor_email', 'seq'], unique=False)
    op.execute(REFUSE_FUNCTION)
    op.execute(
        "CREATE TRIGGER activity_logs_append_only BEFORE UPDATE OR DELETE ON activity_logs "
        "FOR EACH ROW EXECUTE FUNCTION activity_logs_refuse_change()"
    )
    op.execute(
        "CREATE TRIGGER activity_logs_no_truncate BEFORE TRUNCATE ON activity_logs "
        "FOR EACH STATEMENT EXECUTE FUNCTION activity_logs_refuse_change()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS activity_logs_no_truncate ON activity_logs")
    op.execute("DROP TRIGGER IF EXISTS activity_logs_append_only ON activity_logs")
    op.execute("DROP FUNCTION IF EXISTS activity_logs_refuse_change()")
    op.drop_index('ix_activity_logs_actor_email_seq', table_name='activity_logs')
