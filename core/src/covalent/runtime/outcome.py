"""What a job reports back: one outcome per node it ran, in a format read without running anything.

The server reads outcomes from places others may be able to write (an S3
bucket, a Slurm working directory, a worker's pipe), so they are never
pickled: :meth:`JobOutcome.to_bytes` writes a JSON header and raw byte
frames, and :meth:`JobOutcome.from_bytes` parses them, checking every field.
Task outputs stay opaque bytes (pickled by the worker, unpickled only by the
user's client); tracebacks, stdout, stderr, times, previews, file-transfer
records and sublattice manifests are plain data.

Layout::

    MAGIC (16 bytes) | header length (4 bytes, big-endian) | header (UTF-8 JSON) | frames

The header is ``{"version", "fields", "nodes": [[...], ...], "frames": [length, ...]}``:
each node is a list of the values named by ``fields``; a node's ``output``
and each blob of its ``sublattice`` name a frame by index.  A node whose
large output stayed where it was made has no ``output`` frame but ``held``:
the key, size and holder the executor keeps it under
(:mod:`covalent.runtime.held`).
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass, field
from typing import Any

from covalent.status import Status

__all__ = ["OUTCOME_MAGIC", "JobOutcome", "NodeOutcome", "OutcomeFormatError"]

OUTCOME_MAGIC = b"covalent-outcome"  # then the format's version, in the header
_VERSION = 1
_LENGTH = struct.Struct(">I")
_STATUSES = (Status.COMPLETED, Status.FAILED)
#: What each node's entry holds, in order (a list per node: half the JSON of an object per node).
_FIELDS = [
    "node_id",
    "status",
    "output",
    "error",
    "stdout",
    "stderr",
    "start_time",
    "end_time",
    "preview",
    "worker",
    "transfers",
    "sublattice",
    "held",
]


class OutcomeFormatError(ValueError):
    """Bytes that are not a job outcome of this format; the message says what is wrong."""


@dataclass
class NodeOutcome:
    """What happened to one node of a job."""

    node_id: int
    status: Status  # COMPLETED or FAILED
    output: bytes | None = None  # pickled value when COMPLETED
    error: str = ""  # traceback text when FAILED
    stdout: str = ""
    stderr: str = ""
    start_time: float = 0.0
    end_time: float = 0.0
    sublattice: dict[str, Any] | None = None  # {"manifest": JSON, "blobs": {key: bytes}} of a sublattice node
    #: One record per file transfer (``TransferRecord.to_json()``: plain data, no credentials).
    transfers: list[dict[str, Any]] = field(default_factory=list)
    preview: str = ""  # a short text form of the output, made where the task ran
    #: Where the node ran: ``host:pid`` of the process (what the dashboard's timeline lanes show).
    worker: str = ""
    #: A large output kept where it was made, instead of ``output``: ``{"key", "size", "holder"}``
    #: (:mod:`covalent.runtime.held`).
    held: dict[str, Any] | None = None


@dataclass
class JobOutcome:
    """The outcomes of a job's nodes, in the order they ran."""

    nodes: list[NodeOutcome] = field(default_factory=list)

    def to_bytes(self) -> bytes:
        frames: list[bytes] = []

        def frame(data: bytes) -> int:
            frames.append(bytes(data))
            return len(frames) - 1

        nodes = []
        for node in self.nodes:
            sublattice = None
            if node.sublattice is not None:
                sublattice = {
                    "manifest": node.sublattice["manifest"],
                    "blobs": {key: frame(data) for key, data in node.sublattice["blobs"].items()},
                }
            nodes.append(
                [  # in the order of _FIELDS
                    node.node_id,
                    node.status,
                    None if node.output is None else frame(node.output),
                    node.error,
                    node.stdout,
                    node.stderr,
                    node.start_time,
                    node.end_time,
                    node.preview,
                    node.worker,
                    node.transfers,
                    sublattice,
                    node.held,
                ]
            )
        header = json.dumps(
            {"version": _VERSION, "fields": _FIELDS, "nodes": nodes, "frames": [len(f) for f in frames]},
            separators=(",", ":"),
            allow_nan=False,
        ).encode()
        return b"".join([OUTCOME_MAGIC, _LENGTH.pack(len(header)), header, *frames])

    @classmethod
    def from_bytes(cls, data: bytes) -> JobOutcome:
        """Parse :meth:`to_bytes` output; raises :class:`OutcomeFormatError` on anything else."""
        view = memoryview(data)
        start = len(OUTCOME_MAGIC) + _LENGTH.size
        if bytes(view[: len(OUTCOME_MAGIC)]) != OUTCOME_MAGIC:
            hint = " (a pickle: written by an older covalent runtime?)" if bytes(view[:1]) == b"\x80" else ""
            raise OutcomeFormatError(
                f"not a covalent job outcome{hint}; install the server's covalent version where tasks run"
            )
        if len(view) < start:
            raise OutcomeFormatError("job outcome is truncated")
        (length,) = _LENGTH.unpack(view[len(OUTCOME_MAGIC) : start])
        if len(view) < start + length:
            raise OutcomeFormatError("job outcome is truncated (header)")
        try:
            header = json.loads(bytes(view[start : start + length]))
        except (ValueError, RecursionError) as exc:
            raise OutcomeFormatError(f"job outcome header is not valid JSON: {type(exc).__name__}") from None
        if not isinstance(header, dict) or header.get("version") != _VERSION or header.get("fields") != _FIELDS:
            raise OutcomeFormatError(f"job outcome of an unknown version (expected {_VERSION})")
        frames = _frames(view, start + length, header.get("frames"))
        nodes = header.get("nodes")
        if not isinstance(nodes, list):
            raise OutcomeFormatError("job outcome has no node list")
        return cls([_node(entry, frames, i) for i, entry in enumerate(nodes)])


