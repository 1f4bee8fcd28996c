"""A full copy shares its original's node rows instead of copying them.

A redispatch that reuses every output of a completed dispatch used to copy
all of its node rows, so the copy cost grew with the workflow (a 200-node
copy wrote ~27 database pages).  Now it writes its dispatch row only, with
``nodes_from`` naming the dispatch that holds the rows; node reads follow it.
Deleting the holder first gives one sharing copy the rows (see
``covalent.server.store.sharing``).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

#: Columns a copy takes from the holder's rows as they are; the rest it resets.
_KEPT = "node_id, name, kind, status, executor, start_time, end_time, output_key, stdout, stderr, fingerprint"


def upgrade() -> None:
    with op.batch_alter_table("dispatches") as batch:
        batch.add_column(sa.Column("nodes_from", sa.String(64), nullable=True))
        batch.create_index("ix_dispatches_nodes_from", ["nodes_from"])


def downgrade() -> None:
    # Every sharing copy gets its own rows again before the column goes.
    op.execute(
        f"INSERT INTO nodes (dispatch_id, attempts, {_KEPT}) "
        f"SELECT d.dispatch_id, 0, {', '.join('n.' + c.strip() for c in _KEPT.split(','))} "
        "FROM dispatches AS d JOIN nodes AS n ON n.dispatch_id = d.nodes_from "
        "WHERE d.nodes_from IS NOT NULL"
    )
    with op.batch_alter_table("dispatches") as batch:
        batch.drop_index("ix_dispatches_nodes_from")
        batch.drop_column("nodes_from")
