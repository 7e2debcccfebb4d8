"""report state per year and notices sent once (runreport.warehouse.status)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 22:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('report_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant', sa.String(length=40), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('missing', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tenant', 'year', name='uq_report_state')
    )
    op.create_table('notice_sent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant', sa.String(length=40), nullable=False),
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('key', sa.String(length=400), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tenant', 'event', 'key', name='uq_notice_sent')
    )


def downgrade() -> None:
    op.drop_table('notice_sent')
    op.drop_table('report_state')