def _frames(view: memoryview, offset: int, lengths: Any) -> list[bytes]:
    if not isinstance(lengths, list) or not all(type(n) is int and n >= 0 for n in lengths):
        raise OutcomeFormatError("job outcome's frame lengths are malformed")
    if offset + sum(lengths) != len(view):
        raise OutcomeFormatError("job outcome's frames do not match its header (truncated or padded)")
    frames = []
    for n in lengths:
        frames.append(bytes(view[offset : offset + n]))
        offset += n
    return frames


_STATUS_OF = {str(status): status for status in _STATUSES}
_NUMBER = (int, float)


def _node(entry: Any, frames: list[bytes], index: int) -> NodeOutcome:
    """One node's outcome, every field checked (written for speed: it runs for every node of every job)."""
    if type(entry) is not list or len(entry) != len(_FIELDS):
        raise OutcomeFormatError(f"job outcome node {index} is not a list of {len(_FIELDS)} fields")
    node_id, status, output, error, stdout, stderr, start, end, preview, worker, transfers, sublattice, held = entry
    if (
        type(node_id) is not int
        or not 0 <= node_id < 2**63
        or status not in _STATUS_OF
        or not (type(error) is type(stdout) is type(stderr) is type(preview) is type(worker) is str)
        or type(start) not in _NUMBER
        or type(end) not in _NUMBER
        or not math.isfinite(start)
        or not math.isfinite(end)
        or type(transfers) is not list
        or not all(type(t) is dict for t in transfers)
    ):
        raise OutcomeFormatError(f"job outcome node {index}: {_first_problem(dict(zip(_FIELDS, entry, strict=True)))}")
    return NodeOutcome(
        node_id=node_id,
        status=_STATUS_OF[status],
        output=None if output is None else _frame(frames, output, f"job outcome node {index}: output"),
        error=error,
        stdout=stdout,
        stderr=stderr,
        start_time=float(start),
        end_time=float(end),
        preview=preview,
        worker=worker[:256],
        transfers=transfers,
        sublattice=_sublattice(sublattice, frames, f"job outcome node {index}"),
        held=_held(held, f"job outcome node {index}"),
    )


def _first_problem(entry: dict[str, Any]) -> str:
    """What is wrong with a node's entry (only asked once something is)."""
    node_id = entry["node_id"]
    if type(node_id) is not int or not 0 <= node_id < 2**63:
        return "node_id must be a non-negative integer"
    if entry["status"] not in _STATUS_OF:
        return f"status must be one of {', '.join(_STATUSES)}"
    for name in ("error", "stdout", "stderr", "preview", "worker"):
        if type(entry[name]) is not str:
            return f"{name} must be a string"
    for name in ("start_time", "end_time"):
        value = entry[name]
        if type(value) not in _NUMBER or not math.isfinite(value):
            return f"{name} must be a number"
    return "transfers must be a list of objects"


def _held(value: Any, where: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise OutcomeFormatError(f"{where}: held must be an object")
    key, size, holder = value.get("key"), value.get("size"), value.get("holder")
    if not isinstance(key, str) or len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
        raise OutcomeFormatError(f"{where}: held key must be 64 lowercase hex digits")
    if type(size) is not int or size < 0:
        raise OutcomeFormatError(f"{where}: held size must be a non-negative integer")
    if not isinstance(holder, str) or len(holder) > 1000:
        raise OutcomeFormatError(f"{where}: held holder must be a short string")
    return {"key": key, "size": size, "holder": holder}


def _frame(frames: list[bytes], index: Any, where: str) -> bytes:
    if type(index) is not int or not 0 <= index < len(frames):
        raise OutcomeFormatError(f"{where} names no frame")
    return frames[index]


def _sublattice(value: Any, frames: list[bytes], where: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("manifest"), dict):
        raise OutcomeFormatError(f"{where}: sublattice must hold a manifest object")
    blobs = value.get("blobs")
    if not isinstance(blobs, dict):
        raise OutcomeFormatError(f"{where}: sublattice blobs must be an object")
    return {
        "manifest": value["manifest"],
        "blobs": {str(key): _frame(frames, index, f"{where}: sublattice blob {key}") for key, index in blobs.items()},
    }
