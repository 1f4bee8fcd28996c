"""The size of the default executor's local Dask cluster for one run of the server (``covalent start -n/-t/-m``).

Its own module: the command line (:mod:`covalent.server.background`) and the
server (:mod:`covalent.server.main`) both read it, and ``covalent start``'s
forked child runs the server's ``main``, so neither imports the other for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["ClusterOptions"]


@dataclass(frozen=True)
class ClusterOptions:
    """How big the default executor's local Dask cluster is (None: its own default)."""

    workers: int | None = None
    threads_per_worker: int | None = None
    #: Per worker: "auto", "4GiB", bytes, or "0" for no limit.
    mem_per_worker: str | None = None

    def arguments(self) -> list[str]:
        """The server's command-line arguments for these options."""
        out: list[str] = []
        if self.workers is not None:
            out += ["--workers", str(self.workers)]
        if self.threads_per_worker is not None:
            out += ["--threads-per-worker", str(self.threads_per_worker)]
        if self.mem_per_worker is not None:
            out += ["--mem-per-worker", str(self.mem_per_worker)]
        return out

    def executor_kwargs(self) -> dict[str, Any]:
        """What they mean to the Dask executor (``n_workers``, ``threads_per_worker``, ``memory_limit``)."""
        kwargs: dict[str, Any] = {}
        if self.workers is not None:
            kwargs["n_workers"] = int(self.workers)
        if self.threads_per_worker is not None:
            kwargs["threads_per_worker"] = int(self.threads_per_worker)
        if self.mem_per_worker is not None:
            memory = str(self.mem_per_worker).strip()
            kwargs["memory_limit"] = 0 if memory in ("0", "") else memory
        return kwargs
