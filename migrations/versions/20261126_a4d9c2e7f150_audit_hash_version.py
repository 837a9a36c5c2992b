"""audit log: hash_version (the chain becomes keyed with HMAC-SHA256)

``row_hash`` of new rows is HMAC-SHA256 with the audit key, which the database does not hold. Rows
already written keep their plain SHA-256 hash: re-keying them would mean updating every row, which
the append-only trigger refuses (and should: a migration that rewrites history is what the chain is
there to catch). So each row says its scheme: existing rows get 1 (ADD COLUMN with a constant
default fills them without an UPDATE, so no trigger fires), then the default becomes 2 for every
row written from now on. The first keyed row's HMAC covers the last legacy row through
``prev_hash``, and the verifier refuses a version 1 row after a version 2 one.

Revision ID: a4d9c2e7f150
Revises: 3f8a1c6e2b57
Create Date: 2026-11-26 09:00:00.000000+00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

revision: str = 'a4d9c2e7f150'
down_revision: Union[str, None] = '3f8a1c6e2b57'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column('activity_logs', sa.Column('hash_version', sa.SmallInteger(), nullable=False, server_default='1'))
    op.alter_column('activity_logs', 'hash_version', server_default='2')


def downgrade() -> None:
    op.drop_column('activity_logs', 'hash_version')
