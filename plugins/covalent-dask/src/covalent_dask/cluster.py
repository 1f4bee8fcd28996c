"""One Dask cluster and client per configuration, shared by every executor instance.

The server builds a :class:`~covalent_dask.DaskExecutor` per electron
executor spec, so many instances with the same settings exist at once; they
must all use one cluster.  :class:`ClusterCache` keeps one
:class:`SharedCluster` per (event loop, :class:`ClusterConfig`): an
asynchronous Dask client belongs to the event loop it was created on.
Instances acquire it in ``setup()`` and release it in ``teardown()``; the
last release closes the client (and the local cluster, if it started one).
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from dataclasses import dataclass, field
from typing import Any

from covalent_dask import admin
from covalent_dask.channel import JobChannel

__all__ = ["ClusterCache", "ClusterConfig", "SharedCluster", "local_cluster_settings"]

log = logging.getLogger(__name__)

_OPEN_STATES = ("running", "connecting", "newly-created")

#: Seconds between the client's batched messages to the scheduler.  Dask's
#: client sends at most one batch every 10 ms, which it does not let us
#: configure.  The dispatcher already groups ready nodes into few jobs, so that
#: batching only adds latency: a finished job's release message starts the
#: 10 ms window, and the next job submitted within it waits for the window to
#: close (measured: 1-electron round trips back to back took 20 ms at 10 ms
#: and 15 ms at 1 ms).
CLIENT_BATCH_INTERVAL = 0.001

#: The local cluster's event-loop health check (Dask's ``distributed.admin.tick.interval``,
#: 20 ms by default): the scheduler, each nanny and each worker time a callback that often and
#: warn when one comes ``distributed.admin.tick.limit`` (3 s) late.  At 20 ms the scheduler
#: and nannies in the server's process ran 150 of them a second: idle, the server used 2.4-2.8%
#: of a core and each worker 1.3-1.5%; at 200 ms 1.5-1.7% and 0.5-0.7% (10 s each, twice).  A
#: stall still warns as late as before; an external cluster keeps its own settings.
TICK_INTERVAL = "200ms"
_TICK_KEY = "distributed.admin.tick.interval"
_DASK_TICK_SECONDS = 0.02


@dataclass(frozen=True)
class ClusterConfig:
    """What identifies a cluster: an external scheduler, or how to start a local one."""

    scheduler_address: str = ""
    n_workers: int | None = None
    threads_per_worker: int | None = None
    memory_limit: str | int | float | None = "auto"
    processes: bool = True
    #: Loopback unless configured: the dashboard shows (and can stop) every task, to whoever reaches it.
    dashboard_address: str | None = "127.0.0.1:8787"
    #: Dask's statistical profiler in the local workers (its dashboard's Profile page).  Off by
    #: default: every 10 ms it takes the GIL to walk each thread's stack, which delays the task
    #: thread (a 10 ms sleep ended 1.2-2.5 ms late on average with it, 0.2-0.5 ms without; the
    #: 1,000 x 10 ms map's workers used a quarter less CPU).
    worker_profile: bool = False

    @property
    def external(self) -> bool:
        """True when connecting to an existing scheduler instead of starting one."""
        return bool(self.scheduler_address)

    def local_cluster_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``distributed.LocalCluster``."""
        kwargs: dict[str, Any] = {
            "processes": self.processes,
            "memory_limit": self.memory_limit,
            "dashboard_address": self.dashboard_address,
        }
        if self.n_workers is not None:
            kwargs["n_workers"] = self.n_workers
        if self.threads_per_worker is not None:
            kwargs["threads_per_worker"] = self.threads_per_worker
        if self.processes:
            # A nanny merges this over the whole configuration (one level deep) and the worker process
            # sets the result: a dotted key changes this one setting only.
            kwargs["config"] = {"distributed.worker.profile.enabled": self.worker_profile}
        return kwargs


@dataclass(eq=False)
class SharedCluster:
    """A connected client (and the local cluster it owns, if any)."""

    config: ClusterConfig
    client: Any
    cluster: Any | None = None
    users: set[str] = field(default_factory=set)
    identity: dict[str, Any] = field(default_factory=dict)
    #: The admin server of a local cluster (``covalent cluster`` reaches it), else None.
    admin: Any = None
    #: The job channel to the workers (:mod:`covalent_dask.channel`), None if the cluster refused it.
    channel: JobChannel | None = None

    @property
    def admin_address(self) -> str | None:
        return str(self.admin.address) if self.admin is not None else None

    @property
    def is_open(self) -> bool:
        return getattr(self.client, "status", "closed") in _OPEN_STATES

    @property
    def scheduler_address(self) -> str:
        return str(self.client.scheduler.address)

    def totals(self) -> tuple[int, int, int]:
        """(workers, threads, memory bytes) as last heard from the scheduler.

        The asynchronous client refreshes its copy every few seconds; until it
        has one, the identity read by :meth:`refresh` answers.
        """
        info = self.client.scheduler_info() or {}
        if "total_threads" not in info:
            info = self.identity
        return (
            int(info.get("n_workers", 0)),
            int(info.get("total_threads", 0)),
            int(info.get("total_memory", 0)),
        )

    async def refresh(self) -> None:
        """Ask the scheduler for its totals now."""
        self.identity = dict(await self.client.scheduler.identity(n_workers=0))

    async def close(self) -> None:
        """Close the admin and the client, then the local cluster this process started (if any)."""
        try:
            if self.admin is not None:
                await self.admin.close()
            await self.client.close()
        finally:
            if self.cluster is not None:
                await self.cluster.close()


