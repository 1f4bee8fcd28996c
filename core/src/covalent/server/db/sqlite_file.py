"""The SQLite database file: the user's alone (mode 0600, its WAL and shared-memory files too)."""

from __future__ import annotations

import os
from pathlib import Path

from covalent import config

__all__ = ["prepare_sqlite_file"]

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
    config.private_file(path)
    for suffix in _COMPANIONS:
        config.private_file(path.with_name(path.name + suffix))
