"""Initial schema: dispatches, nodes, blobs.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dispatches",
        sa.Column("dispatch_id", sa.String(64), primary_key=True),
        sa.Column("root_dispatch_id", sa.String(64), nullable=False),
        sa.Column("parent_dispatch_id", sa.String(64), nullable=True),
        sa.Column("parent_node_id", sa.Integer, nullable=True),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("started_at", sa.Float, nullable=True),
        sa.Column("ended_at", sa.Float, nullable=True),
        sa.Column("manifest", sa.Text, nullable=False),
        sa.Column("lattice", sa.Text, nullable=False),
        sa.Column("output_key", sa.String(64), nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("reuse_from", sa.String(64), nullable=True),
        sa.Column("node_count", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("ix_dispatches_status", "dispatches", ["status"])
    op.create_index("ix_dispatches_created_at", "dispatches", ["created_at"])
    op.create_index("ix_dispatches_parent", "dispatches", ["parent_dispatch_id"])
    op.create_table(
        "nodes",
        sa.Column("dispatch_id", sa.String(64), primary_key=True),
        sa.Column("node_id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("executor", sa.String(64), nullable=True),
        sa.Column("start_time", sa.Float, nullable=True),
        sa.Column("end_time", sa.Float, nullable=True),
        sa.Column("output_key", sa.String(64), nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("stdout", sa.Text, nullable=True),
        sa.Column("stderr", sa.Text, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("job_handle", sa.Text, nullable=True),
        sa.Column("sublattice_dispatch_id", sa.String(64), nullable=True),
        sa.Column("fingerprint", sa.String(64), nullable=True),
    )
    op.create_index("ix_nodes_dispatch_status", "nodes", ["dispatch_id", "status"])
    op.create_table(
        "blobs",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("blobs")
    op.drop_table("nodes")
    op.drop_table("dispatches")
