"""holdings: unit prices keep 8 decimals (average_buy_price, current_price: numeric(18,2) -> (20,8))

Revision ID: c2a8f4d6e1b3
Revises: b7d3e1f0a9c2
Create Date: 2026-12-03 10:00:00.000000+00:00

Issue 14, item 12: a price stored to the cent loses up to half a cent per unit, which is about 5 % of a
coin worth ten cents (a DOGE deposit valued at $0.10 instead of $0.1049 a coin). Holding prices now keep
the precision seed 002 gives crypto prices (8 decimals). Every existing value fits (12 integer digits);
downgrading rounds the prices back to the cent.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = 'c2a8f4d6e1b3'
down_revision: Union[str, None] = 'b7d3e1f0a9c2'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

COLUMNS = ("average_buy_price", "current_price")


def upgrade() -> None:
    for column in COLUMNS:
        op.alter_column("holdings", column, type_=sa.Numeric(20, 8), existing_type=sa.Numeric(18, 2),
                        existing_nullable=False)


def downgrade() -> None:
    for column in COLUMNS:
        op.alter_column("holdings", column, type_=sa.Numeric(18, 2), existing_type=sa.Numeric(20, 8),
                        existing_nullable=False, postgresql_using=f"round({column}, 2)")