async def _start(config: ClusterConfig, connect_timeout: float) -> SharedCluster:
    # Importing distributed takes a quarter of a second: off the event loop, which
    # meanwhile answers requests (a server warming up its default cluster at start).
    await asyncio.to_thread(importlib.import_module, "distributed")
    from distributed import Client, LocalCluster

    if config.external:
        client = await Client(config.scheduler_address, asynchronous=True, timeout=connect_timeout)
        shared = SharedCluster(config, client)
    else:
        import dask

        # The scheduler and nannies read these when they are made, and each worker gets its nanny's copy.
        with dask.config.set(local_cluster_settings()):
            cluster = await LocalCluster(asynchronous=True, **config.local_cluster_kwargs())
        try:
            client = await Client(cluster, asynchronous=True, timeout=connect_timeout)
        except BaseException:
            await cluster.close()  # type: ignore[misc]  # awaitable in asynchronous mode
            raise
        shared = SharedCluster(config, client, cluster)
        try:
            shared.admin = await admin.serve(cluster)
        except OSError as exc:  # the cluster works without it; `covalent cluster` will say it is unreachable
            log.warning("could not serve the dask cluster's admin: %r", exc)
    shorten_batching(client)
    shared.channel = await JobChannel.open(client)
    try:
        await shared.refresh()
    except OSError as exc:  # the totals are informative; the client works without them
        log.debug("could not read scheduler identity: %r", exc)
    return shared


def local_cluster_settings() -> dict[str, Any]:
    """Dask settings the server's own local cluster starts with, where the user's Dask configuration has Dask's."""
    import dask
    from dask.utils import parse_timedelta

    current = dask.config.get(_TICK_KEY, None)
    if current is not None and parse_timedelta(current, default="ms") != _DASK_TICK_SECONDS:
        return {}  # set by the user: theirs
    return {_TICK_KEY: TICK_INTERVAL}


def shorten_batching(client: Any, interval: float = CLIENT_BATCH_INTERVAL) -> bool:
    """Send the client's messages to the scheduler at most ``interval`` apart; False if not possible.

    The interval lives on the client's private batched stream; a Dask release
    without it keeps its own (slower, still correct) batching.  A client that
    reconnects gets a new stream with Dask's interval.
    """
    stream = getattr(client, "scheduler_comm", None)
    if stream is None or not isinstance(getattr(stream, "interval", None), float | int):
        log.debug("dask client has no batched stream interval to shorten; keeping Dask's")
        return False
    stream.interval = min(float(stream.interval), interval)
    return True


class ClusterCache:
    """Shared clusters by (event loop, config); one per key, reference counted."""

    def __init__(self) -> None:
        self._entries: dict[tuple[asyncio.AbstractEventLoop, ClusterConfig], SharedCluster] = {}
        self._locks: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}

    def _lock(self, loop: asyncio.AbstractEventLoop) -> asyncio.Lock:
        for stale in [lp for lp in self._locks if lp.is_closed()]:
            del self._locks[stale]
        for key in [k for k in self._entries if k[0].is_closed()]:
            del self._entries[key]
        return self._locks.setdefault(loop, asyncio.Lock())

    def get(self, config: ClusterConfig) -> SharedCluster | None:
        """The open shared cluster for ``config`` on the running loop, if any."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loops = [k for k in self._entries if k[1] == config and not k[0].is_closed()]
            entry = self._entries.get(loops[0]) if loops else None
        else:
            entry = self._entries.get((loop, config))
        return entry if entry is not None and entry.is_open else None

    async def acquire(self, config: ClusterConfig, user: str, connect_timeout: float = 30.0) -> SharedCluster:
        """The shared cluster for ``config`` (started or connected on first use)."""
        loop = asyncio.get_running_loop()
        async with self._lock(loop):
            entry = self._entries.get((loop, config))
            if entry is not None and not entry.is_open:
                self._entries.pop((loop, config), None)
                try:
                    await entry.close()
                except Exception as exc:
                    log.debug("closing a dead dask client failed: %r", exc)
                entry = None
            if entry is None:
                entry = await _start(config, connect_timeout)
                self._entries[(loop, config)] = entry
            entry.users.add(user)
            return entry

    async def release(self, config: ClusterConfig, user: str) -> None:
        """Drop ``user``'s hold; the last one closes the client and any local cluster."""
        loop = asyncio.get_running_loop()
        async with self._lock(loop):
            entry = self._entries.get((loop, config))
            if entry is None or user not in entry.users:
                return
            entry.users.discard(user)
            if entry.users:
                return
            del self._entries[(loop, config)]
        await entry.close()

    async def close_all(self) -> None:
        """Close every shared cluster of the running loop, whoever holds it."""
        loop = asyncio.get_running_loop()
        async with self._lock(loop):
            entries = [e for (lp, _), e in self._entries.items() if lp is loop]
            for key in [k for k in self._entries if k[0] is loop]:
                del self._entries[key]
        for entry in entries:
            await entry.close()
