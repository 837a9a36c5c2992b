"""group_balances: count only settled, real credits (not simulated ones)

Revision ID: b7d3e1f0a9c2
Revises: 9dea6b3983b0
Create Date: 2026-12-03 09:00:00.000000+00:00

Issue 14, item 12: a group's balance is what it can pay out. Seed 004's ledger marks demo credits
``simulated`` (money that never arrived) and each credit's ``rule_status`` (``VALID`` once the credit has
passed the platform's rules, i.e. settled). Until now every CREDIT counted. From this revision the
balance is: settled (``rule_status = 'VALID'``) non-simulated CREDITs minus every DEBIT (money out is out,
whatever its flags). The triggers keep the same shape (statement level, transition tables); a row whose
flags change later moves the balance by the difference. The balances are recomputed; a group whose
debits exceed its settled real credits stops the upgrade with the groups named (nothing is changed).
"""
from typing import Sequence, Union

from alembic import op
from sqlalchemy import text

revision: str = 'b7d3e1f0a9c2'
down_revision: Union[str, None] = '9dea6b3983b0'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

OLD_SIGNED = "CASE WHEN type = 'CREDIT' THEN amount_kobo ELSE -amount_kobo END"
# The same expression as dashboard.groups.balances.COUNTED_KOBO (kept here: a migration is frozen).
NEW_SIGNED = ("CASE WHEN type <> 'CREDIT' THEN -amount_kobo "
              "WHEN simulated OR rule_status IS DISTINCT FROM 'VALID' THEN 0 ELSE amount_kobo END")


def _function(signed: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION group_balances_apply() RETURNS trigger LANGUAGE plpgsql AS $$
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
      FROM (SELECT group_id, sum({signed}) AS delta FROM new_rows GROUP BY group_id) AS d
      WHERE b.group_id = d.group_id AND d.delta <> 0;
  ELSIF TG_OP = 'DELETE' THEN
    UPDATE group_balances AS b SET balance_kobo = b.balance_kobo + d.delta, updated_at = now()
      FROM (SELECT group_id, -sum({signed}) AS delta FROM old_rows GROUP BY group_id) AS d
      WHERE b.group_id = d.group_id AND d.delta <> 0;
  ELSE
    INSERT INTO group_balances (group_id, balance_kobo)
      SELECT DISTINCT group_id, 0 FROM new_rows ORDER BY group_id
      ON CONFLICT (group_id) DO NOTHING;
    UPDATE group_balances AS b SET balance_kobo = b.balance_kobo + d.delta, updated_at = now()
      FROM (SELECT group_id, sum(delta) AS delta FROM (
              SELECT group_id, {signed} AS delta FROM new_rows
              UNION ALL SELECT group_id, -({signed}) FROM old_rows) AS u
            GROUP BY group_id) AS d
      WHERE b.group_id = d.group_id AND d.delta <> 0;
  END IF;
  RETURN NULL;
END
$$
"""


def _rebuild(signed: str) -> None:
    bind = op.get_bind()
    short = bind.execute(text(
        f"SELECT group_id, sum({signed}) FROM ledger_entry GROUP BY group_id HAVING sum({signed}) < 0 "
        "ORDER BY group_id LIMIT 20")).all()
    if short:
        listed = ", ".join(f"{g} ({k} kobo)" for g, k in short)
        raise RuntimeError("group_balances: these groups paid out more than their settled, real credits; "
                           f"fix their ledger before upgrading: {listed}")
    op.execute("DELETE FROM group_balances")
    op.execute(f"INSERT INTO group_balances (group_id, balance_kobo, updated_at) "
               f"SELECT group_id, sum({signed}), now() FROM ledger_entry GROUP BY group_id")


def upgrade() -> None:
    op.execute(_function(NEW_SIGNED))
    _rebuild(NEW_SIGNED)


def downgrade() -> None:
    op.execute(_function(OLD_SIGNED))
    _rebuild(OLD_SIGNED)
