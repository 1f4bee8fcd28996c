"""The typed events a commit announces (``store.events``) and the bus that delivers them (``events``)."""

from __future__ import annotations

import asyncio
import dataclasses
import json

import pytest

from covalent.server.events import EventBus, Published
from covalent.server.store.events import (
    DispatchDeleted,
    DispatchEvent,
    DispatchRegistered,
    DispatchSummary,
    NodesChanged,
    TriggerChanged,
    encode_output,
)
from covalent.server.store.models import DispatchRecord
from covalent.status import Status

RECORD = DispatchRecord(
    dispatch_id="d1",
    root_dispatch_id="d1",
    parent_dispatch_id=None,
    parent_node_id=None,
    name="flow",
    status=Status.RUNNING,
    created_at=1.0,
    started_at=2.0,
    ended_at=None,
    output_key=None,
    error=None,
    reuse_from=None,
    node_count=3,
    lattice={"function": "k1", "output": {}},
    manifest={"graph": {"nodes": []}},
    graph=object(),
)


def test_a_summary_is_the_record_with_its_changes_and_task_counts_and_no_manifest():
    summary = DispatchSummary.of(RECORD, {"COMPLETED": 2}, status=Status.COMPLETED, ended_at=3.0, output_key="k9")
    data = summary.as_json()
    assert list(data) == [
        "dispatch_id",
        "root_dispatch_id",
        "parent_dispatch_id",
        "parent_node_id",
        "name",
        "status",
        "created_at",
        "started_at",
        "ended_at",
        "output_key",
        "error",
        "reuse_from",
        "node_count",
        "lattice",
        "node_counts",
    ]
    assert (data["status"], data["ended_at"], data["output_key"], data["node_counts"]) == (
        "COMPLETED",
        3.0,
        "k9",
        {"COMPLETED": 2},
    )
    assert summary.record.manifest is None and summary.record.graph is None and summary.node_counts == {"COMPLETED": 2}
    assert data == {
        **dataclasses.replace(RECORD, manifest=None, status=Status.COMPLETED, ended_at=3.0, output_key="k9").as_json(),
        "node_counts": {"COMPLETED": 2},
    }
    json.dumps(data)  # JSON as it is


def test_each_event_writes_the_keys_the_api_has_always_sent():
    summary = DispatchSummary.of(RECORD, {})
    assert list(DispatchEvent("d", "r", Status.RUNNING, 1, 2).as_json()) == [
        "kind", "dispatch_id", "root_dispatch_id", "status", "completed", "total",
    ]  # fmt: skip
    ended = DispatchEvent("d", "r", Status.COMPLETED, 2, 2, summary, encode_output(b"x"), snapshot=True, name="n")
    assert list(ended.as_json()) == [
        "kind", "snapshot", "dispatch_id", "root_dispatch_id", "status", "name", "completed", "total",
        "summary", "output",
    ]  # fmt: skip
    assert ended.as_json()["output"] == "eA==" and encode_output(None) is None
    assert DispatchRegistered("d", "r", Status.NEW_OBJECT, "n").as_json() == {
        "kind": "dispatch", "dispatch_id": "d", "root_dispatch_id": "r", "status": "NEW_OBJECT", "name": "n",
    }  # fmt: skip
    assert NodesChanged("d", "r", [(0, Status.COMPLETED), (4, Status.RUNNING)], 1, 5).as_json() == {
        "kind": "nodes",
        "dispatch_id": "d",
        "root_dispatch_id": "r",
        "nodes": [{"node_id": 0, "status": "COMPLETED"}, {"node_id": 4, "status": "RUNNING"}],
        "completed": 1,
        "total": 5,
    }
    assert DispatchDeleted("d").as_json() == {"kind": "deleted", "dispatch_id": "d"}
    assert list(TriggerChanged("t", "d", "observing", None).as_json()) == [
        "kind", "trigger_id", "dispatch_id", "state", "error",
    ]  # fmt: skip
    counted = TriggerChanged("t", "d", "observing", None, "run", None).as_json()
    assert list(counted)[-2:] == ["outcome", "run_dispatch_id"] and counted["run_dispatch_id"] is None


@pytest.mark.parametrize(
    "event",
    [
        DispatchEvent("d", "r", Status.RUNNING, 0, 1),
        DispatchRegistered("d", "r", Status.NEW_OBJECT, "n"),
        NodesChanged("d", "r", [], 0, 0),
        DispatchDeleted("d"),
        TriggerChanged("t", "d", "observing", None),
    ],
)
def test_events_are_read_only_and_slotted(event):
    with pytest.raises((dataclasses.FrozenInstanceError, AttributeError)):
        event.dispatch_id = "other"
    assert not hasattr(event, "__dict__")


def test_the_bus_numbers_events_and_delivers_those_of_a_dispatch_and_its_sublattices():
    async def main():
        bus = EventBus()
        everything, mine = bus.open(), bus.open("d1")
        bus.publish(DispatchRegistered("child", "d1", Status.RUNNING, "inner"))
        bus.publish(DispatchDeleted("other"))
        bus.publish(TriggerChanged("t", "d1", "observing", None))
        bus.publish(NodesChanged("d1", "d1", [(0, Status.COMPLETED)], 1, 1))
        bus.close()
        return [p async for p in everything], [p async for p in mine]

    everything, mine = asyncio.run(main())
    assert [p.id for p in everything] == [1, 2, 3, 4]
    assert [p.id for p in mine] == [1, 3, 4]
    assert isinstance(mine[0], Published) and mine[0].as_json() == {"id": 1, **mine[0].event.as_json()}
    assert next(iter(mine[0].as_json())) == "id"


def test_end_of_answers_the_dispatchs_final_event_or_none_after_the_timeout():
    async def main():
        bus = EventBus()
        waiting = bus.open("d1")
        bus.publish(DispatchEvent("d1", "d1", Status.RUNNING, 0, 1))
        bus.publish(DispatchEvent("child", "d1", Status.COMPLETED, 1, 1))  # a sublattice's end is not the end
        bus.publish(DispatchEvent("d1", "d1", Status.FAILED, 0, 1, DispatchSummary.of(RECORD, {})))
        end = await waiting.end_of("d1", 5)
        quiet = bus.open("d2")
        return end, await quiet.end_of("d2", 0.01)

    end, none = asyncio.run(main())
    assert end is not None and end.id == 3 and isinstance(end.event, DispatchEvent)
    assert end.event.status == Status.FAILED and end.event.summary is not None
    assert none is None
