"""Small SQL helpers that differ between SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Table

__all__ = ["insert_ignore", "insert_rows", "insert_tuples", "update_rows"]


def _quoted(names: Sequence[str]) -> list[str]:
    return ['"' + name.replace('"', '""') + '"' for name in names]


@lru_cache(maxsize=64)
def _sqlite_insert(table: str, columns: tuple[str, ...], ignore: bool) -> str:
    verb = "INSERT OR IGNORE" if ignore else "INSERT"
    marks = ", ".join("?" * len(columns))
    return f'{verb} INTO "{table}" ({", ".join(_quoted(columns))}) VALUES ({marks})'


def _sqlite_insert_many(conn: Connection, table: Table, rows: Sequence[dict[str, Any]], ignore: bool) -> None:
    """The rows to the driver as tuples: SQLAlchemy's per-row parameter work
    took as long as SQLite's own insert of a big dispatch."""
    columns = tuple(rows[0])
    conn.exec_driver_sql(_sqlite_insert(table.name, columns, ignore), [tuple(row[c] for c in columns) for row in rows])


def insert_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT rows that all have the same keys (executemany)."""
    if not rows:
        return
    if conn.dialect.name == "sqlite":
        _sqlite_insert_many(conn, table, rows, ignore=False)
    else:
        conn.execute(table.insert(), list(rows))


def insert_tuples(conn: Connection, table: Table, columns: tuple[str, ...], rows: Sequence[tuple[Any, ...]]) -> None:
    """INSERT rows given as tuples of ``columns`` (typed records, say): straight to SQLite's driver."""
    if not rows:
        return
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(_sqlite_insert(table.name, columns, False), rows)
    else:
        conn.execute(table.insert(), [dict(zip(columns, row, strict=True)) for row in rows])


@lru_cache(maxsize=256)
def _sqlite_update(table: str, columns: tuple[str, ...], keys: tuple[str, ...]) -> str:
    sets = ", ".join(f"{name} = ?" for name in _quoted(columns))
    where = " AND ".join(f"{name} = ?" for name in _quoted(keys))
    return f'UPDATE "{table}" SET {sets} WHERE {where}'


def update_rows(
    conn: Connection, table: Table, columns: tuple[str, ...], keys: tuple[str, ...], rows: Sequence[tuple[Any, ...]]
) -> bool:
    """UPDATE ``columns`` by ``keys`` from tuples (column values, then key values) with SQLite.

    Returns False, doing nothing, on other databases (the caller uses SQLAlchemy there).
    """
    if conn.dialect.name != "sqlite":
        return False
    if rows:
        conn.exec_driver_sql(_sqlite_update(table.name, columns, keys), list(rows))
    return True


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
    if dialect == "sqlite":
        _sqlite_insert_many(conn, table, rows, ignore=True)
    else:
        conn.execute(_postgres_insert_ignore(table), list(rows))


@lru_cache(maxsize=32)
def _postgres_insert_ignore(table: Table) -> Any:
    """The statement, built once per table: SQLAlchemy then skips its cache-key work."""
    from sqlalchemy.dialects.postgresql import insert

    return insert(table).on_conflict_do_nothing()
