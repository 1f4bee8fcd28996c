"""Alembic environment: runs on the connection the server hands over."""

from __future__ import annotations

from alembic import context

from covalent.server.db.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("covalent migrations run through covalent.server.db.engine.migrate()")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
