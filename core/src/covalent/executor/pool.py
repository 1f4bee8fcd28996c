"""Warm, killable worker processes shared by the executors of one plugin.

Jobs run in a :class:`pebble.ProcessPool`: cancelling a running job
terminates its worker process (the pool starts a fresh one), so a runaway
task really stops.  Workers import the plugin's heavy modules once, when
they start, and keep them loaded between jobs.

The function a worker runs is named by ``"module:function"`` and resolved
inside the worker, so the server process never imports those modules.
"""

from __future__ import annotations

import atexit
import importlib
import multiprocessing
import os
import threading
from typing import Any

__all__ = ["WorkerPools", "invoke", "warm_up"]


def warm_up(modules: tuple[str, ...]) -> None:
    """Pool initializer: import the heavy modules once per worker process."""
    for name in modules:
        importlib.import_module(name)


def invoke(target: str, *args: Any) -> Any:
    """Run ``target`` (``"package.module:function"``) with ``args`` in the worker."""
    module_name, _, function_name = target.partition(":")
    function = getattr(importlib.import_module(module_name), function_name)
    return function(*args)


class WorkerPools:
    """Process pools shared by the executors of one plugin, one per pool size.

    Executors that hold a pool call :meth:`acquire` in ``setup`` and
    :meth:`release` in ``teardown``; the last release stops the pool.  A pool
    obtained with :meth:`get` outside that pairing lives until interpreter exit.
    """

    def __init__(self, warm_modules: tuple[str, ...]) -> None:
        self._warm_modules = warm_modules
        self._pools: dict[int, Any] = {}
        self._users: dict[int, int] = {}
        self._lock = threading.Lock()
        atexit.register(self.shutdown)

    def get(self, workers: int) -> Any:
        """The pool of ``workers`` processes, started if needed."""
        import pebble

        with self._lock:
            pool = self._pools.get(workers)
            if pool is None or not pool.active:
                context = multiprocessing.get_context("forkserver" if os.name == "posix" else "spawn")
                pool = pebble.ProcessPool(
                    max_workers=workers,
                    initializer=warm_up,
                    initargs=(self._warm_modules,),
                    context=context,
                )
                self._pools[workers] = pool
            return pool

    def acquire(self, workers: int) -> Any:
        """Start (or share) the pool and count one more user of it."""
        pool = self.get(workers)
        with self._lock:
            self._users[workers] = self._users.get(workers, 0) + 1
        return pool

    def release(self, workers: int) -> None:
        """Count one user less; stop the pool when nobody uses it any more."""
        with self._lock:
            remaining = self._users.get(workers, 0) - 1
            if remaining > 0:
                self._users[workers] = remaining
                return
            self._users.pop(workers, None)
            pool = self._pools.pop(workers, None)
        if pool is not None:
            pool.stop()
            pool.join(timeout=10)

    def shutdown(self) -> None:
        """Stop every pool (at interpreter exit)."""
        with self._lock:
            pools = list(self._pools.values())
            self._pools.clear()
            self._users.clear()
        for pool in pools:
            pool.stop()
            pool.join(timeout=10)
