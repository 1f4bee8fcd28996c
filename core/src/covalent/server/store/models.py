"""The typed records the store's reads return, as they pass to the dispatcher, the API and a UI.

Each record becomes JSON only at the HTTP edge (``as_json``: the keys in the
order the API has always answered them).  A dispatch's record and the
overview are frozen slotted dataclasses (one per dispatch read).  A node's
records are named tuples, built straight from the database's row tuples: a
read of a big dispatch makes one per node, and a frozen dataclass's
``__init__`` costs 1.8 us for the twenty columns (a dict of them 0.8 us, the
named tuple 0.2 us, measured on Python 3.11).  There is one per projection
the store reads: the whole row (:class:`NodeRecord`), the row without its
streams, error and history (:class:`NodeBrief`) and what a timeline shows
(:class:`NodeTiming`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from covalent.status import Status

__all__ = [
    "Attempt",
    "DispatchRecord",
    "HeldRow",
    "NodeBrief",
    "NodeRecord",
    "NodeTiming",
    "Overview",
    "ReusableOutput",
]


class Attempt(NamedTuple):
    """An earlier attempt of a retried node (its last attempt is the node's own columns)."""

    attempt: int
    status: Status
    submitted_at: float | None = None
    start_time: float | None = None
    end_time: float | None = None
    #: Where it ran (host:pid).
    worker: str | None = None
    #: The end of its error.
    error: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Attempt:
        return cls(**{**data, "status": Status(data["status"])})

    def as_json(self) -> dict[str, Any]:
        return self._asdict()


def _with_attempts(data: dict[str, Any], history: list[Attempt] | None) -> dict[str, Any]:
    if history:
        data["history"] = [a._asdict() for a in history]
    return data


@dataclass(frozen=True, slots=True)
class DispatchRecord:
    """A dispatch as clients see it (``GET /dispatches/{id}``); the manifest only when asked for."""

    dispatch_id: str
    root_dispatch_id: str
    parent_dispatch_id: str | None
    parent_node_id: int | None
    name: str
    status: Status
    created_at: float
    started_at: float | None
    ended_at: float | None
    output_key: str | None
    error: str | None
    reuse_from: str | None
    node_count: int
    #: The lattice's metadata and its output (JSON the SDK sent).
    lattice: dict[str, Any]
    #: The manifest (JSON), read only when asked for.
    manifest: dict[str, Any] | None = None
    #: Task nodes by status, when read with them.
    node_counts: dict[str, int] | None = None
    #: The validated graph of a dispatch registered a moment ago (memory only, never JSON).
    graph: Any = None

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "dispatch_id": self.dispatch_id,
            "root_dispatch_id": self.root_dispatch_id,
            "parent_dispatch_id": self.parent_dispatch_id,
            "parent_node_id": self.parent_node_id,
            "name": self.name,
            "status": self.status,
            "created_at": self.created_at,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "output_key": self.output_key,
            "error": self.error,
            "reuse_from": self.reuse_from,
            "node_count": self.node_count,
            "lattice": self.lattice,
        }
        if self.manifest is not None:
            data["manifest"] = self.manifest
        if self.node_counts is not None:
            data["node_counts"] = self.node_counts
        return data


class NodeRecord(NamedTuple):
    """A node's whole row (the columns of ``nodes``, in order); transfers and history as lists."""

    dispatch_id: str
    node_id: int
    name: str
    kind: str
    status: Status
    executor: str | None
    start_time: float | None
    end_time: float | None
    output_key: str | None
    error: str | None
    stdout: str | None
    stderr: str | None
    attempts: int
    job_handle: str | None
    sublattice_dispatch_id: str | None
    fingerprint: str | None
    #: One record per file transfer of its last run (None in a row not yet stored).
    transfers: list[dict[str, Any]] | None
    submitted_at: float | None
    worker: str | None
    #: Its earlier attempts (None in a row not yet stored).
    history: list[Attempt] | None

    def as_json(self) -> dict[str, Any]:
        return _with_attempts(self._asdict(), self.history)


class NodeBrief(NamedTuple):
    """A node's row without stdout, stderr, error, job handle, transfers and history."""

    dispatch_id: str
    node_id: int
    name: str
    kind: str
    status: Status
    executor: str | None
    start_time: float | None
    end_time: float | None
    output_key: str | None
    attempts: int
    sublattice_dispatch_id: str | None
    fingerprint: str | None
    submitted_at: float | None
    worker: str | None

    def as_json(self) -> dict[str, Any]:
        return self._asdict()


class NodeTiming(NamedTuple):
    """What a timeline shows of a task node: when, where and how often it ran, its transfers."""

    node_id: int
    name: str
    kind: str
    status: Status
    executor: str | None
    worker: str | None
    submitted_at: float | None
    start_time: float | None
    end_time: float | None
    attempts: int
    history: list[Attempt]
    transfers: list[dict[str, Any]]
    sublattice_dispatch_id: str | None
    #: Set on a full copy's timeline only: the copy whose nodes these are (the JSON has it then).
    dispatch_id: str | None = None

    def as_json(self) -> dict[str, Any]:
        data = _with_attempts(self._asdict(), self.history)
        if self.dispatch_id is None:
            del data["dispatch_id"]
        return data


class ReusableOutput(NamedTuple):
    """A completed task node's output, for a dispatch that reuses it (by the node's fingerprint)."""

    fingerprint: str
    output_key: str
    stdout: str | None
    stderr: str | None
    start_time: float | None
    end_time: float | None


class HeldRow(NamedTuple):
    """A value recorded by reference and not stored yet (or lost before it was)."""

    key: str
    size: int
    #: Where it is held (the executor and the holder, JSON the executor made), or why it was lost.
    location: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Overview:
    """Top-level dispatches running now or ended since ``since``, by status, and their tasks' run time."""

    since: float
    counts: dict[str, int]
    task_seconds: float

    def as_json(self) -> dict[str, Any]:
        return {"since": self.since, "counts": self.counts, "task_seconds": self.task_seconds}
