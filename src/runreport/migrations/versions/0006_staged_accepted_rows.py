"""staged_file.accepted_rows: the rows validate accepted, so that load does not parse the file again

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 23:45:00

Validate keeps the accepted rows of each file in the run's staging (runreport/warehouse/staged_rows.py);
load inserts them and clears the column. Like every revision after the baseline, this one checks
whether its change is already made (a warehouse built from the models has it).
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("staged_file")}
    if "accepted_rows" in columns:
        return
    with op.batch_alter_table("staged_file") as batch:
        batch.add_column(sa.Column("accepted_rows", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("staged_file") as batch:
        batch.drop_column("accepted_rows")
