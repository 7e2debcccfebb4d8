"""baseline: the warehouse as of revisions 0001–0004, squashed on 2026-12-06

Revision ID: 0004
Revises:
Create Date: 2026-12-06 03:00:00

A new warehouse is not built by replaying history: ``runreport.warehouse.engine.migrate`` creates
it from the models and stamps it at the head (Alembic's cookbook, "Building an Up to Date Database
from Scratch"). This revision keeps the id of the last revision before the squash, so a warehouse
made by 0001–0004 is already at it; one at 0001–0003 is refused with a message that says what to do
(no warehouse in production was that old when the revisions were squashed). Every schema change from
now on is a new revision after this one (``alembic revision --autogenerate``), and
``tests/test_migrations.py`` checks that a baseline warehouse upgraded to the head matches the models.
"""

from alembic import op

revision = '0004'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Reached only when Alembic is run by hand on an empty database: it builds the models as they
    # are now, so every later revision checks whether its change is already made (0005 does).
    from runreport.warehouse.engine import metadata

    metadata().create_all(op.get_bind())


def downgrade() -> None:
    raise RuntimeError("The baseline cannot be undone: drop the database instead.")
