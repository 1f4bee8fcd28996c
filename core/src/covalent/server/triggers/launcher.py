"""Starting a trigger's runs and learning when they end: in this server, or on another one over HTTP.

A trigger event runs its dispatch: the dispatch itself if it was registered
without running (Covalent's first run), else a redispatch of it, so
``reuse_previous_results`` and everything else of redispatch applies.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Protocol

from covalent.server.events import EventBus, ends
from covalent.server.redispatch import DispatchNotFound, Services, redispatch
from covalent.server.registration import ManifestError
from covalent.server.store.records import read_dispatch
from covalent.status import TERMINAL, Status

__all__ = ["LaunchError", "Launcher", "LocalLauncher", "RemoteLauncher"]

#: Seconds between status checks where no event says when a run ends.
POLL_EVERY = 1.0


class LaunchError(Exception):
    """A run could not be started; ``permanent`` when trying again cannot help (the dispatch is gone)."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class Launcher(Protocol):
    async def launch(self, dispatch_id: str, *, reuse_previous_results: bool) -> str:
        """Run ``dispatch_id`` (or a copy of it); the run's dispatch id.  Raises :class:`LaunchError`."""
        ...

    async def running(self, run_ids: Iterable[str]) -> set[str]:
        """Those of ``run_ids`` that have not ended."""
        ...

    async def wait_ended(self, run_id: str) -> None:
        """Return once the run has ended (at once if it has)."""
        ...


class LocalLauncher:
    """Runs dispatches of this server's own database, through its dispatcher and redispatch."""

    def __init__(self, services: Services, events: EventBus) -> None:
        self.services = services
        self.events = events

    async def _status(self, dispatch_id: str) -> str | None:
        def read() -> str | None:
            with self.services.engine.connect() as conn:
                record = read_dispatch(conn, dispatch_id)
            return None if record is None else str(record.status)

        return await asyncio.to_thread(read)

    async def launch(self, dispatch_id: str, *, reuse_previous_results: bool) -> str:
        status = await self._status(dispatch_id)
        if status is None:
            raise LaunchError(f"its dispatch {dispatch_id} no longer exists", permanent=True)
        # The first run is the registered dispatch itself; once it runs (even if its
        # RUNNING record is not committed yet), every later event is a redispatch.
        dispatcher = self.services.dispatcher
        if status == Status.NEW_OBJECT and dispatch_id not in dispatcher.runs and await dispatcher.start(dispatch_id):
            return dispatch_id
        try:
            new = await redispatch(self.services, dispatch_id, reuse_previous_results=reuse_previous_results)
        except DispatchNotFound:
            raise LaunchError(f"its dispatch {dispatch_id} no longer exists", permanent=True) from None
        except ManifestError as exc:
            raise LaunchError(f"its workflow cannot run here any more: {exc}", permanent=True) from None
        return new.dispatch_id

    async def running(self, run_ids: Iterable[str]) -> set[str]:
        found = set()
        for run_id in run_ids:
            status = await self._status(run_id)
            if status is not None and status not in TERMINAL:
                found.add(run_id)
        return found

    async def wait_ended(self, run_id: str) -> None:
        subscription = self.events.open(run_id)  # before reading the status, so the end is not missed
        try:
            if run_id not in await self.running([run_id]):
                return
            async for published in subscription:
                if ends(published.event, run_id):
                    return
        finally:
            subscription.close()
        while run_id in await self.running([run_id]):  # the stream was closed (overflow): ask instead
            await asyncio.sleep(POLL_EVERY)


class RemoteLauncher:
    """Runs dispatches of another server through its HTTP API (a ``--triggers-only`` server's way)."""

    def __init__(self, address: str) -> None:
        self.address = address

    async def launch(self, dispatch_id: str, *, reuse_previous_results: bool) -> str:
        from covalent.client.triggers import start_or_redispatch
        from covalent.errors import DispatchNotFoundError, ServerError, ServerUnavailableError

        try:
            return await asyncio.to_thread(
                start_or_redispatch, dispatch_id, self.address, reuse_previous_results=reuse_previous_results
            )
        except DispatchNotFoundError:
            gone = f"its dispatch {dispatch_id} no longer exists at {self.address}"
            raise LaunchError(gone, permanent=True) from None
        except ServerUnavailableError as exc:
            raise LaunchError(str(exc), permanent=False) from None
        except ServerError as exc:
            refused = 400 <= exc.status_code < 500
            raise LaunchError(f"the dispatcher at {self.address} refused the run: {exc}", permanent=refused) from None

    async def _status(self, run_id: str) -> str | None:
        from covalent.client.connection import Connection
        from covalent.errors import DispatchNotFoundError

        def read() -> str | None:
            with Connection(self.address) as conn:
                try:
                    return str(conn.get_json(f"/dispatches/{run_id}")["status"])
                except DispatchNotFoundError:
                    return None

        return await asyncio.to_thread(read)

    async def running(self, run_ids: Iterable[str]) -> set[str]:
        found = set()
        for run_id in run_ids:
            try:
                status = await self._status(run_id)
            except Exception:
                status = Status.RUNNING  # cannot tell now: counted as going
            if status is not None and status not in TERMINAL:
                found.add(run_id)
        return found

    async def wait_ended(self, run_id: str) -> None:
        while run_id in await self.running([run_id]):
            await asyncio.sleep(POLL_EVERY)
