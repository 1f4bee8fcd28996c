"""Triggers live in the database, so they are observed again after a restart.

``triggers`` holds each registered trigger (its kind and JSON configuration,
its state and counters); ``trigger_runs`` links each run a trigger started
to the dispatch it re-runs.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "triggers",
        sa.Column("trigger_id", sa.String(64), primary_key=True),
        sa.Column("dispatch_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("config", sa.Text, nullable=False),
        sa.Column("policy", sa.Text, nullable=False),
        sa.Column("dispatcher_addr", sa.String(512), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("last_event_at", sa.Float, nullable=True),
        sa.Column("events", sa.Integer, nullable=False, server_default="0"),
        sa.Column("runs", sa.Integer, nullable=False, server_default="0"),
        sa.Column("skipped", sa.Integer, nullable=False, server_default="0"),
        sa.Column("queued", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("ix_triggers_dispatch", "triggers", ["dispatch_id"])
    op.create_index("ix_triggers_state", "triggers", ["state"])
    op.create_table(
        "trigger_runs",
        sa.Column("trigger_id", sa.String(64), primary_key=True),
        sa.Column("run_dispatch_id", sa.String(64), primary_key=True),
        sa.Column("origin_dispatch_id", sa.String(64), nullable=False),
        sa.Column("fired_at", sa.Float, nullable=False),
    )
    op.create_index("ix_trigger_runs_run", "trigger_runs", ["run_dispatch_id"])
    op.create_index("ix_trigger_runs_origin", "trigger_runs", ["origin_dispatch_id", "fired_at"])


def downgrade() -> None:
    op.drop_table("trigger_runs")
    op.drop_table("triggers")
