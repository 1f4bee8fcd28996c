"""The SQLite database file: the user's alone (mode 0600, its WAL and shared-memory files too),
and checked before a server opens it (an empty, foreign, truncated or damaged file is refused in one line).
"""

from __future__ import annotations

import os
import sqlite3
import struct
from pathlib import Path
from urllib.parse import unquote

from covalent import config

__all__ = ["DatabaseFileError", "check_database", "check_sqlite_file", "prepare_sqlite_file", "sqlite_path"]

_MAGIC = b"SQLite format 3\x00"


class DatabaseFileError(RuntimeError):
    """The database file cannot be used; the message names it and says what to do."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(
            f"the database file {path} {problem}: restore it from a backup, or run `covalent purge --hard` "
            "to start afresh (that deletes every recorded dispatch)"
        )
        self.path = path


def sqlite_path(url: str) -> Path | None:
    """The file of an SQLite database URL (None for other databases and in-memory ones).

    Read without SQLAlchemy: ``covalent start`` checks the file before the
    server starts, and importing SQLAlchemy there would cost a tenth of a second.
    """
    if not url.startswith("sqlite"):
        return None
    _, slashes, rest = url.partition(":///")
    database = unquote(rest.split("?", 1)[0]) if slashes else ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def check_database(url: str) -> None:
    """:func:`check_sqlite_file` for an SQLite URL (other databases are the server's to reach)."""
    path = sqlite_path(url)
    if path is not None:
        check_sqlite_file(path)


def check_sqlite_file(path: Path) -> None:
    """Raise :class:`DatabaseFileError` if ``path`` exists but is not a whole, readable SQLite database.

    Cheap (the header, the file's size and the schema are read), so every
    start can afford it; damage deeper in the file shows when it is read.
    """
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return  # a new database is made there
    with open(path, "rb") as f:
        header = f.read(100)
    if size == 0:
        raise DatabaseFileError(path, "is empty (0 bytes; a copy or a disk that failed?)")
    if not header.startswith(_MAGIC):
        raise DatabaseFileError(path, "is not an SQLite database")
    if len(header) < 100:
        raise DatabaseFileError(path, f"is truncated ({size} bytes, less than an SQLite header)")
    (page_size,) = struct.unpack(">H", header[16:18])
    page_size = 65536 if page_size == 1 else page_size
    (change, pages, valid_for) = (struct.unpack(">I", header[i : i + 4])[0] for i in (24, 28, 92))
    if pages and change == valid_for and size < pages * page_size:
        raise DatabaseFileError(path, f"is truncated ({size} of its {pages * page_size} bytes)")
    try:
        conn = sqlite3.connect(path, timeout=10)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise DatabaseFileError(path, f"is damaged ({exc})") from None


#: Files SQLite keeps beside the database (created with the database file's mode).
_COMPANIONS = ("-wal", "-shm", "-journal")


def prepare_sqlite_file(path: Path) -> None:
    """Create the folder and an empty database file with mode 0600, or narrow an existing one to it.

    SQLite creates its WAL and shared-memory files with the database file's
    mode, so creating that file first (0600) keeps all three private.
    """
    if not path.parent.exists():
        config.private_dir(path.parent)
    if not path.exists():
        try:
            os.close(config.open_private(path, os.O_WRONLY | os.O_EXCL))
        except FileExistsError:
            pass
        else:  # written as an SQLite database at once: an empty file would be refused at the next start
            conn = sqlite3.connect(path)
            try:
                conn.execute("PRAGMA journal_mode=WAL")
            finally:
                conn.close()
    config.private_file(path)
    for suffix in _COMPANIONS:
        config.private_file(path.with_name(path.name + suffix))
