"""Node attempts: when each node was submitted, where it ran, and its earlier attempts.

``submitted_at``: when the dispatcher handed the node's job to its executor
(``start_time`` is when it started running where it ran: the difference is
the time it queued).  ``worker``: where it ran (``host:pid``).  ``history``:
JSON, one record per earlier attempt of a retried node (times, worker,
status, error); the last attempt is the node's own columns.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("nodes") as batch:
        batch.add_column(sa.Column("submitted_at", sa.Float(), nullable=True))
        batch.add_column(sa.Column("worker", sa.String(256), nullable=True))
        batch.add_column(sa.Column("history", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("nodes") as batch:
        batch.drop_column("history")
        batch.drop_column("worker")
        batch.drop_column("submitted_at")
