"""``DatabaseTrigger(db_path, table_name)``: a run when a table has rows matching conditions (SQLAlchemy).

Every ``poll_interval`` seconds the trigger asks whether ``table_name`` has a
row matching all ``where_clauses`` (SQL conditions such as ``"id > 2"``);
every ``trigger_after_n`` polls that find one make a run, as in Covalent.

What the poll may do is limited: it is one ``SELECT 1 ... LIMIT 1`` built by
SQLAlchemy, the table name must be a plain (optionally schema-qualified)
name, a condition may not hold ``;``, and the connection is read-only on
SQLite (opened ``mode=ro``, so a missing file is not created) and PostgreSQL
(a read-only transaction).  A database that stays unreachable for
:data:`FAILURES_ALLOWED` polls in a row fails the trigger with the error.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from covalent.triggers.base import BaseTrigger, TriggerConfigError, positive_int, positive_number
from covalent.triggers.source import Emit, EventSource, SourceGone

__all__ = ["FAILURES_ALLOWED", "DatabaseTrigger", "PollSource", "read_only_url"]

#: Polls in a row that may fail (a locked or restarting database) before the trigger fails.
FAILURES_ALLOWED = 3
MIN_INTERVAL = 0.05
_TABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$")


def read_only_url(url: str) -> Any:
    """``url`` as a SQLAlchemy URL that can only read (SQLite: a ``mode=ro`` file URI)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database or ""
        if not path or path == ":memory:":
            raise TriggerConfigError("a SQLite trigger needs a database file, not an in-memory database")
        if not path.startswith("file:"):
            path = f"file:{path}"
        return parsed.set(database=path, query={**parsed.query, "mode": "ro", "uri": "true"})
    return parsed


class PollSource(EventSource):
    def __init__(self, url: str, table: str, where: list[str], interval: float, after_n: int) -> None:
        self.url = url
        self.table = table
        self.where = where
        self.interval = interval
        self.after_n = after_n

    def _statement(self) -> Any:
        from sqlalchemy import literal_column, select, table, text

        schema, _, name = self.table.rpartition(".")
        stmt: Any = select(literal_column("1")).select_from(table(name, schema=schema or None))
        return stmt.where(*(text(f"({clause})") for clause in self.where)).limit(1)

    @staticmethod
    def _poll(engine: Any, stmt: Any) -> bool:
        with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn = conn.execution_options(postgresql_readonly=True)
            return conn.execute(stmt).first() is not None

    def _shown(self) -> str:
        from sqlalchemy.engine import make_url

        return str(make_url(self.url).render_as_string(hide_password=True))

    async def open(self, emit: Emit) -> None:
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool

        await super().open(emit)
        url = read_only_url(self.url)
        # SQLite: a connection per poll, so a deleted file is noticed (an open one reads the deleted inode).
        pooling: dict[str, Any] = {"poolclass": NullPool} if url.get_backend_name() == "sqlite" else {}
        try:
            self.engine = create_engine(url, pool_pre_ping=True, **pooling)
        except Exception as exc:  # an unknown driver, a malformed URL
            raise SourceGone(f"cannot open {self._shown()}: {type(exc).__name__}: {exc}") from None

    async def run(self) -> None:
        stmt, failures, found = self._statement(), 0, 0
        while True:
            try:
                matched = await asyncio.to_thread(self._poll, self.engine, stmt)
            except Exception as exc:
                failures += 1
                if failures >= FAILURES_ALLOWED:
                    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
                    raise SourceGone(f"cannot read table {self.table} of {self._shown()}: {reason}") from None
            else:
                failures = 0
                found = found + 1 if matched else found
                if found >= self.after_n:
                    found = 0
                    self.emit(f"rows in {self.table}")
            await asyncio.sleep(self.interval)

    async def close(self) -> None:
        engine = getattr(self, "engine", None)
        if engine is not None:
            await asyncio.to_thread(engine.dispose)


class DatabaseTrigger(BaseTrigger):
    """Perform a run when ``table_name`` of the database at ``db_path`` (a SQLAlchemy URL) has matching rows."""

    def __init__(
        self,
        db_path: str,
        table_name: str,
        poll_interval: float = 1,
        where_clauses: list[str] | None = None,
        trigger_after_n: int = 1,
        lattice_dispatch_id: str | None = None,
        dispatcher_addr: str | None = None,
        triggers_server_addr: str | None = None,
        **policy: Any,
    ) -> None:
        super().__init__(lattice_dispatch_id, dispatcher_addr, triggers_server_addr, **policy)
        if not isinstance(db_path, str) or not db_path:
            raise TriggerConfigError(f"db_path must be a database URL or file, got {db_path!r}")
        if not isinstance(table_name, str) or not _TABLE.match(table_name):
            raise TriggerConfigError(f"table_name must be a table's name (optionally schema.table), got {table_name!r}")
        clauses = list(where_clauses or [])
        for clause in clauses:
            if not isinstance(clause, str) or ";" in clause or "\x00" in clause or len(clause) > 2000:
                raise TriggerConfigError(f"each where clause must be one SQL condition without ';', got {clause!r}")
        positive_number("poll_interval", poll_interval, minimum=MIN_INTERVAL)
        self.db_path = db_path
        self.table_name = table_name
        self.poll_interval = poll_interval
        self.where_clauses = clauses or None
        self.trigger_after_n = positive_int("trigger_after_n", trigger_after_n)
        self.database_url()  # a malformed URL is refused now

    def database_url(self) -> str:
        from sqlalchemy.exc import ArgumentError

        try:
            read_only_url(self.db_path)
        except ArgumentError as exc:
            raise TriggerConfigError(f"db_path {self.db_path!r} is not a database URL: {exc}") from None
        return self.db_path

    def config(self) -> dict[str, Any]:
        return {
            "db_path": self.db_path,
            "table_name": self.table_name,
            "poll_interval": self.poll_interval,
            "where_clauses": self.where_clauses,
            "trigger_after_n": self.trigger_after_n,
        }

    def public_config(self) -> dict[str, Any]:
        from sqlalchemy.engine import make_url

        shown = self.config()
        if "://" in self.db_path:
            shown["db_path"] = make_url(self.db_path).render_as_string(hide_password=True)
        return shown

    def describe(self) -> str:
        where = f" where {' and '.join(self.where_clauses)}" if self.where_clauses else ""
        return f"rows in {self.table_name}{where} (every {self.poll_interval:g} s)"

    def source(self, *, since: float) -> EventSource:
        where = list(self.where_clauses or [])
        return PollSource(self.database_url(), self.table_name, where, float(self.poll_interval), self.trigger_after_n)
