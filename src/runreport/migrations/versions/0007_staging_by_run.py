"""staged_file.run_key: the run's staging is its own, not the reporting year's

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 02:40:00

Staging was keyed by (tenant, reporting year, file): the daily ingest and the annual report it
triggers, both of the same year, replaced and cleared each other's files. Each run now has its own
entries (``runreport.warehouse.staging.run_key``). Staging only lives while a run runs, so what is in
it when the warehouse is upgraded is kept under the key ``manual``, without a time (the next collect
deletes it as left by a stopped run). Like every revision after the
baseline, this one checks whether its change is already made (a warehouse built from the models has it).
"""

import sqlalchemy as sa
from alembic import op

revision, down_revision = '0007', '0006'
branch_labels = depends_on = None
RUN_UNIQUE = ["tenant", "run_year", "run_key", "file_name", "source"]


def upgrade() -> None:
    if any(c["name"] == "run_key" for c in sa.inspect(op.get_bind()).get_columns("staged_file")):
        return   # a warehouse built from the models already has it
    with op.batch_alter_table("staged_file") as batch:
        batch.add_column(sa.Column("run_key", sa.String(510), nullable=False, server_default="manual"))
        batch.add_column(sa.Column("staged_at", sa.DateTime(), nullable=True))
        batch.drop_constraint("uq_staged_file", type_="unique")
        batch.create_unique_constraint("uq_staged_file_run", RUN_UNIQUE)


def downgrade() -> None:
    op.execute("DELETE FROM staged_file")   # entries of several runs cannot share the old key
    with op.batch_alter_table("staged_file") as batch:
        batch.drop_constraint("uq_staged_file_run", type_="unique")
        batch.drop_column("staged_at")
        batch.drop_column("run_key")
        batch.create_unique_constraint("uq_staged_file", ["tenant", "run_year", "file_name", "source"])
