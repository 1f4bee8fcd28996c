"""A full copy shares its original's manifest; nodes lose their (dispatch, status) index.

A redispatch that reuses every output records ``manifest`` as NULL and
``reuse_from`` as the dispatch whose manifest it shares (the stored manifest
of a 200-node workflow is ~65 KB; copying it was a third of the copy's
writes).  Every query of nodes by status also names the dispatch, which the
primary key already indexes, so the second index only made each node update
write one more B-tree.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dispatches") as batch:
        batch.alter_column("manifest", existing_type=sa.Text, nullable=True)
    op.drop_index("ix_nodes_dispatch_status", table_name="nodes")


def downgrade() -> None:
    op.create_index("ix_nodes_dispatch_status", "nodes", ["dispatch_id", "status"])
    # Give every sharing copy its own manifest again before the column is NOT NULL.
    conn = op.get_bind()
    table = sa.table("dispatches", sa.column("dispatch_id"), sa.column("manifest"), sa.column("reuse_from"))
    rows = {r.dispatch_id: (r.manifest, r.reuse_from) for r in conn.execute(sa.select(table))}
    for dispatch_id, (manifest, source) in rows.items():
        seen = {dispatch_id}
        while manifest is None and source in rows and source not in seen:
            seen.add(source)
            manifest, source = rows[source]
        if rows[dispatch_id][0] is None:
            conn.execute(table.update().where(table.c.dispatch_id == dispatch_id).values(manifest=manifest or "{}"))
    with op.batch_alter_table("dispatches") as batch:
        batch.alter_column("manifest", existing_type=sa.Text, nullable=False)
