"""Base classes for executors: what a plugin author subclasses.

An executor runs *jobs*.  A job is one or more nodes of a dispatch packed by
the dispatcher into one opaque, self-contained ``payload`` (bytes).  Running
it anywhere that has Python, cloudpickle and this package means calling
:func:`covalent.runtime.run_payload` (or ``python -m covalent.runtime run IN
OUT``) and shipping the returned bytes back; :meth:`JobOutcome.from_bytes`
reads them.  The runtime captures each node's stdout, stderr, traceback and
times, so an executor only moves bytes and manages its backend.

Lifecycle, as the dispatcher drives it::

    setup()                       once, before the first job (may be slow)
    submit(job) -> handle         hand the job to the backend; the handle is
                                  JSON-safe and recorded, so a restarted
                                  server can re-attach to the job
    wait(job, handle) -> outcome  default: poll() every poll_interval seconds,
                                  then fetch_result()
    cancel(job, handle)           best effort; True if the backend stopped it
    teardown()                    once, at server shutdown

An executor that has no separate submit step overrides :meth:`run` instead
(:class:`SyncJobExecutor` is the synchronous form of that: override ``run`` as a
plain blocking method and it runs in a worker thread).

Constructor keyword arguments are recorded, so an instance has a stable
serialized form (:meth:`to_dict`) from which the server rebuilds it.  That
form is JSON: the server never unpickles what a client sends, so an argument
that is not JSON-safe is refused where the executor is used in an electron or
lattice (override :meth:`~JobExecutor.options_json` to turn such an
argument into a JSON form the constructor also accepts).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

from covalent.errors import ExecutorOptionsError
from covalent.runtime.held import HeldValueLost
from covalent.runtime.outcome import JobOutcome, NodeOutcome

__all__ = [
    "JobExecutor",
    "SyncJobExecutor",
    "Job",
    "HeldRef",
    "HeldValueLost",
    "JobFailedError",
    "JobInputsLost",
    "JobLostError",
    "JobOutcome",
    "JobState",
    "NodeOutcome",
    "check_options",
    "run_job",
]


class JobState(StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    DONE = "DONE"  # finished; fetch_result() has the outcome (success or task failure)
    FAILED = "FAILED"  # the backend itself failed the job (killed, timed out, crashed)
    LOST = "LOST"  # the backend no longer knows the job


class JobFailedError(Exception):
    """The backend failed a job as a whole (no per-node outcome exists).

    ``log`` carries whatever the backend said (a job's stderr, a reason).
    """

    def __init__(self, message: str, log: str = "") -> None:
        super().__init__(message)
        self.log = log


class JobLostError(JobFailedError):
    """The backend does not know the job (e.g. it vanished after a restart)."""


class JobInputsLost(JobFailedError):
    """Inputs the job was to receive by reference are gone (``keys``); the job did not run.

    The dispatcher recomputes the nodes that made them, then runs the job again.
    """

    def __init__(self, keys: list[str], message: str = "") -> None:
        super().__init__(message or f"{len(keys)} input value(s) held by reference are gone: {', '.join(keys)}")
        self.keys = list(keys)


@dataclass(frozen=True)
class HeldRef:
    """A large output an executor kept where it was made (``NodeOutcome.held``), by key."""

    key: str
    size: int
    holder: str  # where the executor keeps it (a Dask worker's address, say)


@dataclass
class Job:
    """A unit of work for an executor: one or more nodes in one payload."""

    job_id: str
    dispatch_id: str
    node_ids: tuple[int, ...]
    names: tuple[str, ...]
    payload: bytes
    time_limit: float | None = None
    #: What the dispatcher tells the executor about the job: ``executor`` (its short name),
    #: ``files`` (node id -> transfers, when there are any), ``expected_seconds`` (how long
    #: its nodes took so far on average, summed; absent when a node's function is new).
    metadata: dict[str, Any] = field(default_factory=dict)
    #: Inputs this executor holds (see :attr:`JobExecutor.hold_values_over`), by key: the
    #: payload names them but carries no bytes; the executor brings them to the job.
    held_inputs: dict[str, HeldRef] = field(default_factory=dict)

    def run_here(self, **runtime_options: Any) -> JobOutcome:
        """Run the job in this process (what a worker does with the payload).

        ``runtime_options`` are passed to :func:`covalent.runtime.execute_job`.
        """
        from covalent.runtime.execute import execute_payload

        return execute_payload(self.payload, **runtime_options)


def _json_safe(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError, RecursionError):
        return False
    return True


def check_options(name: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """``kwargs`` if every value is JSON-safe; else :class:`ExecutorOptionsError` naming the first that is not."""
    for key, value in kwargs.items():
        if not isinstance(key, str) or not _json_safe(value):
            raise ExecutorOptionsError(
                f"executor {name!r}: argument {key!r} is a {type(value).__name__}, which cannot travel to the "
                "server as JSON (the server never unpickles executor options); pass plain values "
                "(strings, numbers, booleans, lists, dicts)"
            )
    return kwargs


class _Recorded:
    """Records the keyword arguments a subclass was constructed with."""

    short_name: ClassVar[str] = ""
    _init_kwargs: dict[str, Any]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__init__" not in cls.__dict__:
            return
        original = cls.__dict__["__init__"]
        signature = inspect.signature(original)

        @functools.wraps(original)
        def __init__(self: Any, *args: Any, **kw: Any) -> None:
            if not hasattr(self, "_init_kwargs") or type(self) is cls:
                bound = signature.bind(self, *args, **kw)
                params = dict(bound.arguments)
                params.pop(next(iter(signature.parameters)))
                for name, param in signature.parameters.items():
                    if param.kind is inspect.Parameter.VAR_KEYWORD and name in params:
                        params.update(params.pop(name))
                    elif param.kind is inspect.Parameter.VAR_POSITIONAL and name in params:
                        params.pop(name)
                self._init_kwargs = params
            original(self, *args, **kw)

        cls.__init__ = __init__  # type: ignore[method-assign]

    def options_json(self) -> dict[str, Any]:
        """The constructor arguments as they travel (JSON); override to give an object argument's JSON form."""
        return dict(getattr(self, "_init_kwargs", {}))

    def to_dict(self) -> dict[str, Any]:
        """Stable serialized form: ``{"name": short_name, "kwargs": {...}}`` (JSON only).

        Raises :class:`~covalent.errors.ExecutorOptionsError` for an argument
        that is not JSON-safe: the server never unpickles executor options.
        """
        return {"name": self.short_name, "kwargs": check_options(self.short_name, self.options_json())}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Any:
        return cls(**dict(data.get("kwargs") or {}))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in getattr(self, "_init_kwargs", {}).items())
        return f"{type(self).__name__}({args})"


