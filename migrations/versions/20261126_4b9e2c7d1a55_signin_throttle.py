"""signin_throttle: sign-in attempts per client address and per e-mail, per window

Revision ID: 4b9e2c7d1a55
Revises: a4d9c2e7f150
Create Date: 2026-11-26 03:00:00.000000+00:00

Issue 12: the throttle lives in its own table so that nothing is written to ``users`` (customer
rows are read by the platforms). Keys are HMACs of the address or the normalised e-mail.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '4b9e2c7d1a55'
down_revision: Union[str, None] = 'a4d9c2e7f150'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'signin_throttle',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.CheckConstraint("kind IN ('address', 'email')", name=op.f('ck_signin_throttle_kind_known')),
        sa.CheckConstraint('attempts >= 0 AND failures >= 0', name=op.f('ck_signin_throttle_counts_non_negative')),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_signin_throttle')),
    )
    op.create_index('ix_signin_throttle_window_start', 'signin_throttle', ['window_start'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_signin_throttle_window_start', table_name='signin_throttle')
    op.drop_table('signin_throttle')
