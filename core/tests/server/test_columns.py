"""A run's per-node state in columns: dict semantics, a byte or eight a node."""

from __future__ import annotations

import pytest

from covalent.graph.compact import CompactGraph
from covalent.server.dispatcher.columns import FloatColumn, IntColumn, OutputKeys, StatusColumn
from covalent.status import Status


def _graph() -> CompactGraph:
    graph = CompactGraph()
    for node_id in (3, 5, 9):
        graph.add_node_dict({"id": node_id, "kind": "electron", "name": "t", "function": "f" * 64})
    graph.add_node_dict({"id": 11, "kind": "parameter", "name": "p", "value": "ab" * 32})
    return graph


def test_status_column_reads_and_writes_as_a_dict():
    status = StatusColumn(_graph())
    assert len(status) == 0 and status.get(3) is None and 3 not in status
    status[3] = Status.RUNNING
    status[9] = "COMPLETED"
    status[5] = "SOMETHING_NEW"  # a status this version does not name is kept
    assert status[3] == "RUNNING" and status[9] is Status.COMPLETED and status[5] == "SOMETHING_NEW"
    assert dict(status.items()) == {3: "RUNNING", 5: "SOMETHING_NEW", 9: "COMPLETED"}
    assert sorted(status.values()) == ["COMPLETED", "RUNNING", "SOMETHING_NEW"] and list(status) == [3, 5, 9]
    del status[5]
    assert 5 not in status and len(status) == 2 and status.get(4, "none") == "none"
    with pytest.raises(KeyError):
        status[4] = "RUNNING"  # no such node
    with pytest.raises(KeyError):
        status[5]


def test_int_column_reads_and_writes_as_a_dict():
    counts = IntColumn(_graph())
    counts[3] = 0
    counts[9] = 2
    counts[9] += 1
    assert counts.get(5, 0) == 0 and counts[9] == 3 and dict(counts) == {3: 0, 9: 3} and len(counts) == 2
    with pytest.raises(KeyError):
        counts[5]


def test_output_keys_answer_parameters_from_the_graph():
    keys = OutputKeys(_graph())
    assert keys[11] == "ab" * 32 and 3 not in keys and dict(keys) == {11: "ab" * 32}
    keys[11] = "ab" * 32  # the graph's own: nothing more is kept
    keys[3] = "cd" * 32
    assert dict(keys) == {3: "cd" * 32, 11: "ab" * 32}
    keys.pop(11)
    assert 11 not in keys and keys.get(11) is None
    keys[11] = "ef" * 32
    assert keys[11] == "ef" * 32 and len(keys) == 2


def test_float_column_reads_and_writes_as_a_dict():
    times = FloatColumn(_graph())
    times[3] = 0.0
    times[9] = 1.5e9
    assert times.get(5) is None and times[9] == 1.5e9 and dict(times) == {3: 0.0, 9: 1.5e9} and len(times) == 2
    del times[3]
    assert 3 not in times
    with pytest.raises(KeyError):
        times[5]


def test_output_keys_keep_digests_packed_and_other_keys_as_they_are():
    keys = OutputKeys(_graph())
    keys[3] = "0f" * 32
    keys[5] = "AB" * 32  # not the lowercase hex form of 32 bytes: kept as it is
    keys[9] = "held:worker-1:xyz"
    assert dict(keys) == {3: "0f" * 32, 5: "AB" * 32, 9: "held:worker-1:xyz", 11: "ab" * 32}
    keys[9] = "12" * 32  # a digest after all
    keys[5] = "odd"
    assert keys[9] == "12" * 32 and keys[5] == "odd"
    keys.pop(3)
    keys.pop(9)
    assert 3 not in keys and 9 not in keys and keys.get(3) is None and len(keys) == 2
    assert keys._own._packed and len(keys._own._packed) == 32 * 4  # 32 bytes a node, made at the first digest
    with pytest.raises(KeyError):
        keys[12]
