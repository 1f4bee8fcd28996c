"""``LocalExecutor`` ("local"): a warm pool of worker processes on this machine.

Registered through the same ``register_executors`` hook as every plugin.
Cancelling a running job terminates its worker process (the pool starts a
fresh one), so a runaway task really stops.
"""

from __future__ import annotations

import os
from typing import Any, ClassVar

from covalent.executor.jobs import Job, JobOutcome
from covalent.executor.pool import WorkerPools
from covalent.executor.pooled import PooledExecutor
from covalent.plugins.hookspecs import hookimpl
from covalent.runtime.execute import run_payload

__all__ = ["LocalExecutor", "run_in_worker", "shutdown_pools"]

_POOLS = WorkerPools(warm_modules=("covalent.runtime.execute",))


def run_in_worker(payload: bytes, config: dict[str, Any]) -> bytes:
    """What a local worker process runs for each job."""
    return run_payload(payload)


def shutdown_pools() -> None:
    """Stop the local worker processes (at server shutdown)."""
    _POOLS.shutdown()


class LocalExecutor(PooledExecutor):
    """Run tasks in worker processes on the server's machine.

    ``log_stdout``/``log_stderr`` (Covalent's options): files on the server's
    machine to which each task's stdout and stderr are appended as well.
    ``cache_dir`` is accepted; the workers need no scratch folder of their own.
    """

    short_name = "local"
    max_nodes_per_job = 512
    reads_server_files = True  # its workers are processes of the server's machine
    pools: ClassVar[WorkerPools] = _POOLS
    worker_target: ClassVar[str] = "covalent.executor.local:run_in_worker"

    def __init__(
        self,
        workers: int | None = None,
        log_stdout: str = "",
        log_stderr: str = "",
        cache_dir: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(workers=int(workers or max(2, os.cpu_count() or 2)), **kwargs)
        self.log_stdout = str(log_stdout or "")
        self.log_stderr = str(log_stderr or "")
        self.cache_dir = str(cache_dir or "")

    async def run(self, job: Job) -> JobOutcome:
        outcome = await super().run(job)
        for path, stream in ((self.log_stdout, "stdout"), (self.log_stderr, "stderr")):
            text = "".join(getattr(node, stream) for node in outcome.nodes)
            if path and text:
                with open(path, "a", encoding="utf-8") as f:
                    f.write(text)
        return outcome


@hookimpl
def register_executors(register: Any) -> None:
    register(LocalExecutor)
