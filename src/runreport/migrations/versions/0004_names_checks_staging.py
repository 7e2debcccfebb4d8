"""registrant names as keyed digests (runreport.privacy); each logged file's check results; the run's
staging in the warehouse (staged_file: what one task hands the next, on any host)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 19:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('registrant_name',
    sa.Column('tenant', sa.String(length=40), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('tenant', 'digest')
    )
    with op.batch_alter_table('ingested_file') as batch:
        batch.add_column(sa.Column('checks', sa.Text(), nullable=True))
    op.create_table('staged_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant', sa.String(length=40), nullable=False),
    sa.Column('run_year', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('file_name', sa.String(length=400), nullable=False),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('checksum', sa.String(length=64), nullable=False),
    sa.Column('slot', sa.String(length=400), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('copy_of', sa.String(length=400), nullable=True),
    sa.Column('decision', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tenant', 'run_year', 'file_name', 'source', name='uq_staged_file')
    )


def downgrade() -> None:
    op.drop_table('staged_file')
    with op.batch_alter_table('ingested_file') as batch:
        batch.drop_column('checks')
    op.drop_table('registrant_name')
