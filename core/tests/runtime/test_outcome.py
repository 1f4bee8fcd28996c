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


FIELDS = json.loads(JobOutcome().to_bytes()[len(OUTCOME_MAGIC) + 4 :])["fields"]


def _with_header(header: object, frames: bytes = b"") -> bytes:
    if isinstance(header, dict):
        header = {"version": 1, "fields": FIELDS, "nodes": [], "frames": [], **header}
    raw = json.dumps(header).encode() if not isinstance(header, bytes) else header
    return OUTCOME_MAGIC + struct.pack(">I", len(raw)) + raw + frames


def _node(**changes: object) -> list[object]:
    """A node's entry (a list in the order of the header's fields) with some fields changed."""
    values = {"node_id": 1, "status": "COMPLETED", "output": None, "error": "", "stdout": "", "stderr": ""}
    values |= {"start_time": 0.0, "end_time": 0.0, "preview": "", "worker": "", "transfers": [], "sublattice": None}
    values |= {"held": None}
    values |= changes
    return [values[name] for name in FIELDS]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (OUTCOME_MAGIC, "truncated"),
        (OUTCOME_MAGIC + struct.pack(">I", 50) + b"{}", "truncated"),
        (_with_header(b"{not json"), "not valid JSON"),
        (_with_header(b"[" * 100_000 + b"]" * 100_000), "not valid JSON"),
        (_with_header({"version": 99}), "unknown version"),
        (_with_header({"fields": ["node_id"]}), "unknown version"),
        (_with_header({"nodes": {}}), "no node list"),
        (_with_header({"frames": [4]}, b"ab"), "do not match"),
        (_with_header({"frames": ["x"]}), "frame lengths"),
        (_with_header({"nodes": [[1]]}), "not a list of"),
        (_with_header({"nodes": [{"node_id": 1}]}), "not a list of"),
        (_with_header({"nodes": [_node(node_id="1")]}), "node_id"),
        (_with_header({"nodes": [_node(node_id=2**64)]}), "node_id"),
        (_with_header({"nodes": [_node(status="MAYBE")]}), "status"),
        (_with_header({"nodes": [_node(output=0)]}), "names no frame"),
        (_with_header({"nodes": [_node(stdout=5)]}), "stdout"),
        (_with_header({"nodes": [_node(end_time="late")]}), "end_time"),
        (_with_header({"nodes": [_node(transfers=[1])]}), "transfers"),
        (_with_header({"nodes": [_node(sublattice=[1])]}), "sublattice"),
        (_with_header({"nodes": [_node(sublattice={"manifest": {}, "blobs": {"k": 3}})]}), "names no frame"),
        (_with_header({"nodes": [_node(held="k")]}), "held must be an object"),
        (_with_header({"nodes": [_node(held={"key": "../x", "size": 1, "holder": ""})]}), "held key"),
        (_with_header({"nodes": [_node(held={"key": "a" * 64, "size": -1, "holder": ""})]}), "held size"),
        (_with_header({"nodes": [_node(held={"key": "a" * 64, "size": 1, "holder": 5})]}), "held holder"),
    ],
)
def test_malformed_outcomes_are_refused_with_what_is_wrong(data, message):
    with pytest.raises(OutcomeFormatError, match=message):
        JobOutcome.from_bytes(data)
