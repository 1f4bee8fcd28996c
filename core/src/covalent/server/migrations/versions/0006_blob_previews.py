"""A blob carries the short text preview made where its value was (the worker, or the SDK).

The server and the dashboard used to unpickle a value to show it; now they
show this text and never unpickle user bytes.  Blobs stored before this
revision have no preview (the dashboard shows their size).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("blobs") as batch:
        batch.add_column(sa.Column("preview", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("blobs") as batch:
        batch.drop_column("preview")
