"""Full copies share what they would otherwise duplicate: node rows and the manifest.

A redispatch that reuses every output of a completed dispatch writes only its
own dispatch row.  Its ``nodes_from`` names the dispatch holding the node rows
(always a holder itself, so reads never walk a chain), and its manifest is
NULL, shared through ``reuse_from``.  Reads of a copy's nodes take the
holder's rows as the copy would have had them (:data:`COPY_RESETS`); deleting
a dispatch first gives the copies that share from it their own.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from sqlalchemy import Connection, String, bindparam, insert, literal, null, select, update

from covalent.server.db.tables import dispatches, manifests, nodes
from covalent.server.store.models import NodeBrief, NodeRecord, NodeTiming

__all__ = ["COPY_RESETS", "as_copy", "give_copies_their_own", "node_holder", "node_holders", "shared_manifest"]

R = TypeVar("R", NodeRecord, NodeBrief, NodeTiming)

#: What a full copy's nodes hold differently from the original's: the copy ran nothing.
COPY_RESETS: dict[str, Any] = {"error": None, "attempts": 0, "job_handle": None, "sublattice_dispatch_id": None}
#: ... and took no time: a reused node starts when it ends (the end of the run that made its output).
_TOOK_NO_TIME = ("start_time", "end_time")


def node_holders(conn: Connection, dispatch_ids: Iterable[str]) -> dict[str, str]:
    """For each dispatch, the dispatch whose node rows are its nodes (itself, unless a copy)."""
    ids = list(dispatch_ids)
    holders = {d: d for d in ids}
    if ids:
        stmt = select(dispatches.c.dispatch_id, dispatches.c.nodes_from).where(
            dispatches.c.dispatch_id.in_(ids), dispatches.c.nodes_from.is_not(None)
        )
        holders.update(dict(conn.execute(stmt).all()))
    return holders


def node_holder(conn: Connection, dispatch_id: str) -> str:
    """The dispatch whose node rows are ``dispatch_id``'s nodes."""
    return node_holders(conn, [dispatch_id])[dispatch_id]


def as_copy(record: R, dispatch_id: str) -> R:
    """A holder's node record (any projection of its row) as the copy ``dispatch_id`` sees it."""
    fields = record._fields
    changes: dict[str, Any] = {name: value for name, value in COPY_RESETS.items() if name in fields}
    start, end = _TOOK_NO_TIME
    if start in fields and end in fields:
        changes[start] = getattr(record, end)
    if "dispatch_id" in fields:
        changes["dispatch_id"] = dispatch_id
    return record._replace(**changes)


def shared_manifest(conn: Connection, dispatch_id: str, source: str | None) -> str:
    """A dispatch's manifest: its own, or that of the dispatch it is a full copy of (``source``)."""
    text = _own_manifest(conn, dispatch_id)
    seen = {dispatch_id}
    while text is None:
        if source is None or source in seen:
            raise LookupError(f"the manifest of dispatch {dispatch_id} is missing, as is that of what it copies")
        seen.add(source)
        text = _own_manifest(conn, source)
        if text is None:
            source = conn.execute(select(dispatches.c.reuse_from).where(dispatches.c.dispatch_id == source)).scalar()
    return text


def _own_manifest(conn: Connection, dispatch_id: str) -> str | None:
    value = conn.execute(select(manifests.c.manifest).where(manifests.c.dispatch_id == dispatch_id)).scalar()
    if isinstance(value, bytes):  # a manifest written in pieces (SQLite's incremental blob I/O) reads as a BLOB
        return value.decode()
    return value


def _copy_rows_statement() -> Any:
    """INSERT the rows of ``holder`` as the rows of ``copy``, built once."""
    values: dict[str, Any] = {k: null() if v is None else literal(v) for k, v in COPY_RESETS.items()}
    values["dispatch_id"] = bindparam("copy", type_=String)
    values[_TOOK_NO_TIME[0]] = nodes.c[_TOOK_NO_TIME[1]]
    columns = [c.name for c in nodes.c]
    selected = select(*(values.get(name, nodes.c[name]) for name in columns))
    return insert(nodes).from_select(columns, selected.where(nodes.c.dispatch_id == bindparam("holder")))


_COPY_ROWS = _copy_rows_statement()


def give_copies_their_own(conn: Connection, ids: list[str]) -> None:
    """Before ``ids`` are deleted: copies sharing from them, and staying, get their own.

    For each holder going away, its first remaining copy takes the node rows
    and becomes the holder of the others.  Each copy sharing a manifest going
    away gets that manifest.
    """
    going = set(ids)
    sharing = conn.execute(
        select(dispatches.c.dispatch_id, dispatches.c.nodes_from)
        .where(dispatches.c.nodes_from.in_(ids))
        .order_by(dispatches.c.created_at, dispatches.c.dispatch_id)
    ).all()
    heirs: dict[str, list[str]] = {}
    for copy_id, holder in sharing:
        if copy_id not in going:
            heirs.setdefault(holder, []).append(copy_id)
    for holder, (heir, *rest) in heirs.items():
        conn.execute(_COPY_ROWS, {"holder": holder, "copy": heir})
        conn.execute(update(dispatches).where(dispatches.c.dispatch_id == heir).values(nodes_from=None))
        if rest:
            conn.execute(update(dispatches).where(dispatches.c.dispatch_id.in_(rest)).values(nodes_from=heir))
    has_own = select(manifests.c.dispatch_id).where(manifests.c.dispatch_id == dispatches.c.dispatch_id).exists()
    sharers = conn.execute(
        select(dispatches.c.dispatch_id, dispatches.c.reuse_from).where(
            dispatches.c.reuse_from.in_(ids), ~has_own, dispatches.c.dispatch_id.not_in(ids)
        )
    ).all()
    for copy_id, source in sharers:
        text = shared_manifest(conn, copy_id, source)
        conn.execute(manifests.insert(), [{"dispatch_id": copy_id, "manifest": text}])
