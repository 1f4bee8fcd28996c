"""Small SQL helpers that differ between SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table

__all__ = ["insert_ignore"]


def insert_ignore(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT rows, skipping those whose primary key exists (one statement per chunk)."""
    if not rows:
        return
    dialect = conn.dialect.name
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    elif dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert  # type: ignore[assignment]
    else:  # pragma: no cover - other databases: insert row by row, ignoring duplicates
        from sqlalchemy.exc import IntegrityError

        for row in rows:
            try:
                with conn.begin_nested():
                    conn.execute(table.insert(), [row])
            except IntegrityError:
                pass
        return
    stmt = insert(table).on_conflict_do_nothing()
    conn.execute(stmt, list(rows))
