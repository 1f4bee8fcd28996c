"""A full-reuse copy of a completed dispatch: one ``INSERT ... SELECT`` of its row.

A completed dispatch whose every node completed is copied without its
manifest or nodes: the copy's row names the original (``reuse_from``,
``nodes_from``) and shares its node rows and manifest (see
:mod:`covalent.server.store.sharing`).  What a copy needs of the original is
read once and remembered (:class:`CompletedOriginals`): a completed dispatch
never changes again.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Connection, Float, String, bindparam, case, func, insert, null, or_, select

from covalent.graph.transport_graph import NOT_TASKS
from covalent.server.db.tables import dispatches, nodes
from covalent.server.store.blobs import small_blob
from covalent.server.store.models import DispatchRecord
from covalent.server.store.records import read_dispatch
from covalent.server.store.sharing import node_holder
from covalent.status import Status

__all__ = ["CompletedOriginal", "CompletedOriginals", "insert_copy", "read_original"]


def _copy_statements() -> tuple[Any, Any]:
    """The statements of a full copy, built once (only their parameters change)."""
    old_id, new_id = bindparam("old_id", type_=String), bindparam("new_id", type_=String)
    now = bindparam("now", type_=Float)
    incomplete = or_(nodes.c.status != Status.COMPLETED, nodes.c.output_key.is_(None))
    check = select(
        func.count(),
        func.sum(case((incomplete, 1), else_=0)),
        func.sum(case((nodes.c.kind.not_in(sorted(NOT_TASKS)), 1), else_=0)),
    ).where(nodes.c.dispatch_id == old_id)
    dispatch_values = {
        "dispatch_id": new_id,
        "root_dispatch_id": new_id,
        "parent_dispatch_id": null(),
        "parent_node_id": null(),
        "created_at": now,
        "started_at": now,
        "ended_at": now,
        "error": null(),
        "reuse_from": old_id,  # and no manifest of its own: it shares the original's (read_dispatch follows it)
        # The node rows are shared too, from whoever holds the original's.
        "nodes_from": func.coalesce(dispatches.c.nodes_from, old_id),
    }
    columns = [c.name for c in dispatches.c]
    copy_dispatch = insert(dispatches).from_select(
        columns,
        select(*(dispatch_values.get(name, dispatches.c[name]) for name in columns)).where(
            dispatches.c.dispatch_id == old_id
        ),
    )
    return check, copy_dispatch


_CHECK, _COPY_DISPATCH = _copy_statements()


@cache
def _sqlite_copy() -> tuple[str, tuple[int, ...]]:
    """The copy's ``INSERT ... SELECT`` as SQLite's driver takes it, compiled once.

    Its SQL text, and where each ``?`` takes its value from (0: the original's id,
    1: the copy's, 2: the time).  Run as driver SQL (as :mod:`.sql`'s helpers
    do), inside the caller's transaction: SQLAlchemy's execution of the cached
    statement (its cache lookup and parameter processing) cost more CPU than
    SQLite's own insert.
    """
    from sqlalchemy.dialects import sqlite

    compiled = _COPY_DISPATCH.compile(dialect=sqlite.dialect())
    names = ("old_id", "new_id", "now")
    return str(compiled), tuple(names.index(name) for name in compiled.positiontup or ())


@dataclass(frozen=True)
class CompletedOriginal:
    """What a full copy of a completed dispatch takes from it."""

    record: DispatchRecord
    #: Task nodes (every one of them completed).
    tasks: int
    #: Its output, when small enough to be stored inline (and to travel with an event).
    output: bytes | None


def read_original(conn: Connection, dispatch_id: str) -> CompletedOriginal | None:
    """The dispatch, if it completed with every node completed; else None."""
    record = read_dispatch(conn, dispatch_id)
    if record is None or record.status != Status.COMPLETED:
        return None
    count, incomplete, tasks = conn.execute(_CHECK, {"old_id": node_holder(conn, dispatch_id)}).one()
    if not count or incomplete:
        return None
    output = small_blob(conn, record.output_key) if record.output_key else None
    return CompletedOriginal(record, int(tasks or 0), output)


class CompletedOriginals:
    """Completed dispatches read for a full copy, kept for the next copy (least recently used go).

    A dispatch that completed never changes again, so what was read stays true;
    one deleted since is noticed by its copy inserting no row.
    """

    def __init__(self, limit: int = 256) -> None:
        self.limit = limit
        self._items: OrderedDict[str, CompletedOriginal] = OrderedDict()

    def get(self, conn: Connection, dispatch_id: str) -> CompletedOriginal | None:
        original = self._items.get(dispatch_id)
        if original is not None:
            self._items.move_to_end(dispatch_id)
            return original
        original = read_original(conn, dispatch_id)
        if original is not None:
            self._items[dispatch_id] = original
            while len(self._items) > self.limit:
                self._items.popitem(last=False)
        return original

    def node_count(self, dispatch_id: str) -> int | None:
        """Nodes of a remembered original (None: not remembered)."""
        original = self._items.get(dispatch_id)
        return None if original is None else int(original.record.node_count or 0)

    def forget(self, dispatch_id: str) -> None:
        self._items.pop(dispatch_id, None)


def insert_copy(conn: Connection, dispatch_id: str, new_id: str, now: float) -> bool:
    """Insert ``new_id`` as a completed copy of ``dispatch_id``'s row; False if the original is gone."""
    if conn.dialect.name == "sqlite":
        sql, order = _sqlite_copy()
        values = (dispatch_id, new_id, now)
        return bool(conn.exec_driver_sql(sql, tuple(values[i] for i in order)).rowcount == 1)
    rowcount = conn.execute(_COPY_DISPATCH, {"old_id": dispatch_id, "new_id": new_id, "now": now}).rowcount
    if rowcount >= 0:
        return rowcount == 1
    # psycopg does not count ``INSERT ... SELECT`` rows
    return conn.execute(select(dispatches.c.dispatch_id).where(dispatches.c.dispatch_id == new_id)).first() is not None