class JobExecutor(_Recorded, ABC):
    """Base of asynchronous executors (the primary form).

    Override :meth:`submit` and :meth:`poll` and :meth:`fetch_result` (and
    :meth:`cancel`) for a backend with job ids, or override :meth:`run`.
    """

    #: Seconds between two :meth:`poll` calls in the default :meth:`wait`.
    poll_interval: float = 1.0
    #: Errors of :meth:`poll` that pass (a lost connection, say): while they last
    #: less than ``poll_failure_tolerance`` seconds the job counts as running.
    transient_poll_errors: tuple[type[Exception], ...] = ()
    poll_failure_tolerance: float = 0.0
    #: How many nodes the dispatcher may pack into one job (batching and
    #: fusing chains of same-executor nodes).  1 disables packing.
    max_nodes_per_job: int = 1
    #: True if the executor enforces ``Job.time_limit`` itself, from the moment
    #: the task starts (a queueing backend: time in the queue must not count).
    #: Otherwise the dispatcher cancels the job when the limit passes after submission.
    enforces_time_limit: bool = False
    #: Outputs at least this many bytes may stay with the executor, where they were made
    #: (``NodeOutcome.held``), and reach later jobs on it by reference (``Job.held_inputs``).
    #: None: the executor keeps nothing, every output travels back in the outcome.
    #: An executor that sets it implements :meth:`fetch_held` and :meth:`release_held`.
    hold_values_over: int | None = None
    #: True when the executor's tasks run on the server's machine as its user: large stored
    #: inputs then reach them as paths of the server's object files (``JobSpec.value_files``),
    #: not as bytes in the payload.
    reads_server_files: bool = False

    def __init__(self, **kwargs: Any) -> None:
        self.options = kwargs

    # -- lifecycle --------------------------------------------------------
    async def setup(self) -> None:
        """Prepare the backend (start clusters, open connections)."""

    async def teardown(self) -> None:
        """Release what :meth:`setup` acquired."""

    def describe(self) -> dict[str, Any]:
        """What ``covalent status`` shows about this executor's backend (JSON-safe)."""
        return {}

    def parallelism(self) -> int:
        """How many jobs the backend runs at once (a hint for packing)."""
        return 1

    def supports_submit(self) -> bool:
        return type(self).submit is not JobExecutor.submit

    async def submit(self, job: Job) -> Any:
        """Hand ``job`` to the backend; return a JSON-safe handle."""
        raise NotImplementedError(f"{type(self).__name__} overrides run() instead of submit()")

    async def poll(self, job: Job, handle: Any) -> JobState:
        """Where the job is now."""
        raise NotImplementedError(f"{type(self).__name__} does not implement poll()")

    async def fetch_result(self, job: Job, handle: Any) -> JobOutcome:
        """The outcome of a job whose :meth:`poll` said DONE."""
        raise NotImplementedError(f"{type(self).__name__} does not implement fetch_result()")

    async def wait(self, job: Job, handle: Any) -> JobOutcome:
        """Block until the job ends, polling every ``poll_interval`` seconds (the one poll loop).

        Raises :class:`JobFailedError` (with :meth:`failure_message` and the
        backend's log) if the backend failed the job, or if :meth:`poll` kept
        failing with a ``transient_poll_errors`` error for longer than
        ``poll_failure_tolerance``; :class:`JobLostError` if the backend no
        longer knows it.  Plugins parametrise it rather than writing their own.
        """
        failing_since: float | None = None
        while True:
            try:
                state = await self.poll(job, handle)
                failing_since = None
            except self.transient_poll_errors as exc:
                failing_since = failing_since or time.monotonic()
                if time.monotonic() - failing_since > self.poll_failure_tolerance:
                    raise JobFailedError(self.unreachable_message(job, exc)) from exc
                state = JobState.RUNNING
            if state is JobState.DONE:
                return await self.fetch_result(job, handle)
            if state is JobState.LOST:
                raise JobLostError(self.lost_message(job, handle))
            if state is JobState.FAILED:
                raise JobFailedError(await self.failure_message(job, handle), log=await self.get_log(job, handle))
            await asyncio.sleep(self.poll_interval)

    async def failure_message(self, job: Job, handle: Any) -> str:
        """One line saying why the backend failed the job (:meth:`poll` said FAILED)."""
        return f"{self.short_name} failed job {job.job_id}"

    def lost_message(self, job: Job, handle: Any) -> str:
        """Why a job is gone (:meth:`poll` said LOST)."""
        return f"job {job.job_id} is no longer known to {self.short_name}"

    def unreachable_message(self, job: Job, exc: Exception) -> str:
        """Why waiting gave up after :meth:`poll` kept failing."""
        return f"cannot reach {self.short_name} for job {job.job_id}: {exc}"

    async def get_log(self, job: Job, handle: Any) -> str:
        """The backend's own log for a job (not the tasks' stdout), if any."""
        return ""

    async def run(self, job: Job) -> JobOutcome:
        """Run ``job`` to the end."""
        handle = await self.submit(job)
        return await self.wait(job, handle)

    async def cancel(self, job: Job, handle: Any) -> bool:
        """Stop a running job; return True if the backend stopped it."""
        return False

    async def cleanup(self, job: Job, handle: Any) -> None:
        """Remove what a finished job left behind (staged files, objects)."""

    async def fetch_held(self, ref: HeldRef) -> bytes:
        """A held value's bytes (its plain pickle), for the server to persist.

        Raises :class:`HeldValueLost` when the value is no longer where it was kept.
        """
        raise HeldValueLost(ref.key, self.short_name)

    async def write_held(self, ref: HeldRef, path: str) -> str | None:
        """Write a held value's plain pickle to the new file ``path`` (mode 0600) and return its SHA-256.

        For an executor whose holders share this machine's filesystem; the
        default (None) says it cannot, and the server fetches the bytes with
        :meth:`fetch_held` instead.  Raises :class:`HeldValueLost` as that does.
        """
        return None

    async def release_held(self, refs: list[HeldRef]) -> None:
        """The server needs these values kept no longer (persisted, and their dispatch is over)."""


