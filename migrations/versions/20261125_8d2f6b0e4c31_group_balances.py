"""group_balances: each group's ledger balance, kept by triggers on ledger_entry, backfilled

Revision ID: 8d2f6b0e4c31
Revises: 5b7d1e2a9c40
Create Date: 2026-11-22 03:00:00.000000+00:00

Statement-level AFTER triggers with transition tables: one aggregate per statement (a bulk COPY
of a million ledger rows costs one GROUP BY, not a million row updates). The balance row of every
touched group is created first with 0, then moved by the statement's net delta, so the CHECK
``balance_kobo >= 0`` is only judged on the real result. TRUNCATE of the ledger empties the table.
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op
from sqlalchemy.dialects import postgresql


revision: str = '8d2f6b0e4c31'
down_revision: Union[str, None] = '5b7d1e2a9c40'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

SIGNED = "CASE WHEN type = 'CREDIT' THEN amount_kobo ELSE -amount_kobo END"

FUNCTION = f"""
CREATE FUNCTION group_balances_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    DELETE FROM group_balances;
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    INSERT INTO group_balances (group_id, balance_kobo)
      SELECT DISTINCT group_id, 0 FROM new_rows ORDER BY group_id
      ON CONFLICT (group_id) DO NOTHING;
    UPDATE group_balances AS b SET balance_kobo = b.balance_kobo + d.delta, updated_at = now()
      FROM (SELECT group_id, sum({SIGNED}) AS delta FROM new_rows GROUP BY group_id) AS d
      WHERE b.group_id = d.group_id AND d.delta <> 0;
  ELSIF TG_OP = 'DELETE' THEN
    UPDATE group_balances AS b SET balance_kobo = b.balance_kobo + d.delta, updated_at = now()
      FROM (SELECT group_id, -sum({SIGNED}) AS delta FROM old_rows GROUP BY group_id) AS d
      WHERE b.group_id = d.group_id AND d.delta <> 0;
  ELSE
    INSERT INTO group_balances (group_id, balance_kobo)
      SELECT DISTINCT group_id, 0 FROM new_rows ORDER BY group_id
      ON CONFLICT (group_id) DO NOTHING;
    UPDATE group_balances AS b SET balance_kobo = b.balance_kobo + d.delta, updated_at = now()
      FROM (SELECT group_id, sum(delta) AS delta FROM (
              SELECT group_id, {SIGNED} AS delta FROM new_rows
              UNION ALL SELECT group_id, -({SIGNED}) FROM old_rows) AS u
            GROUP BY group_id) AS d
      WHERE b.group_id = d.group_id AND d.delta <> 0;
  END IF;
  RETURN NULL;
END
$$
"""

TRIGGERS = [
    "CREATE TRIGGER ledger_entry_balance_insert AFTER INSERT ON ledger_entry "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION group_balances_apply()",
    "CREATE TRIGGER ledger_entry_balance_update AFTER UPDATE ON ledger_entry "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION group_balances_apply()",
    "CREATE TRIGGER ledger_entry_balance_delete AFTER DELETE ON ledger_entry "
    "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION group_balances_apply()",
    "CREATE TRIGGER ledger_entry_balance_truncate AFTER TRUNCATE ON ledger_entry "
    "FOR EACH STATEMENT EXECUTE FUNCTION group_balances_apply()",
]

# The database's own guard for the first approval rule: nobody approves their own request (the
# service checks it too, with a clear message; this catches any other writer).
APPROVAL_GUARD = """
CREATE FUNCTION approval_not_by_requester() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM withdrawal_request w
             WHERE w.id = NEW.withdrawal_id AND w.requested_by = NEW.approver_user_id) THEN
    RAISE EXCEPTION 'the requester cannot approve their own withdrawal request'
      USING ERRCODE = 'check_violation', CONSTRAINT = 'approval_not_by_requester';
  END IF;
  RETURN NEW;
END
$$
"""

# The same statement as groups.balances.rebuild_group_balances.
BACKFILL = f"""
INSERT INTO group_balances (group_id, balance_kobo, updated_at)
SELECT group_id, sum({SIGNED}), now() FROM ledger_entry GROUP BY group_id
"""


def upgrade() -> None:
    op.create_table(
        'group_balances',
        sa.Column('group_id', postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column('balance_kobo', sa.BigInteger(), server_default='0', nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint('balance_kobo >= 0', name=op.f('ck_group_balances_balance_kobo_non_negative')),
        sa.ForeignKeyConstraint(['group_id'], ['group.id'], name=op.f('fk_group_balances_group_id_group')),
        sa.PrimaryKeyConstraint('group_id', name=op.f('pk_group_balances')),
    )
    op.execute(BACKFILL)
    op.create_index('ix_withdrawal_request_created_at_id', 'withdrawal_request', ['created_at', 'id'], unique=False)
    op.execute(FUNCTION)
    for statement in TRIGGERS:
        op.execute(statement)
    op.execute(APPROVAL_GUARD)
    op.execute("CREATE TRIGGER approval_not_by_requester BEFORE INSERT OR UPDATE ON approval "
               "FOR EACH ROW EXECUTE FUNCTION approval_not_by_requester()")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS approval_not_by_requester ON approval")
    op.execute("DROP FUNCTION IF EXISTS approval_not_by_requester()")
    for name in ("insert", "update", "delete", "truncate"):
        op.execute(f"DROP TRIGGER IF EXISTS ledger_entry_balance_{name} ON ledger_entry")
    op.execute("DROP FUNCTION IF EXISTS group_balances_apply()")
    op.drop_index('ix_withdrawal_request_created_at_id', table_name='withdrawal_request')
    op.drop_table('group_balances')
