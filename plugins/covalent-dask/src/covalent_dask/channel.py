"""The job channel: a job sent straight to a Dask worker, without the scheduler.

Through the scheduler a job costs a graph submission, the scheduler's
assignment, the worker's report and a result fetch: several messages and
process wake-ups, most of a short job's round trip.  A worker plugin (shipped
by value, like the rest of :mod:`covalent_dask.worker`) adds a
``covalent_job`` handler to each worker's own comm listener, and
:class:`JobChannel` sends a job there over Dask's connection pool: one
request, one reply carrying the outcome's bytes (raw frames, never unpickled
here).

What the channel takes, and what it leaves to the scheduler:

- only jobs without held inputs (those are brought by Dask's serving tasks)
  and with a payload Dask would not scatter;
- only while this process has fewer jobs in flight on the cluster than the
  cluster has threads, and only to a worker with fewer channel jobs than
  threads: a job that would wait goes to the scheduler, which queues it;
- the worker itself refuses a job (``busy``) when Dask's tasks and channel
  jobs already take all its threads (another client's tasks on an external
  cluster, a held value being served): the job then goes to the scheduler.

A worker that dies under a channel job closes its connection: the job is
submitted again through the scheduler (as Dask itself reschedules a task
whose worker died).  Cancel and time limits are those of the scheduler path:
the job runs in the worker through :func:`~covalent_dask.worker.run_job`
under its unique key, which the interrupt names.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ChannelLost", "ChannelReply", "JobChannel", "channel_plugin"]

log = logging.getLogger(__name__)

#: The worker plugin's name (one per cluster; registering it again replaces it).
PLUGIN_NAME = "covalent-job-channel"
#: Seconds the channel's list of workers and their threads is used before it is asked again
#: (in the background: a job never waits for it).  The asynchronous client keeps no such list.
WORKERS_REFRESH_SECONDS = 1.0


class ChannelLost(Exception):
    """The connection to the worker broke under the job (the worker died or left)."""


@dataclass(frozen=True)
class ChannelReply:
    """What a worker answered: ``status`` OK (``data``), interrupted or failed (``error``, ``log``)."""

    status: str
    data: bytes = b""
    error: str = ""
    log: str = ""


def channel_plugin() -> Any:
    """The worker plugin that installs the channel (its class and code travel by value)."""
    from distributed import WorkerPlugin

    from covalent_dask.shipping import by_value
    from covalent_dask.worker import install_channel

    class CovalentJobChannel(WorkerPlugin):  # defined here: cloudpickle sends a local class by value
        name = PLUGIN_NAME  # registered again (a server connecting anew): it replaces the one before

        def __init__(self, install: Any) -> None:
            self.install = install

        def setup(self, worker: Any) -> None:
            self.install(worker)

    return CovalentJobChannel(by_value(install_channel))


@dataclass(eq=False)
class JobChannel:
    """This process's channel to the workers of one cluster, and its count of jobs in flight."""

    client: Any
    #: Channel jobs in flight, by worker address.
    direct: dict[str, int] = field(default_factory=dict)
    #: Jobs of this process in flight through the scheduler.
    scheduled: int = 0
    #: The cluster's workers and their threads, as the scheduler last said (``refreshed``: when).
    workers: dict[str, int] = field(default_factory=dict)
    refreshed: float = 0.0
    _refreshing: asyncio.Task[None] | None = None
    _turn: itertools.count[int] = field(default_factory=itertools.count)

    @classmethod
    async def open(cls, client: Any) -> JobChannel | None:
        """Install the worker plugin on the cluster; None if the cluster refused it (the scheduler serves)."""
        try:
            await client.register_plugin(channel_plugin())
        except Exception as exc:
            log.warning("dask job channel unavailable, every job goes through the scheduler: %r", exc)
            return None
        channel = cls(client)
        await channel.refresh()
        return channel

    async def refresh(self) -> None:
        """Ask the scheduler for its workers and their threads."""
        try:
            identity = await self.client.scheduler.identity(n_workers=-1)
        except Exception as exc:  # the scheduler is away: the list stays, a job sent to a gone worker falls back
            log.debug("could not list the dask workers for the job channel: %r", exc)
            return
        finally:
            self.refreshed = time.monotonic()
        self.workers = {addr: int(info.get("nthreads") or 0) for addr, info in identity.get("workers", {}).items()}

    def _refresh_soon(self) -> None:
        if time.monotonic() - self.refreshed < WORKERS_REFRESH_SECONDS:
            return
        if self._refreshing is None or self._refreshing.done():
            self._refreshing = asyncio.ensure_future(self.refresh())

    def pick(self) -> str | None:
        """A worker with a thread free of this process's jobs, or None (the job goes to the scheduler)."""
        self._refresh_soon()
        threads = self.workers
        if sum(self.direct.values()) + self.scheduled >= sum(threads.values()):
            return None
        free = [addr for addr, n in threads.items() if self.direct.get(addr, 0) < n]
        if not free:
            return None
        least = min(self.direct.get(addr, 0) for addr in free)
        free = [addr for addr in free if self.direct.get(addr, 0) == least]
        return free[next(self._turn) % len(free)]

    async def send(self, address: str, key: str, payload: bytes) -> ChannelReply | None:
        """Run the job on the worker at ``address``; None if it did not take it (busy, no channel).

        Raises :class:`ChannelLost` when the connection breaks before the reply.
        """
        from distributed.protocol import to_serialize

        self.direct[address] = self.direct.get(address, 0) + 1
        try:
            reply = await self.client.rpc(address).covalent_job(key=key, payload=to_serialize(payload))
        except OSError as exc:  # CommClosedError is one: the worker died or closed
            self.workers.pop(address, None)  # until the scheduler lists it again
            raise ChannelLost(f"lost the connection to dask worker {address}: {exc!r}") from exc
        finally:
            self.direct[address] -= 1
            if not self.direct[address]:
                del self.direct[address]
        if not isinstance(reply, dict) or reply.get("status") in (None, "busy"):
            return None  # busy, or a worker without the plugin (it answers None)
        data = reply.get("data", b"")
        return ChannelReply(
            status=str(reply["status"]),
            data=bytes(data) if not isinstance(data, bytes) else data,
            error=str(reply.get("error", "")),
            log=str(reply.get("log", "")),
        )
