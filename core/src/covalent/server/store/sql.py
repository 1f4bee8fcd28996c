"""Small SQL helpers that differ between SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Table

__all__ = ["insert_ignore"]


def insert_ignore(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT rows, skipping those whose primary key exists (one statement per chunk)."""
    if not rows:
        return
    dialect = conn.dialect.name
    if dialect not in ("sqlite", "postgresql"):  # pragma: no cover - row by row, ignoring duplicates
        from sqlalchemy.exc import IntegrityError

        for row in rows:
            try:
                with conn.begin_nested():
                    conn.execute(table.insert(), [row])
            except IntegrityError:
                pass
        return
    conn.execute(_insert_ignore(dialect, table), list(rows))


@lru_cache(maxsize=32)
def _insert_ignore(dialect: str, table: Table) -> Any:
    """The statement, built once per table: SQLAlchemy then skips its cache-key work."""
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        from sqlalchemy.dialects.postgresql import insert  # type: ignore[assignment]
    return insert(table).on_conflict_do_nothing()
