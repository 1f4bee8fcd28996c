"""``SQLiteTrigger(db_path, table_name)``: :class:`DatabaseTrigger` for a SQLite file given by its path."""

from __future__ import annotations

from pathlib import Path

from covalent.triggers.database_trigger import DatabaseTrigger

__all__ = ["SQLiteTrigger"]


class SQLiteTrigger(DatabaseTrigger):
    """Perform a run when ``table_name`` of the SQLite file ``db_path`` has matching rows."""

    def database_url(self) -> str:
        return f"sqlite:///{Path(self.db_path).expanduser()}"

    def describe(self) -> str:
        return f"{super().describe()} of {self.db_path}"
