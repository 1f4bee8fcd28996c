"""Run an executor outside the server: one event loop in a background thread."""

from __future__ import annotations

import asyncio
import itertools
import pickle
import threading
import uuid
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from typing import Any

from covalent._sdk.electron import Electron
from covalent._sdk.lattice import Lattice
from covalent.executor.jobs import Job, JobExecutor, JobOutcome, run_job
from covalent.graph.payloads import pack_job
from covalent.graph.transport_graph import NodeKind
from covalent.runtime.outcome import NodeOutcome
from covalent.status import Status

__all__ = ["ExecutorHarness", "HarnessCache", "make_job", "node_value"]

_counter = itertools.count()


def make_job(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Job:
    """A one-node job calling ``func(*args, **kwargs)``, exactly as a dispatch would pack it."""
    task = func if isinstance(func, Electron) else Electron(func)

    def body() -> Any:
        return task(*args, **kwargs)

    manifest = Lattice(body, name=f"job_{task.name}").build_manifest()
    graph = manifest.graph
    # What a dispatcher runs: neither parameters nor the return-value node (it takes its input's output).
    nodes = [
        n for n in graph.topological_order() if graph.node(n)["kind"] not in (NodeKind.PARAMETER, NodeKind.POSTPROCESS)
    ]
    dispatch_id = f"test-{uuid.uuid4()}"
    spec = pack_job(dispatch_id, graph, nodes, manifest.blobs.__getitem__, lambda n: "")
    return Job(
        job_id=f"{dispatch_id}-{next(_counter)}",
        dispatch_id=dispatch_id,
        node_ids=tuple(nodes),
        names=tuple(graph.node(n)["name"] for n in nodes),
        payload=spec.to_bytes(),
        time_limit=task.time_limit,
    )


def node_value(node: NodeOutcome) -> Any:
    """The value a completed node returned."""
    if node.status != Status.COMPLETED:
        raise AssertionError(f"node {node.node_id} did not complete:\n{node.error}")
    assert node.output is not None
    return pickle.loads(node.output)


class ExecutorHarness:
    """Holds an executor set up on a private event loop; methods block."""

    def __init__(self, executor: JobExecutor) -> None:
        self.executor = executor
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self.handles: dict[str, Any] = {}
        self.call(executor.setup(), timeout=600)

    def call(self, coro: Coroutine[Any, Any, Any], timeout: float | None = None) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def submit(self, job: Job) -> Future[JobOutcome]:
        async def on_handle(handle: Any) -> None:
            self.handles[job.job_id] = handle

        return asyncio.run_coroutine_threadsafe(run_job(self.executor, job, on_handle), self.loop)

    def run(self, job: Job, timeout: float = 300) -> JobOutcome:
        return self.submit(job).result(timeout)

    def cancel(self, job: Job, timeout: float = 120) -> bool:
        handle = self.handles.get(job.job_id)
        return bool(self.call(self.executor.cancel(job, handle), timeout))

    def close(self) -> None:
        try:
            self.call(self.executor.teardown(), timeout=120)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=10)
            if not self._thread.is_alive():
                self.loop.close()


class HarnessCache:
    """Set-up executors of one class, one per distinct set of options, kept for a session.

    ``cache.get(**options)`` returns a harness (created on first use);
    ``cache.value(func, *args, executor={...})`` runs a one-node job and returns
    the value it produced; ``cache.close()`` tears every executor down.
    """

    def __init__(self, executor_class: type[JobExecutor]) -> None:
        self.executor_class = executor_class
        self._harnesses: dict[str, ExecutorHarness] = {}

    def get(self, **options: Any) -> ExecutorHarness:
        import json

        key = json.dumps(options, sort_keys=True, default=repr)
        if key not in self._harnesses:
            self._harnesses[key] = ExecutorHarness(self.executor_class(**options))
        return self._harnesses[key]

    def value(
        self, func: Callable[..., Any], *args: Any, executor: dict[str, Any] | None = None, timeout: float = 120
    ) -> Any:
        outcome = self.get(**(executor or {})).run(make_job(func, *args), timeout=timeout)
        assert len(outcome.nodes) == 1
        return node_value(outcome.nodes[0])

    def close(self) -> None:
        for harness in self._harnesses.values():
            harness.close()
        self._harnesses.clear()
