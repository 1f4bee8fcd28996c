"""Reading and changing dispatch and node records (operations for the writer)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import islice
from operator import itemgetter
from typing import Any, Literal, Protocol, TypeVar, overload

from sqlalchemy import Connection, Update, and_, bindparam, delete, func, or_, select, update

from covalent.graph.transport_graph import NOT_TASKS
from covalent.server.db.tables import blobs as blob_rows
from covalent.server.db.tables import dispatches, manifests, nodes
from covalent.server.store.blobs import BlobStore
from covalent.server.store.events import DispatchRegistered, Event
from covalent.server.store.models import (
    Attempt,
    DispatchRecord,
    NodeBrief,
    NodeRecord,
    NodeTiming,
    Overview,
    ReusableOutput,
)
from covalent.server.store.sharing import as_copy, give_copies_their_own, node_holder, node_holders, shared_manifest
from covalent.server.store.sql import insert_rows, insert_tuples, update_rows, write_in_pieces
from covalent.server.store.triggers import delete_for_dispatches
from covalent.status import Status

__all__ = [
    "DISPATCH_SORTS",
    "DispatchRecord",
    "Attempt",
    "NewDispatch",
    "NodeBrief",
    "NodeRecord",
    "NodeTiming",
    "NodeUpdate",
    "Overview",
    "ReusableOutput",
    "attempts_json",
    "count_nodes",
    "delete_dispatch",
    "dispatch_counts",
    "insert_dispatch",
    "insert_node_rows",
    "lattice_names",
    "list_dispatches",
    "missing_node_rows",
    "overview",
    "read_dispatch",
    "read_node",
    "read_nodes",
    "read_timeline",
    "reusable_outputs",
    "running_dispatch_ids",
    "set_dispatch",
    "transfers_json",
    "update_nodes",
]

DISPATCH_SORTS: dict[str, Any] = {
    "created": dispatches.c.created_at,
    "started": dispatches.c.started_at,
    "ended": dispatches.c.ended_at,
    "name": dispatches.c.name,
    "status": dispatches.c.status,
    "duration": None,  # ended (or now, while it runs) minus started: see _sort_column
}


def _sort_column(sort: str) -> Any:
    if sort == "duration":
        return func.coalesce(dispatches.c.ended_at, time.time()) - dispatches.c.started_at
    return DISPATCH_SORTS[sort]


class TextPieces(Protocol):
    """A text in pieces of UTF-8 (read more than once): its size in bytes, and the pieces."""

    def size(self) -> int: ...

    def pieces(self) -> Iterator[bytes]: ...


class NodeRowSource(Protocol):
    """Node rows: a list, or rows made as they are read (a new dispatch's: see registration.NodeRows)."""

    def __len__(self) -> int: ...

    def __iter__(self) -> Iterator[NodeRecord]: ...


@dataclass
class NewDispatch:
    """A dispatch about to be recorded: everything its rows hold."""

    dispatch_id: str
    name: str
    manifest: dict[str, Any]
    #: Its nodes' new rows (what has not happened yet None: error, job handle, transfers, history...): a
    #: list, or rows made as they are read (``len`` and iteration, read more than once; registration.NodeRows).
    node_rows: NodeRowSource
    blobs: Mapping[str, bytes]
    root_dispatch_id: str = ""
    parent_dispatch_id: str | None = None
    parent_node_id: int | None = None
    reuse_from: str | None = None
    created_at: float = field(default_factory=time.time)
    #: The manifest exactly as uploaded, stored as is (saves encoding it again).
    manifest_text: str | None = None
    #: Or the manifest's text in pieces (a graph uploaded as lines), written piece by piece where it can be.
    manifest_pieces: TextPieces | None = None
    #: The validated graph, handed to the dispatcher so it is not built twice.
    graph: Any = None
    #: Text previews of uploaded values (parameters, a constant output), by blob key, made by the SDK.
    previews: dict[str, str] = field(default_factory=dict)
    #: RUNNING when it is recorded and started in one step (what clients see at once).
    status: Status = Status.NEW_OBJECT
    started_at: float | None = None

    def starting(self) -> NewDispatch:
        """Record it as already RUNNING: it is started right after the insert commits."""
        self.status = Status.RUNNING
        self.started_at = time.time()
        return self

    def lattice(self) -> dict[str, Any]:
        """The lattice's metadata and output, as the dispatch row keeps them."""
        return {**self.manifest.get("lattice", {}), "output": self.manifest.get("output", {})}

    def record(self) -> DispatchRecord:
        """What :func:`read_dispatch` returns for it once inserted (with the manifest and the graph)."""
        return DispatchRecord(
            dispatch_id=self.dispatch_id,
            root_dispatch_id=self.root_dispatch_id or self.dispatch_id,
            parent_dispatch_id=self.parent_dispatch_id,
            parent_node_id=self.parent_node_id,
            name=self.name,
            status=self.status,
            created_at=self.created_at,
            started_at=self.started_at,
            ended_at=None,
            output_key=None,
            error=None,
            reuse_from=self.reuse_from,
            node_count=len(self.node_rows),
            lattice=self.lattice(),
            manifest=self.manifest,
            graph=self.graph,
        )

    def rows(self) -> NodeRowSource:
        """The node rows, as :func:`read_nodes` would read them back."""
        return self.node_rows


#: What a new node's row holds (the other columns start NULL: it has not run yet).
_NEW_NODE_COLUMNS = (
    "dispatch_id",
    "node_id",
    "name",
    "kind",
    "status",
    "executor",
    "start_time",
    "end_time",
    "output_key",
    "stdout",
    "stderr",
    "attempts",
    "fingerprint",
)
#: A new node's values in that order, as a plain tuple (what SQLite binds fastest).
_new_node_values = itemgetter(*(NodeRecord._fields.index(name) for name in _NEW_NODE_COLUMNS))


def insert_dispatch(store: BlobStore, new: NewDispatch, *, with_rows: bool = True) -> Any:
    """An operation that records a whole new dispatch (blobs, dispatch row, node rows).

    ``with_rows=False``: all but the node rows, which :func:`insert_node_rows`
    writes in a later commit.  The dispatch is recorded once this commits: its
    manifest is stored with it, and a server stopped before its rows are
    written makes them from it (:func:`missing_node_rows`).
    """

    def op(conn: Connection) -> list[Event]:
        store.put_many(conn, new.blobs, new.previews)
        manifest = new.manifest
        pieces = new.manifest_pieces
        in_pieces = pieces is not None and conn.dialect.name == "sqlite"
        if in_pieces:
            text: str | None = None  # written below, piece by piece: a million-node manifest is never one string
        elif pieces is not None:
            text = b"".join(pieces.pieces()).decode()
        else:
            text = new.manifest_text or json.dumps(manifest)
        insert_rows(
            conn,
            dispatches,
            [
                {
                    "dispatch_id": new.dispatch_id,
                    "root_dispatch_id": new.root_dispatch_id or new.dispatch_id,
                    "parent_dispatch_id": new.parent_dispatch_id,
                    "parent_node_id": new.parent_node_id,
                    "name": clean_text(new.name[:256]),
                    "status": new.status,
                    "created_at": new.created_at,
                    "started_at": new.started_at,
                    "lattice": json.dumps(new.lattice()),
                    "reuse_from": new.reuse_from,
                    "node_count": len(new.node_rows),
                }
            ],
        )
        insert_rows(conn, manifests, [{"dispatch_id": new.dispatch_id, "manifest": text or ""}])
        if in_pieces and pieces is not None:
            where = ("dispatch_id", new.dispatch_id)
            write_in_pieces(conn, manifests, "manifest", where, pieces.size(), pieces.pieces())
        if with_rows:
            _insert_rows(conn, new.dispatch_id, new.node_rows)
        return [DispatchRegistered(new.dispatch_id, new.root_dispatch_id or new.dispatch_id, new.status, new.name)]

    return op


def _insert_rows(conn: Connection, dispatch_id: str, node_rows: Iterable[NodeRecord]) -> None:
    # The rows' text is clean already (prepare_dispatch): no pass over every value here.
    rows = iter(node_rows)
    while chunk := list(islice(rows, 5000)):  # in chunks: rows made as they are inserted are never all here
        if chunk[0].dispatch_id != dispatch_id:  # rows prepared for another id (a copy of a NewDispatch)
            chunk = [row._replace(dispatch_id=dispatch_id) for row in chunk]
        insert_tuples(conn, nodes, _NEW_NODE_COLUMNS, [_new_node_values(row) for row in chunk])


def insert_node_rows(dispatch_id: str, node_rows: Iterable[NodeRecord]) -> Any:
    """An operation that writes a recorded dispatch's node rows (all of them, in one transaction)."""

    def op(conn: Connection) -> list[Event]:
        _insert_rows(conn, dispatch_id, node_rows)
        return []

    return op


def missing_node_rows(conn: Connection) -> list[str]:
    """Dispatches recorded without their node rows yet (the server stopped before it wrote them).

    A dispatch holding its own rows (not a copy) and its own manifest, with
    nodes, but no row: its rows are written in one transaction, so it has
    either all of them or none.
    """
    has_rows = select(nodes.c.node_id).where(nodes.c.dispatch_id == dispatches.c.dispatch_id).exists()
    has_manifest = select(manifests.c.dispatch_id).where(manifests.c.dispatch_id == dispatches.c.dispatch_id).exists()
    stmt = select(dispatches.c.dispatch_id).where(
        dispatches.c.nodes_from.is_(None),
        has_manifest,
        dispatches.c.node_count > 0,
        ~has_rows,
    )
    return list(conn.execute(stmt).scalars())


@dataclass
class NodeUpdate:
    node_id: int
    values: dict[str, Any]


_NODE_FIELDS = (
    "status",
    "executor",
    "start_time",
    "end_time",
    "output_key",
    "error",
    "stdout",
    "stderr",
    "attempts",
    "job_handle",
    "sublattice_dispatch_id",
    "transfers",
    "submitted_at",
    "worker",
    "history",
)


def transfers_json(records: Any) -> str | None:
    """A node's transfer records as stored: JSON text of plain values (what the runtime reported)."""
    try:
        return json.dumps(list(records)) if records else None
    except (TypeError, ValueError):
        return None


def attempts_json(history: Iterable[Attempt]) -> str:
    """A node's earlier attempts as stored: JSON, one object per attempt."""
    return json.dumps([a._asdict() for a in history])


def clean_text(value: Any) -> Any:
    """Text as every database accepts it: PostgreSQL refuses NUL characters in text."""
    if isinstance(value, str) and "\x00" in value:
        return value.replace("\x00", "\ufffd")
    return value


@lru_cache(maxsize=256)
def _node_update(cols: tuple[str, ...]) -> Update:
    """The UPDATE of these node columns, built once: SQLAlchemy then skips its cache-key work."""
    where = and_(nodes.c.dispatch_id == bindparam("b_dispatch_id"), nodes.c.node_id == bindparam("b_node_id"))
    return update(nodes).where(where).values({k: bindparam(f"v_{k}") for k in cols})


def update_nodes(conn: Connection, dispatch_id: str, updates: Iterable[NodeUpdate]) -> None:
    """Apply node updates, grouped by the set of columns they change (executemany)."""
    groups: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
    for upd in updates:
        cols = tuple(sorted(k for k in upd.values if k in _NODE_FIELDS))
        if cols:  # each row: the new values, then the key (dispatch, node)
            row = (*(clean_text(upd.values[k]) for k in cols), dispatch_id, upd.node_id)
            groups.setdefault(cols, []).append(row)
    for cols, rows in groups.items():
        if not update_rows(conn, nodes, cols, ("dispatch_id", "node_id"), rows):
            names = [f"v_{k}" for k in cols] + ["b_dispatch_id", "b_node_id"]
            conn.execute(_node_update(cols), [dict(zip(names, row, strict=True)) for row in rows])


@lru_cache(maxsize=64)
def _dispatch_update(cols: tuple[str, ...]) -> Update:
    where = dispatches.c.dispatch_id == bindparam("b_dispatch_id")
    return update(dispatches).where(where).values({k: bindparam(f"v_{k}") for k in cols})


def set_dispatch(conn: Connection, dispatch_id: str, **values: Any) -> None:
    cols = tuple(sorted(values))
    row = (*(clean_text(values[k]) for k in cols), dispatch_id)
    if not update_rows(conn, dispatches, cols, ("dispatch_id",), [row]):
        names = [f"v_{k}" for k in cols] + ["b_dispatch_id"]
        conn.execute(_dispatch_update(cols), dict(zip(names, row, strict=True)))


#: A dispatch's record as clients see it (what a copy shares from where is the store's business).
_SUMMARY_COLUMNS = [c for c in dispatches.c if c.name != "nodes_from"]
_RECORD_FIELDS = [c.name for c in _SUMMARY_COLUMNS]


def _dispatch_record(row: Any, manifest: dict[str, Any] | None = None) -> DispatchRecord:
    data = dict(zip(_RECORD_FIELDS, row, strict=False))
    data["status"] = Status(data["status"])
    data["lattice"] = json.loads(data["lattice"] or "{}")
    return DispatchRecord(**data, manifest=manifest)


def read_dispatch(conn: Connection, dispatch_id: str, *, with_manifest: bool = False) -> DispatchRecord | None:
    """A dispatch's record (with its manifest if asked for); None if there is none."""
    row = conn.execute(select(*_SUMMARY_COLUMNS).where(dispatches.c.dispatch_id == dispatch_id)).first()
    if row is None:
        return None
    manifest = None
    if with_manifest:
        manifest = json.loads(shared_manifest(conn, dispatch_id, row._mapping["reuse_from"]))
    return _dispatch_record(row, manifest)


def count_nodes(conn: Connection, dispatch_ids: list[str]) -> dict[str, dict[str, int]]:
    """Task-node counts by status for each dispatch (parameters excluded)."""
    if not dispatch_ids:
        return {}
    holders = node_holders(conn, dispatch_ids)
    by_holder: dict[str, dict[str, int]] = {h: {} for h in holders.values()}
    stmt = (
        select(nodes.c.dispatch_id, nodes.c.status, func.count())
        .where(nodes.c.dispatch_id.in_(list(by_holder)), nodes.c.kind.not_in(sorted(NOT_TASKS)))
        .group_by(nodes.c.dispatch_id, nodes.c.status)
    )
    for holder, status, n in conn.execute(stmt):
        by_holder[holder][status] = n
    return {d: dict(by_holder[holders[d]]) for d in dispatch_ids}


def list_dispatches(
    conn: Connection,
    *,
    status: list[str] | None = None,
    search: str = "",
    sort: str = "created",
    order: str = "desc",
    limit: int = 50,
    offset: int = 0,
    include_children: bool = False,
    name: str = "",
    created_after: float | None = None,
    created_before: float | None = None,
    ids: list[str] | None = None,
) -> tuple[list[DispatchRecord], int]:
    """One page of dispatches (each with its ``node_counts``) and how many match: ``search`` in the
    name or id, ``name`` exactly, created in ``[created_after, created_before)``, among ``ids`` if
    given; sorted by ``sort`` (those without a value last)."""
    where: list[Any] = []
    if ids is not None:
        where.append(dispatches.c.dispatch_id.in_(ids))
    if status:
        where.append(dispatches.c.status.in_(status))
    if search:
        pattern = f"%{search}%"
        where.append(or_(dispatches.c.name.ilike(pattern), dispatches.c.dispatch_id.ilike(pattern)))
    if name:
        where.append(dispatches.c.name == name)
    if created_after is not None:
        where.append(dispatches.c.created_at >= created_after)
    if created_before is not None:
        where.append(dispatches.c.created_at < created_before)
    if not include_children:
        where.append(dispatches.c.parent_dispatch_id.is_(None))
    column = _sort_column(sort)
    ordering = (column.desc() if order == "desc" else column.asc()).nulls_last()
    total = conn.execute(select(func.count()).select_from(dispatches).where(*where)).scalar_one()
    rows = conn.execute(
        select(*_SUMMARY_COLUMNS).where(*where).order_by(ordering, dispatches.c.dispatch_id).limit(limit).offset(offset)
    ).all()
    counts = count_nodes(conn, [r.dispatch_id for r in rows])
    items = [replace(_dispatch_record(r), node_counts=counts.get(r.dispatch_id, {})) for r in rows]
    return items, int(total)


def lattice_names(conn: Connection, limit: int = 500) -> list[str]:
    """The names top-level dispatches have, alphabetically (at most ``limit``)."""
    stmt = (
        select(dispatches.c.name)
        .where(dispatches.c.parent_dispatch_id.is_(None))
        .distinct()
        .order_by(dispatches.c.name)
        .limit(limit)
    )
    return [r[0] for r in conn.execute(stmt)]


def overview(conn: Connection, since: float) -> Overview:
    """Top-level dispatches running now and ended since ``since`` by status, and their tasks' time.

    ``task_seconds``: the time the task nodes of those dispatches ran (a
    full-reuse copy ran none of its own); sublattice dispatches count with
    their parent only as their node's time.
    """
    top = dispatches.c.parent_dispatch_id.is_(None)
    recent = or_(dispatches.c.status == Status.RUNNING, dispatches.c.ended_at >= since)
    counts: dict[str, int] = {}
    for status, n in conn.execute(
        select(dispatches.c.status, func.count()).where(top, recent).group_by(dispatches.c.status)
    ):
        counts[status] = int(n)
    own = select(dispatches.c.dispatch_id).where(top, recent, dispatches.c.nodes_from.is_(None))
    seconds = conn.execute(
        select(func.coalesce(func.sum(nodes.c.end_time - nodes.c.start_time), 0.0)).where(
            nodes.c.dispatch_id.in_(own.scalar_subquery()),
            nodes.c.kind != "parameter",
            nodes.c.end_time.is_not(None),
            nodes.c.start_time.is_not(None),
        )
    ).scalar_one()
    return Overview(since=since, counts=counts, task_seconds=float(seconds or 0.0))


def dispatch_counts(conn: Connection) -> dict[str, int]:
    """How many dispatches there are in each status."""
    rows = conn.execute(select(dispatches.c.status, func.count()).group_by(dispatches.c.status))
    return {status: n for status, n in rows}


def running_dispatch_ids(conn: Connection) -> list[str]:
    """Dispatches recorded as RUNNING (parents before their sublattices, oldest first)."""
    rows = conn.execute(
        select(dispatches.c.dispatch_id)
        .where(dispatches.c.status == Status.RUNNING)
        .order_by(dispatches.c.parent_dispatch_id.is_not(None), dispatches.c.created_at)
    )
    return [r[0] for r in rows]


_Node = TypeVar("_Node", NodeRecord, NodeBrief, NodeTiming)


def _fields_at(record: type, name: str) -> int | None:
    fields: tuple[str, ...] = record._fields  # type: ignore[attr-defined]
    return fields.index(name) if name in fields else None


#: Where each node record has the columns stored as JSON text: transfers, history.
_JSON_AT = {
    record: (_fields_at(record, "transfers"), _fields_at(record, "history"))
    for record in (NodeRecord, NodeBrief, NodeTiming)
}
_STATUSES: dict[str, Status] = {s.value: s for s in Status}


def _node_rows(record: type[_Node], rows: Iterable[Any], holder: str, dispatch_id: str) -> list[_Node]:
    """Node records straight from the row tuples: the status as a Status, JSON columns as lists."""
    status_at = record._fields.index("status")
    transfers_at, history_at = _JSON_AT[record]
    statuses = _STATUSES
    # NodeTiming's last field (the copy's id) is no column: None unless this is a copy
    missing: list[None] = [None] if record is NodeTiming else []
    found = []
    row: Any
    for row in rows:
        values: list[Any] = [*row, *missing]
        values[status_at] = statuses[values[status_at]]
        if transfers_at is not None:  # stored as JSON text, read as the list of records
            values[transfers_at] = json.loads(values[transfers_at]) if values[transfers_at] else []
        if history_at is not None:
            stored = values[history_at]
            values[history_at] = [Attempt.from_json(a) for a in json.loads(stored)] if stored else []
        found.append(record._make(values))
    return found if holder == dispatch_id else [as_copy(r, dispatch_id) for r in found]


def reusable_outputs(conn: Connection, dispatch_id: str) -> dict[str, ReusableOutput]:
    """Completed task nodes of a dispatch, by fingerprint."""
    holder = node_holder(conn, dispatch_id)
    rows = conn.execute(
        select(*(nodes.c[name] for name in ReusableOutput._fields)).where(
            nodes.c.dispatch_id == holder,
            nodes.c.status == Status.COMPLETED,
            nodes.c.kind != "parameter",
            nodes.c.output_key.is_not(None),
            # never an output handed on by reference and lost before it was stored
            nodes.c.output_key.not_in(select(blob_rows.c.key).where(blob_rows.c.location.like('{"lost"%'))),
        )
    )
    return {r.fingerprint: ReusableOutput._make(r) for r in rows if r.fingerprint}


@overload
def read_nodes(conn: Connection, dispatch_id: str, *, brief: Literal[False] = ...) -> list[NodeRecord]: ...
@overload
def read_nodes(conn: Connection, dispatch_id: str, *, brief: Literal[True]) -> list[NodeBrief]: ...
def read_nodes(conn: Connection, dispatch_id: str, *, brief: bool = False) -> list[NodeRecord] | list[NodeBrief]:
    """A dispatch's nodes in id order: whole (:class:`NodeRecord`) or ``brief`` (:class:`NodeBrief`)."""
    holder = node_holder(conn, dispatch_id)
    where = nodes.c.dispatch_id == holder
    if brief:
        rows = conn.execute(select(*_BRIEF_COLUMNS).where(where).order_by(nodes.c.node_id))
        return _node_rows(NodeBrief, rows, holder, dispatch_id)
    rows = conn.execute(select(nodes).where(where).order_by(nodes.c.node_id))
    return _node_rows(NodeRecord, rows, holder, dispatch_id)


_BRIEF_COLUMNS = [nodes.c[name] for name in NodeBrief._fields]
#: What a dispatch's timeline shows of each node: when, where and how often it ran, its transfers.
_TIMELINE_COLUMNS = [nodes.c[name] for name in NodeTiming._fields if name != "dispatch_id"]


def read_timeline(conn: Connection, dispatch_id: str, node_ids: Iterable[int] | None = None) -> list[NodeTiming]:
    """Task nodes' timing records (all of them, or ``node_ids``), without outputs, streams or errors."""
    holder = node_holder(conn, dispatch_id)
    where = [nodes.c.dispatch_id == holder, nodes.c.kind.not_in(list(NOT_TASKS))]
    if node_ids is not None:
        where.append(nodes.c.node_id.in_(list(node_ids)))
    rows = conn.execute(select(*_TIMELINE_COLUMNS).where(*where).order_by(nodes.c.node_id))
    return _node_rows(NodeTiming, rows, holder, dispatch_id)


def read_node(conn: Connection, dispatch_id: str, node_id: int) -> NodeRecord | None:
    """One node's whole record; None if there is none."""
    holder = node_holder(conn, dispatch_id)
    row = conn.execute(select(nodes).where(nodes.c.dispatch_id == holder, nodes.c.node_id == node_id)).first()
    if row is None:
        return None
    return _node_rows(NodeRecord, [row], holder, dispatch_id)[0]


def delete_dispatch(conn: Connection, dispatch_id: str) -> list[str]:
    """Delete a dispatch and its child dispatches; returns the ids deleted."""
    ids = [dispatch_id]
    frontier = [dispatch_id]
    while frontier:
        children = list(
            conn.execute(
                select(dispatches.c.dispatch_id).where(dispatches.c.parent_dispatch_id.in_(frontier))
            ).scalars()
        )
        ids += children
        frontier = children
    give_copies_their_own(conn, ids)
    delete_for_dispatches(conn, ids)  # their triggers, and their links as triggered runs
    conn.execute(delete(nodes).where(nodes.c.dispatch_id.in_(ids)))
    conn.execute(delete(manifests).where(manifests.c.dispatch_id.in_(ids)))
    conn.execute(delete(dispatches).where(dispatches.c.dispatch_id.in_(ids)))
    return ids
