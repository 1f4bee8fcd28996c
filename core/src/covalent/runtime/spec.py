"""The job payload: what travels to a worker, in plain pickle.

A payload holds each distinct function once, the input values that come from
outside the job, and the nodes in an order where every node follows the
nodes of the same job whose outputs it takes.
"""

from __future__ import annotations

import pickle
import sys
from dataclasses import dataclass, field
from typing import Any

import cloudpickle

from covalent.runtime.transfer.spec import TransferSpec

__all__ = ["JobSpec", "NodeSpec", "Ref", "PAYLOAD_VERSION", "runtime_versions"]

PAYLOAD_VERSION = 1


@dataclass(frozen=True, slots=True)
class Ref:
    """An input: a value blob (``blob``) or the output of a node of this job (``node``)."""

    blob: str | None = None
    node: int | None = None

    def __reduce__(self) -> tuple[type[Ref], tuple[str | None, int | None]]:
        # Pickled as a call with its two fields: a gather's payload has one per input (a million,
        # say), and the default (a state dict naming both fields, set after) took more bytes and time.
        return (Ref, (self.blob, self.node))


@dataclass
class NodeSpec:
    node_id: int
    name: str
    kind: str
    function: str  # key into JobSpec.functions
    args: list[Ref] = field(default_factory=list)
    kwargs: dict[str, Ref] = field(default_factory=dict)
    hooks: str | None = None  # key into JobSpec.functions: pickled TaskHooks
    time_limit: float | None = None
    #: File transfers around the task (``files=``), run in order.
    files: list[TransferSpec] = field(default_factory=list)
    #: Whether the task receives the transfers' ``(from, to)`` paths as ``files`` (leptons do not).
    files_keyword: bool = True
    #: The executor whose plugin moves this node's files itself ("" when the runtime does).
    files_handled_by: str = ""


@dataclass
class JobSpec:
    dispatch_id: str
    nodes: list[NodeSpec]
    functions: dict[str, bytes]
    values: dict[str, bytes]
    versions: dict[str, str] = field(default_factory=lambda: runtime_versions())
    version: int = PAYLOAD_VERSION
    #: A folder to mirror what each node prints to while it runs, if it exists where the job runs ("": none).
    live_output: str = ""
    #: Outputs at least this large stay with the executor's value holder (None: every output travels back).
    hold_bytes: int | None = None
    #: Input values read from files of the server's object store where the job runs (key -> path),
    #: for executors on the server's machine: large values travel as a path, not in the payload.
    value_files: dict[str, str] = field(default_factory=dict)

    def to_bytes(self) -> bytes:
        return pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL)


def runtime_versions() -> dict[str, str]:
    """Versions that must match between the pickling and the unpickling side."""
    return {
        "python": "{}.{}".format(*sys.version_info[:2]),
        "cloudpickle": str(cloudpickle.__version__),
    }


def check_versions(expected: dict[str, Any]) -> None:
    here = runtime_versions()
    wrong = {k: (v, here.get(k)) for k, v in expected.items() if here.get(k) != v}
    if wrong:
        detail = ", ".join(f"{k} {want} on the server but {have} here" for k, (want, have) in wrong.items())
        raise RuntimeError(
            f"this worker's environment does not match the server's: {detail}. "
            "Install the same Python minor version and cloudpickle version where tasks run."
        )
