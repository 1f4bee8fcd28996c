"""Job outcomes are parsed, never unpickled: the server reads them from places others may write."""

from __future__ import annotations

import json
import pickle
import struct
from pathlib import Path

import pytest

from covalent.runtime.outcome import OUTCOME_MAGIC, JobOutcome, NodeOutcome, OutcomeFormatError


class Planted:
    """Unpickling this writes a file: what a forged outcome would do to a server that unpickles it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (Path.write_text, (self.path, "unpickled"))


def sample() -> JobOutcome:
    return JobOutcome(
        [
            NodeOutcome(3, "COMPLETED", output=b"\x80\x05K\x07.", stdout="out", start_time=1.5, end_time=2.5),
            NodeOutcome(4, "FAILED", error="Traceback ...\nValueError: no", stderr="err"),
            NodeOutcome(5, "COMPLETED", sublattice={"manifest": {"name": "inner"}, "blobs": {"k": b"\x00"}}),
            NodeOutcome(6, "COMPLETED", held={"key": "ab" * 32, "size": 10_000_000, "holder": "tcp://127.0.0.1:1"}),
        ]
    )


def test_round_trip_keeps_every_field_and_outputs_stay_bytes():
    outcome = sample()
    data = outcome.to_bytes()
    assert data.startswith(OUTCOME_MAGIC)
    assert JobOutcome.from_bytes(data) == outcome
    assert JobOutcome.from_bytes(JobOutcome().to_bytes()) == JobOutcome()


def test_a_pickle_is_refused_without_being_run(tmp_path):
    marker = tmp_path / "ran"
    forged = pickle.dumps(Planted(marker))
    with pytest.raises(OutcomeFormatError, match=r"not a covalent job outcome.*pickle"):
        JobOutcome.from_bytes(forged)
    assert not marker.exists()


def _with_header(header: object, frames: bytes = b"") -> bytes:
    if isinstance(header, dict):
        header.setdefault("frames", [])
    raw = json.dumps(header).encode() if not isinstance(header, bytes) else header
    return OUTCOME_MAGIC + struct.pack(">I", len(raw)) + raw + frames


NODE = {"node_id": 1, "status": "COMPLETED", "output": None}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (OUTCOME_MAGIC, "truncated"),
        (OUTCOME_MAGIC + struct.pack(">I", 50) + b"{}", "truncated"),
        (_with_header(b"{not json"), "not valid JSON"),
        (_with_header(b"[" * 100_000 + b"]" * 100_000), "not valid JSON"),
        (_with_header({"version": 99, "nodes": [], "frames": []}), "unknown version"),
        (_with_header({"version": 1, "nodes": {}, "frames": []}), "no node list"),
        (_with_header({"version": 1, "nodes": [], "frames": [4]}, b"ab"), "do not match"),
        (_with_header({"version": 1, "nodes": [], "frames": ["x"]}), "frame lengths"),
        (_with_header({"version": 1, "nodes": [[1]], "frames": []}), "not an object"),
        (_with_header({"version": 1, "nodes": [{**NODE, "node_id": "1"}], "frames": []}), "node_id"),
        (_with_header({"version": 1, "nodes": [{**NODE, "node_id": 2**64}], "frames": []}), "node_id"),
        (_with_header({"version": 1, "nodes": [{**NODE, "status": "MAYBE"}], "frames": []}), "status"),
        (_with_header({"version": 1, "nodes": [{**NODE, "output": 0}], "frames": []}), "names no frame"),
        (_with_header({"version": 1, "nodes": [{**NODE, "stdout": 5}], "frames": []}), "stdout"),
        (_with_header({"version": 1, "nodes": [{**NODE, "end_time": "late"}], "frames": []}), "end_time"),
        (_with_header({"version": 1, "nodes": [{**NODE, "sublattice": [1]}], "frames": []}), "sublattice"),
        (
            _with_header({"version": 1, "nodes": [{**NODE, "sublattice": {"manifest": {}, "blobs": {"k": 3}}}]}),
            "names no frame",
        ),
        (_with_header({"version": 1, "nodes": [{**NODE, "held": "k"}], "frames": []}), "held must be an object"),
        (
            _with_header({"version": 1, "nodes": [{**NODE, "held": {"key": "../x", "size": 1, "holder": ""}}]}),
            "held key",
        ),
        (
            _with_header({"version": 1, "nodes": [{**NODE, "held": {"key": "a" * 64, "size": -1, "holder": ""}}]}),
            "held size",
        ),
        (
            _with_header({"version": 1, "nodes": [{**NODE, "held": {"key": "a" * 64, "size": 1, "holder": 5}}]}),
            "held holder",
        ),
    ],
)
def test_malformed_outcomes_are_refused_with_what_is_wrong(data, message):
    with pytest.raises(OutcomeFormatError, match=message):
        JobOutcome.from_bytes(data)
