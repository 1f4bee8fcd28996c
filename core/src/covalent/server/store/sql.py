"""Small SQL helpers that differ between SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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


def write_in_pieces(
    conn: Connection, table: Table, column: str, where: tuple[str, str], size: int, pieces: Iterable[bytes]
) -> bool:
    """Write ``size`` bytes into one SQLite value piece by piece (never the whole value in memory).

    The row whose ``where[0]`` column is ``where[1]`` gets a zero blob of ``size``
    bytes that ``pieces`` then fill (SQLite's incremental blob I/O, inside the
    caller's transaction); the value is stored as a BLOB, read back as bytes.
    Returns False, doing nothing, on other databases.
    """
    if conn.dialect.name != "sqlite":
        return False
    name, value = where
    quoted_table, quoted_column, quoted_key = _quoted([table.name, column, name])
    conn.exec_driver_sql(
        f"UPDATE {quoted_table} SET {quoted_column} = zeroblob(?) WHERE {quoted_key} = ?", (size, value)
    )
    rowid = conn.exec_driver_sql(f"SELECT rowid FROM {quoted_table} WHERE {quoted_key} = ?", (value,)).scalar_one()
    raw = conn.connection.dbapi_connection
    written = 0
    with raw.blobopen(table.name, column, rowid) as blob:  # type: ignore[union-attr]
        for piece in pieces:
            if written + len(piece) > size:
                raise ValueError(f"{len(piece) + written} bytes for a value of {size}")
            blob.write(piece)
            written += len(piece)
    if written != size:
        raise ValueError(f"{written} bytes written into a value of {size}")
    return True
