"""A dispatch's manifest moves out of its row, into the ``manifests`` table.

SQLite writes a whole row again at every UPDATE, so each status change of a
dispatch copied its manifest: 0.8 ms for the 624 KB manifest of a
1,000-task map, and about 600 MB of memory for a million-node one, twice per
run.  A full copy (``reuse_from``) still has no manifest of its own.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "manifests",
        sa.Column("dispatch_id", sa.String(64), primary_key=True),
        sa.Column("manifest", sa.Text, nullable=False),
    )
    op.execute(
        "INSERT INTO manifests (dispatch_id, manifest) "
        "SELECT dispatch_id, manifest FROM dispatches WHERE manifest IS NOT NULL"
    )
    with op.batch_alter_table("dispatches") as batch:
        batch.drop_column("manifest")


def downgrade() -> None:
    with op.batch_alter_table("dispatches") as batch:
        batch.add_column(sa.Column("manifest", sa.Text, nullable=True))
    op.execute(
        "UPDATE dispatches SET manifest = "
        "(SELECT manifest FROM manifests WHERE manifests.dispatch_id = dispatches.dispatch_id)"
    )
    op.drop_table("manifests")
