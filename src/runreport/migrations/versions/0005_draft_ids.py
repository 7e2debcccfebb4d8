"""invoices: draft ids at prepare, numbers at release, the decision behind each draft

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 08:00:00

A prepared invoice used to take its number from the series at once, so a rejected batch burned its
numbers. From now on a draft has a ``draft_id`` and ``number`` stays empty until release. Existing
rows keep their numbers; their draft id is their number.

Like every revision after the baseline, this one checks whether its change is already made: a
warehouse built by hand from the baseline (``alembic upgrade head`` on an empty database) is built
from the models and already has it.
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("invoice")}
    if "draft_id" in columns:
        return
    with op.batch_alter_table("invoice") as batch:
        batch.add_column(sa.Column("draft_id", sa.String(60), nullable=True))
        batch.add_column(sa.Column("decision", sa.String(500), nullable=True))
        batch.add_column(sa.Column("decided_by", sa.String(120), nullable=True))
    op.execute("UPDATE invoice SET draft_id = number")
    with op.batch_alter_table("invoice") as batch:
        batch.alter_column("draft_id", existing_type=sa.String(60), nullable=False)
        batch.alter_column("number", existing_type=sa.String(60), nullable=True)
        batch.create_unique_constraint("uq_invoice_draft_id", ["draft_id"])


def downgrade() -> None:
    with op.batch_alter_table("invoice") as batch:
        batch.drop_constraint("uq_invoice_draft_id", type_="unique")
        batch.drop_column("decided_by")
        batch.drop_column("decision")
        batch.drop_column("draft_id")
