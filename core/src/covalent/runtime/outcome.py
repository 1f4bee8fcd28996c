"""What a job reports back: one outcome per node it ran."""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from typing import Any

from covalent.status import Status

__all__ = ["JobOutcome", "NodeOutcome"]


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
    sublattice: dict[str, Any] | None = None  # manifest of a sublattice node's graph
    #: One record per file transfer (``TransferRecord.to_json()``: plain data, no credentials).
    transfers: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class JobOutcome:
    """The outcomes of a job's nodes, in the order they ran."""

    nodes: list[NodeOutcome] = field(default_factory=list)

    def to_bytes(self) -> bytes:
        return pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def from_bytes(cls, data: bytes) -> JobOutcome:
        outcome = pickle.loads(data)
        if not isinstance(outcome, cls):
            raise TypeError(f"expected a JobOutcome, got {type(outcome).__name__}")
        return outcome
