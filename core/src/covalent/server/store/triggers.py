"""Trigger records: registering, changing and reading triggers and the runs they started.

Functions taking a ``conn`` read; those returning an operation are handed to
the :class:`~covalent.server.store.writer.Writer`, and the events they return
(``kind: "trigger"``) reach the event stream once committed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, NamedTuple

from sqlalchemy import Connection, case, delete, func, insert, or_, select, update

from covalent.server.db.tables import dispatches, trigger_runs, triggers
from covalent.server.store.events import Event, TriggerChanged
from covalent.server.store.sql import insert_ignore
from covalent.server.store.writer import Operation
from covalent.status import TERMINAL

__all__ = [
    "OBSERVING",
    "STATES",
    "TriggerLinks",
    "TriggerRecord",
    "TriggerRun",
    "count_event",
    "delete_for_dispatches",
    "insert_triggers",
    "read_triggers",
    "recent_runs",
    "run_links",
    "running_runs",
    "set_state",
]

OBSERVING, STOPPED, FAILED = "observing", "stopped", "failed"
STATES = (OBSERVING, STOPPED, FAILED)
#: What one event of a trigger did.
Outcome = Literal["run", "skipped", "queued", "dequeued"]


@dataclass(frozen=True)
class TriggerRecord:
    trigger_id: str
    dispatch_id: str
    kind: str
    config: dict[str, Any]
    policy: dict[str, Any]
    dispatcher_addr: str | None = None
    state: str = OBSERVING
    error: str | None = None
    created_at: float = field(default_factory=time.time)
    updated_at: float = 0.0
    last_event_at: float | None = None
    events: int = 0
    runs: int = 0
    skipped: int = 0
    queued: int = 0

    @classmethod
    def from_row(cls, row: Any) -> TriggerRecord:
        data = dict(row._mapping)
        data["config"] = json.loads(data["config"])
        data["policy"] = json.loads(data["policy"])
        return cls(**data)

    def row(self) -> dict[str, Any]:
        data = self.__dict__.copy()
        data["config"] = json.dumps(self.config)
        data["policy"] = json.dumps(self.policy)
        data["updated_at"] = self.updated_at or self.created_at
        return data

    def with_state(self, state: str, error: str | None = None) -> TriggerRecord:
        return replace(self, state=state, error=error)


class TriggerRun(NamedTuple):
    """A run a trigger started, with its dispatch's status and times (None: the dispatch is gone)."""

    trigger_id: str
    run_dispatch_id: str
    fired_at: float
    status: str | None
    started_at: float | None
    ended_at: float | None
    error: str | None

    def as_json(self) -> dict[str, Any]:
        return self._asdict()


@dataclass(frozen=True, slots=True)
class TriggerLinks:
    """A dispatch's place among triggers: its own (how many, how many observing, their runs),
    and the dispatch whose trigger started it (``origin``)."""

    triggers: int = 0
    observing: int = 0
    runs: int = 0
    origin: str | None = None


def _event(record: TriggerRecord, *, outcome: str | None = None, run_dispatch_id: str | None = None) -> TriggerChanged:
    return TriggerChanged(record.trigger_id, record.dispatch_id, record.state, record.error, outcome, run_dispatch_id)


def insert_triggers(records: Sequence[TriggerRecord]) -> Operation:
    def op(conn: Connection) -> list[Event]:
        if records:
            conn.execute(insert(triggers), [r.row() for r in records])
        return [_event(r) for r in records]

    return op


def set_state(records: Iterable[TriggerRecord], state: str, error: str | None = None) -> Operation:
    """Move triggers to ``state`` (with the failure reason for ``failed``)."""
    chosen = list(records)

    def op(conn: Connection) -> list[Event]:
        ids = [r.trigger_id for r in chosen]
        if ids:
            values = {"state": state, "error": error, "updated_at": time.time()}
            conn.execute(update(triggers).where(triggers.c.trigger_id.in_(ids)).values(values))
        return [TriggerChanged(r.trigger_id, r.dispatch_id, state, error) for r in chosen]

    return op


def count_event(record: TriggerRecord, outcome: Outcome, run_dispatch_id: str | None = None) -> Operation:
    """Count what an event did; a run is also linked to the trigger's dispatch."""
    now = time.time()
    changes: dict[str, Any] = {"updated_at": now}
    c = triggers.c
    if outcome != "dequeued":  # a queued event that now runs was counted when it came
        changes.update(events=c.events + 1, last_event_at=now)
    if outcome in ("run", "dequeued"):
        changes["runs"] = c.runs + 1
    if outcome == "dequeued":
        changes["queued"] = c.queued - 1
    elif outcome == "queued":
        changes["queued"] = c.queued + 1
    elif outcome == "skipped":
        changes["skipped"] = c.skipped + 1

    def op(conn: Connection) -> list[Event]:
        conn.execute(update(triggers).where(c.trigger_id == record.trigger_id).values(changes))
        if run_dispatch_id is not None:
            link = {
                "trigger_id": record.trigger_id,
                "run_dispatch_id": run_dispatch_id,
                "origin_dispatch_id": record.dispatch_id,
                "fired_at": now,
            }
            insert_ignore(conn, trigger_runs, [link])  # a run counted twice is linked once
        return [_event(record, outcome=outcome, run_dispatch_id=run_dispatch_id)]

    return op


