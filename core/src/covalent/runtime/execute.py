"""Run a job's nodes where the job runs, recording each node's outcome."""

from __future__ import annotations

import inspect
import io
import os
import pickle
import socket
import time
import traceback
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from covalent.runtime.capture import captured, live_name
from covalent.runtime.context import task_context
from covalent.runtime.held import ValueHolder, held_key, hold
from covalent.runtime.outcome import JobOutcome, NodeOutcome
from covalent.runtime.preview import preview_text
from covalent.runtime.spec import JobSpec, NodeSpec, Ref, check_versions
from covalent.status import Status

if TYPE_CHECKING:
    from covalent.runtime.transfer.engine import NodeTransfers

__all__ = ["execute_job", "execute_node", "execute_payload", "run_payload", "worker_name"]

_MISSING = object()
_WORKER: tuple[int, str] | None = None


def worker_name() -> str:
    """``host:pid`` of this process, worked out once per process (a fork gets its own)."""
    global _WORKER
    pid = os.getpid()
    if _WORKER is None or _WORKER[0] != pid:
        _WORKER = (pid, f"{socket.gethostname()}:{pid}")
    return _WORKER[1]


class _Skipped(Exception):
    """A node was not run because a node it needs failed in this job."""


def _loads(data: bytes) -> Any:
    return pickle.loads(data)


class _FileReader(io.RawIOBase):
    """A stored value's file as the unpickler reads it: never past the file's end.

    The unpickler reads a large ``bytes`` or buffer straight into the object it
    makes (``readinto``): one copy, as a mapping of the file gave, without a
    fault per page of the mapping (100 MB here: 37 ms of CPU against 50
    mapped).  A length read from a truncated or tampered file that reaches
    past its end fails as a mapping's did (``UnpicklingError``: truncated)
    instead of allocating what the length says.
    """

    def __init__(self, f: io.FileIO) -> None:
        self._f = f
        self._left = os.fstat(f.fileno()).st_size

    def readable(self) -> bool:
        return True

    def _take(self, n: int) -> None:
        if n > self._left:
            raise pickle.UnpicklingError("pickle data was truncated")

    def read(self, size: int = -1) -> bytes:
        self._take(size)
        data = self._f.read(self._left if size < 0 else size) or b""
        self._left -= len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        self._take(memoryview(buffer).nbytes)
        got = self._f.readinto(buffer) or 0
        self._left -= got
        return got

    def readline(self, size: int | None = -1) -> bytes:
        line = self._f.readline(-1 if size is None else size)
        self._left -= len(line)
        return line


def _load_file(path: str) -> Any:
    """Unpickle a stored value straight from its file: one copy, read into the value itself."""
    with open(path, "rb", buffering=0) as f:
        return pickle.load(_FileReader(f))


def execute_job(
    spec: JobSpec,
    *,
    inject: dict[str, Any] | None = None,
    postprocess: Callable[[NodeSpec, Any], Any] | None = None,
    holder: ValueHolder | None = None,
    held_inputs: dict[str, Any] | None = None,
    job_key: str = "",
) -> JobOutcome:
    """Run every node of ``spec`` in order.

    ``inject``: keyword arguments an executor offers to tasks (a quantum
    executor's ready primitive, say); a task receives those its signature
    names and its caller did not pass.  ``postprocess``: applied by an
    executor to each task's return value (a quantum executor runs returned
    circuits).  A node whose input node failed in this job is not run and is
    left out of the outcome.

    ``holder``: where outputs of at least ``spec.hold_bytes`` are kept
    (:mod:`covalent.runtime.held`; ``job_key`` makes their keys unique);
    ``held_inputs``: input values the executor brought from such a holder,
    by key (the payload has no bytes for them).
    """
    check_versions(spec.versions)
    threshold = spec.hold_bytes if holder is not None else None
    brought = held_inputs or {}
    functions: dict[str, Any] = {}
    values: dict[str, Any] = {}
    outputs: dict[int, Any] = {}
    failed: set[int] = set()
    outcome = JobOutcome()

    def function(key: str) -> Any:
        if key not in functions:
            functions[key] = _loads(spec.functions[key])
        return functions[key]

    def resolve(ref: Ref) -> Any:
        if ref.node is not None:
            if ref.node in failed or ref.node not in outputs:
                raise _Skipped()
            return outputs[ref.node]
        assert ref.blob is not None
        if ref.blob in brought:
            return brought[ref.blob]
        if ref.blob not in values:
            path = spec.value_files.get(ref.blob)
            values[ref.blob] = _load_file(path) if path else _loads(spec.values[ref.blob])
        return values[ref.blob]

    for node in spec.nodes:
        try:
            args = [resolve(r) for r in node.args]
            kwargs = {k: resolve(r) for k, r in node.kwargs.items()}
        except _Skipped:
            failed.add(node.node_id)
            continue
        live = (spec.live_output, live_name(spec.dispatch_id, node.node_id)) if spec.live_output else None
        with task_context(spec.dispatch_id, node.node_id):
            result = _run_node(node, function, args, kwargs, inject, postprocess, live)
        if result.status == Status.COMPLETED and result.sublattice is not None:
            # The inner graph runs as its own dispatch; dependents wait for it.
            pass
        elif result.status == Status.COMPLETED:
            value = result.output
            if threshold is not None and holder is not None:
                kept = _hold_output(node, result, holder, threshold, job_key)
            else:
                kept = _pickle_output(node, result)
            if kept:
                outputs[node.node_id] = value
            else:
                failed.add(node.node_id)
        else:
            failed.add(node.node_id)
        outcome.nodes.append(result)
    return outcome


