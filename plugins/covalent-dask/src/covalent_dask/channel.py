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
- a job goes to a worker with a thread free of this process's jobs while
  this process has fewer jobs in flight on the cluster than the cluster has
  threads;
- a *short* job (the dispatcher expects it to end within
  :data:`SHORT_SECONDS`, ``Job.metadata["expected_seconds"]``) may also wait
  in the worker's own queue, one per thread, behind short channel jobs only:
  the worker's thread takes it the moment the job before it ends, without
  a round trip to this server or a turn of the worker's event loop.  When
  every slot is taken by short jobs it waits here, in order, for the next
  slot to free;
- any other job that would wait goes to the scheduler, which queues it;
- the worker itself refuses a job (``busy``) when Dask's tasks and channel
  jobs already take all its threads (another client's tasks on an external
  cluster, a held value being served), and a queued job when a Dask task
  runs there or a job ahead of it is not short: the job then goes to the
  scheduler.

Threads are never shared: a queued job waits in the worker's thread pool's
queue and runs only once a thread is free.  A worker that dies under a
channel job (running or queued) closes its connection: the job is submitted
again through the scheduler (as Dask itself reschedules a task whose worker
died).  Cancel and time limits are those of the scheduler path: the job runs
in the worker through :func:`~covalent_dask.worker.run_job` under its unique
key, which the interrupt names (a queued job it reaches before its start is
marked so and never starts).
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import logging
import time
from dataclasses import dataclass, field
from typing import Any

__all__ = ["SHORT_SECONDS", "WAIT", "ChannelLost", "ChannelReply", "JobChannel", "Slot", "channel_plugin", "is_short"]

log = logging.getLogger(__name__)

#: The worker plugin's name (one per cluster; registering it again replaces it).
PLUGIN_NAME = "covalent-job-channel"
#: A job expected to end within this many seconds may wait in a worker's queue behind another such job.
SHORT_SECONDS = 2.0
#: Jobs each worker thread may hold through the channel: one running, one waiting in the worker's queue.
SLOTS_PER_THREAD = 2

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


@dataclass(frozen=True)
class Slot:
    """Where a job goes through the channel: a worker, and whether it waits there behind another job."""

    address: str
    queued: bool = False


#: What :meth:`JobChannel.pick` answers when the job should wait here for a slot.
WAIT = Slot("")


def is_short(expected_seconds: float | None) -> bool:
    """Whether a job expected to take ``expected_seconds`` may wait in a worker's queue."""
    return expected_seconds is not None and 0 <= expected_seconds <= SHORT_SECONDS


