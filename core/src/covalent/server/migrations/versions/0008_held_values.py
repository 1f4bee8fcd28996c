"""Large values handed on by reference: where a blob is held until persisted, and its digest.

A node's large output may stay where it was made (a Dask worker) and reach
the next task by reference; the server records the reference at once and
writes the bytes later.  ``location`` says where such a value is held (or
why it was lost) until its file is written; ``digest`` is the SHA-256 of its
bytes, since its key was given before anyone hashed them.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("blobs") as batch:
        batch.add_column(sa.Column("location", sa.Text, nullable=True))
        batch.add_column(sa.Column("digest", sa.String(64), nullable=True))


def downgrade() -> None:
    # The older schema has no way to read these values (their key is not their hash): their rows
    # go, and the nodes naming them read as missing, as after a deleted blob.
    op.execute("DELETE FROM blobs WHERE location IS NOT NULL OR digest IS NOT NULL")
    with op.batch_alter_table("blobs") as batch:
        batch.drop_column("digest")
        batch.drop_column("location")
