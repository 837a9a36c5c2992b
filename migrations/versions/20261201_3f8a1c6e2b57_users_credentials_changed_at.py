"""users.credentials_changed_at: when an account was created or an admin changed its role, password or
two-step sign-in (issue 12, finding 5: the second approver's cooling-off period)

Revision ID: 3f8a1c6e2b57
Revises: 7c1e5a9d3b20
Create Date: 2026-12-01 09:00:00.000000+00:00

Existing accounts keep NULL (no cooling-off): the rule applies to changes made from now on.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '3f8a1c6e2b57'
down_revision: Union[str, None] = '7c1e5a9d3b20'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column('users', sa.Column('credentials_changed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column('users', 'credentials_changed_at')