def execute_node(
    dispatch_id: str, node: NodeSpec, load: Callable[[str], Any], args: list[Any], kwargs: dict[str, Any]
) -> NodeOutcome:
    """Run one node whose inputs are already values (``load`` unpickles a function by its key).

    What a task run by an executor of Covalent's contract does where it runs
    (:mod:`covalent.runtime.taskcall`): the same capture, hooks and
    transfers as in :func:`execute_job`, the output pickled.
    """
    with task_context(dispatch_id, node.node_id):
        result = _run_node(node, load, args, kwargs, None, None)
    if result.status == Status.COMPLETED and result.sublattice is None:
        _pickle_output(node, result)
    return result


def _hold_output(node: NodeSpec, result: NodeOutcome, holder: ValueHolder, threshold: int, job_key: str) -> bool:
    """Keep a large output with ``holder`` (the outcome names it), or pickle a small one as usual."""
    try:
        held, data = hold(result.output, threshold)
    except Exception:
        return _pickle_output(node, result)  # not picklable by pickle: cloudpickle, or FAILED
    result.preview = preview_text(result.output)
    if held is None:
        result.output = data
        return True
    key = held_key(job_key or uuid.uuid4().hex, node.node_id)
    holder.keep(key, held)
    result.output = None
    result.held = {"key": key, "size": held.size, "holder": holder.name}
    return True


def _pickle_output(node: NodeSpec, result: NodeOutcome) -> bool:
    """Replace a completed node's output by its pickle (its preview made first, here where the value is).

    False (and the node FAILED) if it cannot be pickled.
    """
    result.preview = preview_text(result.output)
    try:
        result.output = pickle.dumps(result.output, protocol=pickle.HIGHEST_PROTOCOL)
        return True
    except Exception:
        import cloudpickle

        try:
            result.output = cloudpickle.dumps(result.output)
            return True
        except Exception as exc:
            result.status, result.output, result.preview = Status.FAILED, None, ""
            result.error = f"the return value of {node.name} cannot be pickled: {exc!r}"
            return False


def _accepts(func: Any, name: str) -> bool:
    try:
        params = inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False
    return name in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def _run_node(
    node: NodeSpec,
    function: Callable[[str], Any],
    args: list[Any],
    kwargs: dict[str, Any],
    inject: dict[str, Any] | None,
    postprocess: Callable[[NodeSpec, Any], Any] | None,
    live: tuple[str, str] | None = None,
) -> NodeOutcome:
    start = time.time()
    result = NodeOutcome(node_id=node.node_id, status=Status.FAILED, start_time=start, worker=worker_name())
    transfers = _node_transfers(node, function) if node.files else None
    with captured(live) as streams:
        try:
            func = function(node.function)
            hooks = function(node.hooks) if node.hooks else None
            if transfers is not None:
                kwargs = _before_with_transfers(node, func, hooks, transfers, kwargs)
            elif hooks:
                kwargs = {**hooks.before(), **kwargs}
            if inject and node.kind == "electron":
                for name, value in inject.items():
                    if name not in kwargs and _accepts(func, name):
                        kwargs[name] = value
            value = func(*args, **kwargs)
            if postprocess is not None and node.kind == "electron":
                value = postprocess(node, value)
            if node.kind == "sublattice":
                result.sublattice = value
                value = None
            if transfers is not None:
                transfers.after()
            if hooks:
                hooks.after()
            result.status = Status.COMPLETED
            result.output = value
        except BaseException as exc:  # a task may raise SystemExit too
            if isinstance(exc, KeyboardInterrupt):
                raise
            result.error = "".join(traceback.format_exception(exc))
            if transfers is not None:
                if transfers.failed:  # the URL and the reason first, then where it came from
                    result.error = f"{transfers.failed}\n\n{result.error}"
                transfers.skip_pending("not run: the task failed")
    if transfers is not None:
        result.transfers = transfers.to_json()
    result.stdout = streams.text("stdout")
    # A failed task's traceback also ends its stderr, where Covalent shows it.
    result.stderr = streams.text("stderr") + result.error
    result.end_time = time.time()
    return result


def _node_transfers(node: NodeSpec, load: Callable[[str], Any]) -> NodeTransfers:
    """The node's transfers (the engine is imported only by jobs that have some)."""
    from covalent.runtime.transfer.engine import NodeTransfers

    return NodeTransfers(node.files, load, node.files_handled_by)


def _before_with_transfers(
    node: NodeSpec, func: Any, hooks: Any, transfers: NodeTransfers, kwargs: dict[str, Any]
) -> dict[str, Any]:
    """Covalent's order: environment dependencies, the transfers, then ``call_before``; ``files`` injected."""
    if hooks:
        hooks.install()
    transfers.before()
    injected = hooks.call() if hooks else {}
    if node.files_keyword and "files" not in kwargs and _accepts(func, "files"):
        injected["files"] = transfers.files_arg()
    return {**injected, **kwargs}


def execute_payload(payload: bytes, **options: Any) -> JobOutcome:
    spec = pickle.loads(payload)
    if not isinstance(spec, JobSpec):
        raise TypeError(f"not a covalent job payload: {type(spec).__name__}")
    return execute_job(spec, **options)


def run_payload(payload: bytes) -> bytes:
    """Bytes in, bytes out: the whole contract of a remote worker."""
    return execute_payload(payload).to_bytes()
