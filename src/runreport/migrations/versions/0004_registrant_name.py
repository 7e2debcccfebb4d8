"""registrant names as keyed digests (runreport.privacy); each logged file's check results

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


def downgrade() -> None:
    with op.batch_alter_table('ingested_file') as batch:
        batch.drop_column('checks')
    op.drop_table('registrant_name')
