"""support inbox: canned replies, ticket presence, inbox indexes

Revision ID: 7c1e5a9d3b20
Revises: 8d2f6b0e4c31
Create Date: 2026-11-22 03:00:00.000000+00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '7c1e5a9d3b20'
down_revision: Union[str, None] = '8d2f6b0e4c31'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'canned_replies',
        sa.Column('id', postgresql.UUID(as_uuid=True), server_default=sa.text('gen_random_uuid()'), nullable=False),
        sa.Column('title', sa.String(length=120), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_by_id', postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column('updated_by_id', postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint('length(btrim(title)) BETWEEN 1 AND 120', name=op.f('ck_canned_replies_title_length')),
        sa.CheckConstraint('length(body) BETWEEN 1 AND 10000', name=op.f('ck_canned_replies_body_length')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_canned_replies_created_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_canned_replies_updated_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_canned_replies')),
    )
    op.create_index('uq_canned_replies_title', 'canned_replies', [sa.literal_column('lower(title)')], unique=True)
    op.create_table(
        'support_ticket_presence',
        sa.Column('id', postgresql.UUID(as_uuid=True), server_default=sa.text('gen_random_uuid()'), nullable=False),
        sa.Column('ticket_id', postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column('user_id', postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column('seen_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['ticket_id'], ['support_tickets.id'],
                                name=op.f('fk_support_ticket_presence_ticket_id_support_tickets'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_support_ticket_presence_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_support_ticket_presence')),
        sa.UniqueConstraint('ticket_id', 'user_id', name='uq_support_ticket_presence_ticket_user'),
    )
    op.create_index('ix_support_ticket_presence_ticket_seen', 'support_ticket_presence', ['ticket_id', 'seen_at'])
    op.create_index('ix_support_tickets_active_updated', 'support_tickets',
                    [sa.literal_column('updated_at DESC'), sa.literal_column('id DESC')],
                    postgresql_where=sa.text("status IN ('OPEN', 'IN_PROGRESS')"))
    op.create_index('ix_support_tickets_updated_id', 'support_tickets',
                    [sa.literal_column('updated_at DESC'), sa.literal_column('id DESC')])


def downgrade() -> None:
    op.drop_index('ix_support_tickets_updated_id', table_name='support_tickets')
    op.drop_index('ix_support_tickets_active_updated', table_name='support_tickets')
    op.drop_index('ix_support_ticket_presence_ticket_seen', table_name='support_ticket_presence')
    op.drop_table('support_ticket_presence')
    op.drop_index('uq_canned_replies_title', table_name='canned_replies')
    op.drop_table('canned_replies')