@dataclass(eq=False)
class JobChannel:
    """This process's channel to the workers of one cluster, and its count of jobs in flight."""

    client: Any
    #: Channel jobs in flight (running or queued), by worker address.
    direct: dict[str, int] = field(default_factory=dict)
    #: Of those, the jobs that are not short, by worker address (nothing queues behind them).
    long: dict[str, int] = field(default_factory=dict)
    #: Jobs of this process in flight through the scheduler.
    scheduled: int = 0
    #: The cluster's workers and their threads, as the scheduler last said (``refreshed``: when).
    workers: dict[str, int] = field(default_factory=dict)
    refreshed: float = 0.0
    _refreshing: asyncio.Task[None] | None = None
    _turn: itertools.count[int] = field(default_factory=itertools.count)
    #: Short jobs waiting here for a slot, first come first served.
    _waiters: collections.deque[asyncio.Future[None]] = field(default_factory=collections.deque)

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
        self._wake(every=True)  # workers may have come or gone: every waiting job looks again

    def _refresh_soon(self) -> None:
        if time.monotonic() - self.refreshed < WORKERS_REFRESH_SECONDS:
            return
        if self._refreshing is None or self._refreshing.done():
            self._refreshing = asyncio.ensure_future(self.refresh())

    def pick(self, short: bool = False) -> Slot | None:
        """Where the job goes: a worker's free thread, a worker's queue, :data:`WAIT`, or None (the scheduler).

        ``short``: the job is expected to end soon (:func:`is_short`), so it may wait in a worker's
        queue, or here, behind other short jobs.
        """
        self._refresh_soon()
        threads = self.workers
        if sum(self.direct.values()) + self.scheduled < sum(threads.values()):
            free = [addr for addr, n in threads.items() if self.direct.get(addr, 0) < n]
            if free:
                return Slot(self._least(free))
        if not short or self.scheduled or not threads:
            return None
        if any(self.long.get(addr, 0) for addr in threads):
            return None  # a job of unknown length holds a thread: the scheduler queues this one
        open_ = [addr for addr, n in threads.items() if self.direct.get(addr, 0) < n * SLOTS_PER_THREAD]
        if open_:
            return Slot(self._least(open_), queued=True)
        return WAIT

    def _least(self, addresses: list[str]) -> str:
        """The least loaded of ``addresses`` (in turn among equals)."""
        least = min(self.direct.get(addr, 0) for addr in addresses)
        ties = [addr for addr in addresses if self.direct.get(addr, 0) == least]
        return ties[next(self._turn) % len(ties)]

    async def slot(self, short: bool = False) -> Slot | None:
        """A slot taken for the job (:meth:`pick`'s, waiting here in order while it answers :data:`WAIT`), or None.

        The job must then be sent (:meth:`send`), which gives the slot back once the worker answers.
        """
        waited = False
        while True:
            choice = self.pick(short)
            if choice is None and waited:
                self._wake()  # not through the channel after all: the next waiter looks again
            if choice is None:
                return None
            if choice is not WAIT:
                # Taken now, before any other job looks: :meth:`send` gives it back.
                self.direct[choice.address] = self.direct.get(choice.address, 0) + 1
                if not short:
                    self.long[choice.address] = self.long.get(choice.address, 0) + 1
                return choice
            waited = True
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self._wake()  # it was this one's turn: the next takes it
                raise
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)

    def _wake(self, every: bool = False) -> None:
        """Let the first job waiting for a slot (``every``: all of them) look again."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                if not every:
                    return

    async def send(self, slot: Slot, key: str, payload: bytes, *, short: bool = False) -> ChannelReply | None:
        """Run the job in the ``slot`` :meth:`slot` took; None if the worker did not take it (busy, no channel).

        ``short``: as given to :meth:`slot` (a later short job may queue behind this one).
        Raises :class:`ChannelLost` when the connection breaks before the reply.
        """
        from distributed.protocol import to_serialize

        address = slot.address
        lost = False
        try:
            reply = await self.client.rpc(address).covalent_job(
                key=key, payload=to_serialize(payload), queued=slot.queued, short=short
            )
        except OSError as exc:  # CommClosedError is one: the worker died or closed
            lost = True
            self.workers.pop(address, None)  # until the scheduler lists it again
            raise ChannelLost(f"lost the connection to dask worker {address}: {exc!r}") from exc
        except Exception as exc:  # the worker's handler raised (one of another version): the job did not start
            log.warning("dask worker %s refused a channel job: %r; it goes through the scheduler", address, exc)
            return None
        finally:
            _drop(self.direct, address)
            if not short:
                _drop(self.long, address)
            self._wake(every=lost)  # a slot is free (or a worker gone: every waiter looks again)
        if not isinstance(reply, dict) or reply.get("status") in (None, "busy"):
            return None  # busy, or a worker without the plugin (it answers None)
        data = reply.get("data", b"")
        return ChannelReply(
            status=str(reply["status"]),
            data=bytes(data) if not isinstance(data, bytes) else data,
            error=str(reply.get("error", "")),
            log=str(reply.get("log", "")),
        )


def _drop(counts: dict[str, int], address: str) -> None:
    counts[address] -= 1
    if not counts[address]:
        del counts[address]
