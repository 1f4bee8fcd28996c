"""Large outputs kept where they were made: what is kept, what the next task receives, what is stored."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from covalent.runtime.execute import execute_job
from covalent.runtime.held import (
    HeldValueLost,
    MemoryHolder,
    consumer_value,
    held_key,
    hold,
    persisted_stream,
)
from covalent.runtime.spec import JobSpec, NodeSpec, Ref
from covalent.status import Status


def _stored(held) -> object:
    return pickle.loads(b"".join(bytes(part) for part in persisted_stream(held)))


def test_bytes_are_kept_as_the_very_object_and_stored_as_their_plain_pickle():
    value = b"\x01" * 4096
    held, data = hold(value, threshold=1024)
    assert data is None and held is not None
    assert held.size == len(value)
    assert consumer_value(held) is value  # immutable: no copy for the next task
    parts = persisted_stream(held)
    assert parts[1] is value  # the stream is the opcodes around the same buffer
    assert _stored(held) == value


def test_text_is_kept_and_stored_with_every_code_point():
    value = "é\U0001f600\udc80" * 1000  # a lone surrogate too, as pickle allows
    held, _ = hold(value, threshold=10)
    assert consumer_value(held) is value
    assert _stored(held) == value


def test_a_numpy_array_reaches_the_next_task_as_a_read_only_view_without_a_copy():
    array = np.arange(200_000, dtype=np.float64)
    held, data = hold(array, threshold=1 << 20)
    assert data is None and held is not None and held.buffers  # pickled out of band
    seen = consumer_value(held)
    assert np.shares_memory(seen, array)
    assert not seen.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        seen[0] = 1.0
    np.testing.assert_array_equal(_stored(held), array)


def test_an_in_band_value_is_pickled_once_and_each_consumer_unpickles_its_own_copy():
    value = [list(range(100)) for _ in range(200)]
    held, _ = hold(value, threshold=1000)
    first, second = consumer_value(held), consumer_value(held)
    assert first == value and first is not second
    assert _stored(held) == value


def test_small_values_travel_as_an_ordinary_pickle():
    for value in (b"abc", "abc", np.arange(3), {"a": [1, 2]}):
        held, data = hold(value, threshold=1 << 20)
        assert held is None
        restored = pickle.loads(data)
        assert (restored == value).all() if isinstance(value, np.ndarray) else restored == value


def test_held_keys_are_unique_per_job_and_node_and_look_like_blob_keys():
    keys = {held_key("job-a", 1), held_key("job-a", 2), held_key("job-b", 1)}
    assert len(keys) == 3
    assert all(len(k) == 64 and int(k, 16) >= 0 for k in keys)


def test_a_holder_names_what_it_lost():
    holder = MemoryHolder("tcp://127.0.0.1:1")
    with pytest.raises(HeldValueLost, match=r"no longer held on tcp://127\.0\.0\.1:1") as info:
        holder.get("a" * 64)
    assert pickle.loads(pickle.dumps(info.value)).key == "a" * 64  # travels back from a worker


def _make(n):
    return b"\x02" * n


def _length(data):
    return len(data)


def test_a_job_keeps_its_large_output_with_the_holder_and_reads_one_it_was_brought():
    import cloudpickle

    functions = {"make": cloudpickle.dumps(_make), "length": cloudpickle.dumps(_length)}
    values = {"n": pickle.dumps(5000)}
    spec = JobSpec(
        "d",
        [
            NodeSpec(1, "make", "electron", "make", args=[Ref(blob="n")]),
            NodeSpec(2, "length", "electron", "length", args=[Ref(node=1)]),
        ],
        functions,
        values,
        hold_bytes=1000,
    )
    holder = MemoryHolder("here")
    outcome = execute_job(spec, holder=holder, job_key="job-1")
    made, length = outcome.nodes
    assert made.status == Status.COMPLETED and made.output is None
    assert made.held == {"key": held_key("job-1", 1), "size": 5000, "holder": "here"}
    assert made.preview  # made where the value was
    assert pickle.loads(length.output) == 5000  # the job's next node used the value itself
    assert holder.get(made.held["key"]).value == b"\x02" * 5000
    # A later job receives the value from the executor (no bytes in its payload).
    later = JobSpec(
        "d", [NodeSpec(3, "length", "electron", "length", args=[Ref(blob=made.held["key"])])], functions, {}
    )
    brought = {made.held["key"]: consumer_value(holder.get(made.held["key"]))}
    (node,) = execute_job(later, held_inputs=brought).nodes
    assert pickle.loads(node.output) == 5000


def test_without_a_holder_every_output_travels_back():
    import cloudpickle

    spec = JobSpec(
        "d",
        [NodeSpec(1, "make", "electron", "make", args=[Ref(blob="n")])],
        {"make": cloudpickle.dumps(_make)},
        {"n": pickle.dumps(5000)},
        hold_bytes=1000,
    )
    (node,) = execute_job(spec).nodes
    assert node.held is None and pickle.loads(node.output) == b"\x02" * 5000