def read_triggers(
    conn: Connection,
    *,
    dispatch_ids: Sequence[str] | None = None,
    trigger_ids: Sequence[str] | None = None,
    states: Sequence[str] | None = None,
) -> list[TriggerRecord]:
    where = []
    if dispatch_ids is not None:
        where.append(triggers.c.dispatch_id.in_(list(dispatch_ids)))
    if trigger_ids is not None:
        where.append(triggers.c.trigger_id.in_(list(trigger_ids)))
    if states is not None:
        where.append(triggers.c.state.in_(list(states)))
    rows = conn.execute(select(triggers).where(*where).order_by(triggers.c.created_at, triggers.c.trigger_id))
    return [TriggerRecord.from_row(r) for r in rows]


def recent_runs(conn: Connection, origin_dispatch_id: str, limit: int = 50) -> tuple[list[TriggerRun], int]:
    """The newest runs the triggers of a dispatch started, with each run's status and times; and how many in all."""
    r, d = trigger_runs.c, dispatches.c
    total = conn.execute(select(func.count()).where(r.origin_dispatch_id == origin_dispatch_id)).scalar_one()
    rows = conn.execute(
        select(*(r[f] if f in r else d[f] for f in TriggerRun._fields))
        .select_from(trigger_runs.outerjoin(dispatches, d.dispatch_id == r.run_dispatch_id))
        .where(r.origin_dispatch_id == origin_dispatch_id)
        .order_by(r.fired_at.desc())
        .limit(limit)
    )
    return [TriggerRun._make(row) for row in rows], int(total)


def running_runs(conn: Connection, trigger_id: str) -> list[str]:
    """Runs of a trigger whose dispatch (in this database) has not ended."""
    r, d = trigger_runs.c, dispatches.c
    rows = conn.execute(
        select(r.run_dispatch_id)
        .select_from(trigger_runs.join(dispatches, d.dispatch_id == r.run_dispatch_id))
        .where(r.trigger_id == trigger_id, d.status.not_in([str(s) for s in TERMINAL]))
    )
    return [row[0] for row in rows]


def run_links(conn: Connection, dispatch_ids: Sequence[str]) -> dict[str, TriggerLinks]:
    """For the dashboard's list: which of these dispatches have triggers (and runs), which are triggered runs."""
    ids = list(dispatch_ids)
    if not ids:
        return {}
    links: dict[str, dict[str, Any]] = {}
    t, r = triggers.c, trigger_runs.c
    for origin, count, observing in conn.execute(
        select(t.dispatch_id, func.count(), func.sum(case((t.state == OBSERVING, 1), else_=0)))
        .where(t.dispatch_id.in_(ids))
        .group_by(t.dispatch_id)
    ):
        links[origin] = {"triggers": int(count), "observing": int(observing or 0), "runs": 0}
    for origin, runs in conn.execute(
        select(r.origin_dispatch_id, func.count()).where(r.origin_dispatch_id.in_(ids)).group_by(r.origin_dispatch_id)
    ):
        links.setdefault(origin, {"triggers": 0, "observing": 0})["runs"] = int(runs)
    for run, origin in conn.execute(
        select(r.run_dispatch_id, r.origin_dispatch_id).where(
            r.run_dispatch_id.in_(ids), r.run_dispatch_id != r.origin_dispatch_id
        )
    ):
        links.setdefault(run, {})["origin"] = origin
    return {dispatch_id: TriggerLinks(**found) for dispatch_id, found in links.items()}


def delete_for_dispatches(conn: Connection, dispatch_ids: Sequence[str]) -> list[str]:
    """Forget the triggers of deleted dispatches and the links of deleted runs; the trigger ids forgotten."""
    ids = list(dispatch_ids)
    gone = list(conn.execute(select(triggers.c.trigger_id).where(triggers.c.dispatch_id.in_(ids))).scalars())
    r = trigger_runs.c
    conn.execute(delete(trigger_runs).where(or_(r.run_dispatch_id.in_(ids), r.origin_dispatch_id.in_(ids))))
    conn.execute(delete(triggers).where(triggers.c.dispatch_id.in_(ids)))
    return gone
