"""The ``function`` an executor of Covalent's contract is given: one node, run where the executor runs it.

Covalent's executors call ``function(*args, **kwargs)`` wherever they send
it (a remote shell, a batch job, this process) and return what it
returned.  Here that function is ``functools.partial(run_task, call)``: it
needs this project's ``covalent`` there (as Covalent's function needed
Covalent's), runs the node with our runtime (capture, hooks, transfers, the
traceback of a failure) and returns the node's outcome as bytes, so nothing
the executor does on the way (pickling, files) can lose the stdout, the
error or the times.  ``call.python_version`` is what Covalent's executors
read from ``function.args[0]``.
"""

from __future__ import annotations

import functools
import pickle
import platform
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

from covalent.runtime.outcome import JobOutcome, NodeOutcome
from covalent.runtime.spec import NodeSpec, check_versions, runtime_versions
from covalent.status import Status

__all__ = ["TaskCall", "make_function", "run_task"]


@dataclass
class TaskCall:
    """One node of a job, with the pickled functions it needs (its inputs are the call's arguments)."""

    dispatch_id: str
    node: NodeSpec
    functions: dict[str, bytes]
    versions: dict[str, str] = field(default_factory=runtime_versions)
    #: The Python that made the call (Covalent's TransportableObject.python_version).
    python_version: str = field(default_factory=platform.python_version)


def run_task(call: TaskCall, *args: Any, **kwargs: Any) -> bytes:
    """Run ``call``'s node on ``args``/``kwargs``; the bytes of a one-node :class:`JobOutcome` (never raises)."""
    node = call.node
    try:
        check_versions(call.versions)
        from covalent.runtime.execute import execute_node

        loaded: dict[str, Any] = {}

        def load(key: str) -> Any:
            if key not in loaded:
                loaded[key] = pickle.loads(call.functions[key])
            return loaded[key]

        result = execute_node(call.dispatch_id, node, load, list(args), dict(kwargs))
    except Exception as exc:  # the node could not even start here
        now = time.time()
        result = NodeOutcome(node.node_id, Status.FAILED, error="".join(traceback.format_exception(exc)))
        result.start_time = result.end_time = now
    return JobOutcome([result]).to_bytes()


def make_function(call: TaskCall) -> functools.partial[bytes]:
    """What the executor's ``run`` receives as ``function``."""
    return functools.partial(run_task, call)
