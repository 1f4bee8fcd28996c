"""Input values read from the store's files where the job runs (``JobSpec.value_files``)."""

from __future__ import annotations

import pickle
from pathlib import Path

import cloudpickle
import numpy as np
import pytest

from covalent.runtime.execute import execute_job
from covalent.runtime.spec import JobSpec, NodeSpec, Ref
from covalent.status import Status


def _describe(value):
    if isinstance(value, np.ndarray):
        # A copy of the array's data would own it: the array is made over the buffer it was read into.
        return ("array", value.dtype.str, value.shape, float(value.sum()), value.flags.owndata, value.flags.writeable)
    return (type(value).__name__, len(value), value[:3], value[-3:])


def _run_on_file(path: Path):
    spec = JobSpec(
        "d",
        [NodeSpec(1, "describe", "electron", "describe", args=[Ref(blob="k")])],
        {"describe": cloudpickle.dumps(_describe)},
        {},
        value_files={"k": str(path)},
    )
    (node,) = execute_job(spec).nodes
    assert node.status == Status.COMPLETED, node.error
    return pickle.loads(node.output)


def _stored(tmp_path: Path, value) -> Path:
    path = tmp_path / "value"
    path.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    return path


@pytest.mark.parametrize(
    "value",
    [b"\x01\x02" * (3 << 20), bytearray(b"xyz" * 100_000), "é" * 200_000, list(range(100_000))],
    ids=["bytes", "bytearray", "str", "list"],
)
def test_a_value_read_from_its_file_is_the_value_stored(tmp_path, value):
    assert _run_on_file(_stored(tmp_path, value)) == _describe(value)


def test_a_numpy_array_is_read_into_its_own_buffer_without_a_second_copy(tmp_path):
    array = np.arange(2_000_000, dtype=np.float64).reshape(1000, 2000)
    kind, dtype, shape, total, owndata, writeable = _run_on_file(_stored(tmp_path, array))
    assert (kind, dtype, shape, total) == ("array", array.dtype.str, array.shape, float(array.sum()))
    assert not owndata and writeable


def test_protocol_5_buffers_pickled_in_band_are_read_whole(tmp_path):
    data = bytearray(range(256)) * 20_000
    value = pickle.PickleBuffer(data)
    path = tmp_path / "value"
    path.write_bytes(pickle.dumps(value, protocol=5))
    assert _run_on_file(path) == _describe(data)


@pytest.mark.parametrize("how", ["truncated", "length tampered", "empty"])
def test_a_truncated_or_tampered_file_fails_the_job_with_a_clear_error(tmp_path, how):
    path = _stored(tmp_path, b"\x07" * (5 << 20))
    data = bytearray(path.read_bytes())
    if how == "truncated":
        data = data[: len(data) // 2]
    elif how == "length tampered":
        assert data[2:3] == pickle.BINBYTES
        data[3:7] = (1 << 32 - 1).to_bytes(4, "little")  # the bytes' length: 2 GiB, far past the file's end
    else:
        data = bytearray()
    path.write_bytes(bytes(data))
    with pytest.raises((pickle.UnpicklingError, EOFError), match=r"truncated|Ran out of input"):
        _run_on_file(path)
