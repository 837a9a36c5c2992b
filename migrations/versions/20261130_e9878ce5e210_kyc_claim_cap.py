"""KYC claim cap: when the current holder's claim began, and how long renewals may keep it

Revision ID: e9878ce5e210
Revises: e6e57571f246
Create Date: 2026-11-30 01:58:31.993171+00:00

Issue 12, finding 8: renewing a claim (reopening the case) is audited and capped by
``settings.kyc_claim_max_hours`` (default 8), counted from ``kyc_verifications.claimed_since``. Live
claims at upgrade time start counting at their next renewal.
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op


revision: str = 'e9878ce5e210'
down_revision: Union[str, None] = 'e6e57571f246'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column('kyc_verifications', sa.Column('claimed_since', sa.DateTime(timezone=True), nullable=True))
    op.add_column('settings', sa.Column('kyc_claim_max_hours', sa.Integer(), server_default='8', nullable=False))
    op.create_check_constraint(op.f('ck_settings_kyc_claim_max_hours_positive'), 'settings', 'kyc_claim_max_hours > 0')


def downgrade() -> None:
    op.drop_constraint(op.f('ck_settings_kyc_claim_max_hours_positive'), 'settings', type_='check')
    op.drop_column('settings', 'kyc_claim_max_hours')
    op.drop_column('kyc_verifications', 'claimed_since')