class SyncJobExecutor(JobExecutor):
    """Synchronous executor: override :meth:`run_sync` (and :meth:`cancel_sync`).

    The dispatcher calls them in a worker thread, so they may block.
    """

    @abstractmethod
    def run_sync(self, job: Job) -> JobOutcome:
        """Run ``job`` to the end and return its outcome."""

    def cancel_sync(self, job: Job) -> bool:
        """Stop ``job`` if it is running; True if it was stopped."""
        return False

    def setup_sync(self) -> None:
        """Prepare the backend."""

    def teardown_sync(self) -> None:
        """Release the backend."""

    async def setup(self) -> None:
        await asyncio.to_thread(self.setup_sync)

    async def teardown(self) -> None:
        await asyncio.to_thread(self.teardown_sync)

    async def run(self, job: Job) -> JobOutcome:
        return await asyncio.to_thread(self.run_sync, job)

    async def cancel(self, job: Job, handle: Any) -> bool:
        return await asyncio.to_thread(self.cancel_sync, job)


def now() -> float:
    return time.time()


async def run_job(
    executor: JobExecutor,
    job: Job,
    on_handle: Any = None,
) -> JobOutcome:
    """Drive one job through an executor's lifecycle (the dispatcher's way).

    Executors with a submit step get :meth:`~JobExecutor.submit`, then
    ``await on_handle(handle)`` (the dispatcher records it), then
    :meth:`~JobExecutor.wait` and :meth:`~JobExecutor.cleanup`;
    the others get :meth:`~JobExecutor.run`.
    """
    if not executor.supports_submit():
        return await executor.run(job)
    handle = await executor.submit(job)
    if on_handle is not None:
        await on_handle(handle)
    try:
        return await executor.wait(job, handle)
    finally:
        try:
            await executor.cleanup(job, handle)
        except Exception:  # cleanup is best effort; the outcome matters more
            pass
