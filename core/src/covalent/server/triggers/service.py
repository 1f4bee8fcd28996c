"""The trigger service: registers triggers, observes them in the server process, stops them.

Triggers live in the database (:mod:`covalent.server.store.triggers`), so the
service observes every trigger that was observing when the server stopped
as soon as it starts again.  Its collaborators are passed in: the database
engine (reads), the writer (every change), the launcher that runs this
server's dispatches (None on a ``--triggers-only`` server, whose triggers
name the server that holds their dispatch) and the mode:

- ``"on"``: the default;
- ``"off"`` (``covalent start --no-triggers``): nothing is observed and new
  triggers are refused; registered ones wait for a server that observes them;
- ``"only"`` (``covalent start --triggers-only``): only triggers are served,
  each run is started on the dispatcher its trigger names, over HTTP.

A trigger's configuration arrives as JSON and is built only as one of the
kinds the server knows (:data:`covalent.triggers.trigger_loader.available_triggers`).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from sqlalchemy import Engine

from covalent.server.store.records import read_dispatch
from covalent.server.store.triggers import (
    FAILED,
    OBSERVING,
    STOPPED,
    TriggerRecord,
    insert_triggers,
    read_triggers,
    running_runs,
    set_state,
)
from covalent.server.store.writer import Writer
from covalent.server.triggers.gate import RunGate
from covalent.server.triggers.launcher import Launcher, RemoteLauncher
from covalent.server.triggers.observation import Observation
from covalent.triggers import BaseTrigger, SourceGone, TriggerConfigError, available_triggers

__all__ = ["Mode", "PublicTrigger", "TriggerError", "TriggerService", "TriggerSpec", "public", "public_trigger"]

log = logging.getLogger(__name__)

Mode = Literal["on", "off", "only"]


class TriggerError(Exception):
    """A trigger request cannot be done; ``status`` is the HTTP status that says why."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class TriggerSpec:
    """A trigger as a client sends it (``BaseTrigger.to_spec()``)."""

    kind: str
    config: dict[str, Any]
    policy: dict[str, Any]


def build_trigger(kind: str, config: dict[str, Any], policy: dict[str, Any]) -> BaseTrigger:
    """The trigger of a known kind from its JSON form; TriggerError (422) names what is wrong."""
    cls = available_triggers[kind]
    if cls is None or not hasattr(cls, "source"):
        known = ", ".join(available_triggers.names())
        raise TriggerError(
            f"this server does not know the trigger kind {kind!r} (it observes {known}); a trigger of your own "
            "is observed in your process with trigger.observe()"
        )
    try:
        return cls.from_spec(config, policy)
    except TriggerConfigError as exc:
        raise TriggerError(f"{kind}: {exc}") from None


class TriggerService:
    def __init__(
        self,
        engine: Engine,
        writer: Writer,
        launcher: Launcher | None,
        *,
        mode: Mode = "on",
        remote: Callable[[str], Launcher] = RemoteLauncher,
    ) -> None:
        self.engine = engine
        self.writer = writer
        self.launcher = launcher
        self.mode = mode
        self.remote = remote
        self.observations: dict[str, Observation] = {}
        self._remotes: dict[str, Launcher] = {}

    @property
    def enabled(self) -> bool:
        return self.mode != "off"

    async def _read(self, fn: Callable[[Any], Any]) -> Any:
        def run() -> Any:
            with self.engine.connect() as conn:
                return fn(conn)

        return await asyncio.to_thread(run)

    def _launcher(self, record: TriggerRecord) -> Launcher:
        if record.dispatcher_addr:
            launcher = self._remotes.get(record.dispatcher_addr)
            if launcher is None:
                launcher = self._remotes[record.dispatcher_addr] = self.remote(record.dispatcher_addr)
            return launcher
        if self.launcher is None:
            raise TriggerError("this server runs triggers only: a trigger must name the dispatcher of its dispatch")
        return self.launcher

    # -- starting ----------------------------------------------------------------
    async def start(self) -> int:
        """Observe every trigger that was observing (none with ``--no-triggers``); how many."""
        if not self.enabled:
            return 0
        records = await self._read(lambda conn: read_triggers(conn, states=[OBSERVING]))
        for record in records:
            await self._observe(record)
        if records:
            log.info("observing %d trigger(s) again", len(records))
        return len(records)

    async def _open(self, record: TriggerRecord) -> Observation:
        """An observation of ``record`` whose source is open; TriggerError (422) says why it cannot be."""
        trigger = build_trigger(record.kind, record.config, record.policy)
        launcher = self._launcher(record)
        gate = RunGate(record.policy, queued=record.queued)
        if gate.limited:
            candidates = await self._read(lambda conn: running_runs(conn, record.trigger_id))
            gate.running = await launcher.running(candidates) if record.dispatcher_addr else set(candidates)
        observation = Observation(record, trigger, launcher, self.writer, gate, self._ended)
        try:
            await observation.open()
        except SourceGone as exc:
            raise TriggerError(f"{record.kind} cannot observe: {exc}") from None
        return observation

    async def _observe(self, record: TriggerRecord) -> None:
        """Observe a stored trigger again (a failure to, is recorded as the trigger's failure)."""
        if record.trigger_id in self.observations:  # registered while the server was starting
            return
        try:
            observation = await self._open(record)
        except TriggerError as exc:
            await self.writer.write(set_state([record], FAILED, str(exc)), small=True)
            return
        self.begin([observation])

    async def open(self, records: Sequence[TriggerRecord]) -> list[Observation]:
        """Open the sources of new triggers before their records are stored (so a bad one is refused)."""
        opened: list[Observation] = []
        try:
            for record in records:
                opened.append(await self._open(record))
        except TriggerError:
            await self.discard(opened)
            raise
        return opened

    def begin(self, observations: Sequence[Observation]) -> None:
        """Start turning events into runs, once the triggers' records are committed.

        A trigger already observed (registered while :meth:`start` was reading
        the stored ones, and so opened twice) keeps its first observation.
        """
        for observation in observations:
            if observation.trigger_id in self.observations:
                asyncio.get_running_loop().create_task(observation.source.close())
                continue
            self.observations[observation.trigger_id] = observation
            observation.start()

    async def discard(self, observations: Sequence[Observation]) -> None:
        """Close sources opened for triggers whose records could not be stored."""
        for observation in observations:
            await observation.source.close()

    def _ended(self, observation: Observation) -> None:
        if self.observations.get(observation.trigger_id) is observation:
            del self.observations[observation.trigger_id]

    # -- registering ---------------------------------------------------------------
    def check(self, specs: Sequence[TriggerSpec], dispatcher_addr: str | None = None) -> list[BaseTrigger]:
        """Build the triggers (refusing what this server cannot observe) before anything is stored."""
        if not self.enabled:
            raise TriggerError("triggers are disabled on this server (it was started with --no-triggers)", 412)
        if self.launcher is None and not dispatcher_addr:
            raise TriggerError(
                "this server runs triggers only (--triggers-only): register triggers with dispatcher_addr, "
                "the address of the server that holds the dispatch"
            )
        return [build_trigger(s.kind, s.config, s.policy) for s in specs]

    def records(
        self, dispatch_id: str, specs: Sequence[TriggerSpec], dispatcher_addr: str | None, created_at: float
    ) -> list[TriggerRecord]:
        """The records of new triggers of ``dispatch_id`` (to :meth:`open`, insert, then :meth:`begin`)."""
        self.check(specs, dispatcher_addr)
        return [
            TriggerRecord(
                trigger_id=str(uuid.uuid4()),
                dispatch_id=dispatch_id,
                kind=spec.kind,
                config=spec.config,
                policy=spec.policy,
                dispatcher_addr=dispatcher_addr,
                created_at=created_at,
            )
            for spec in specs
        ]

    async def register(
        self,
        dispatch_id: str,
        specs: Sequence[TriggerSpec],
        dispatcher_addr: str | None = None,
        *,
        created_at: float | None = None,
    ) -> list[TriggerRecord]:
        """Register triggers for an existing dispatch (here, or on ``dispatcher_addr``) and observe them."""
        records = self.records(dispatch_id, specs, dispatcher_addr, created_at or time.time())
        await self._check_dispatch(dispatch_id, dispatcher_addr)
        observations = await self.open(records)
        try:
            await self.writer.write(insert_triggers(records), small=True)
        except BaseException:
            await self.discard(observations)
            raise
        self.begin(observations)
        return records

    async def _check_dispatch(self, dispatch_id: str, dispatcher_addr: str | None) -> None:
        if dispatcher_addr:
            from covalent.client.connection import Connection
            from covalent.errors import CovalentError

            def ask() -> None:
                with Connection(dispatcher_addr, timeout=10) as conn:
                    conn.get_json(f"/dispatches/{dispatch_id}")

            try:
                await asyncio.to_thread(ask)
            except CovalentError as exc:
                raise TriggerError(
                    f"the dispatcher at {dispatcher_addr} has no dispatch {dispatch_id}: {exc}"
                ) from None
            return
        if await self._read(lambda conn: read_dispatch(conn, dispatch_id)) is None:
            raise TriggerError(f"no dispatch with id {dispatch_id}", 404)

    # -- stopping ------------------------------------------------------------------
    async def stop(self, *, dispatch_ids: Sequence[str] | None = None, trigger_ids: Sequence[str] | None = None) -> int:
        """Stop the given triggers (those still observing or failed); how many were stopped."""
        records = await self._read(
            lambda conn: read_triggers(
                conn, dispatch_ids=dispatch_ids, trigger_ids=trigger_ids, states=[OBSERVING, FAILED]
            )
        )
        if records:
            await self.writer.write(set_state(records, STOPPED), small=True)
        for record in records:
            observation = self.observations.get(record.trigger_id)
            if observation is not None:
                await observation.close()
        return len(records)

    async def forget(self, dispatch_ids: Sequence[str]) -> None:
        """Dispatches were deleted (their trigger records with them): stop observing their triggers."""
        wanted = set(dispatch_ids)
        for observation in list(self.observations.values()):
            if observation.record.dispatch_id in wanted:
                await observation.close(drain=False)

    async def close(self) -> None:
        """Server shutdown: stop observing without changing any record (observed again at the next start)."""
        await asyncio.gather(*(o.close(drain=False) for o in list(self.observations.values())), return_exceptions=True)

    # -- reading ---------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        state = {"on": "running", "off": "disabled", "only": "running"}[self.mode]
        return {
            "status": state,
            "mode": self.mode,
            "observing": len(self.observations),
            "kinds": available_triggers.names(),
        }

    async def list(self, dispatch_id: str | None = None) -> list[TriggerRecord]:
        return await self._read(lambda conn: read_triggers(conn, dispatch_ids=[dispatch_id] if dispatch_id else None))


@dataclass(frozen=True, slots=True)
class PublicTrigger:
    """A trigger as the API and a UI show it: its record, secrets in its configuration masked,
    and what it observes in words."""

    #: The record, its ``config`` masked.
    record: TriggerRecord
    description: str

    def as_json(self) -> dict[str, Any]:
        data = {k: v for k, v in self.record.__dict__.items() if k != "config"}
        return {**data, "config": self.record.config, "description": self.description}


def public_trigger(record: TriggerRecord) -> PublicTrigger:
    """A trigger as the API shows it (secrets in its configuration masked)."""
    try:
        trigger = build_trigger(record.kind, record.config, record.policy)
        config, description = trigger.public_config(), trigger.describe()
    except TriggerError:
        config, description = {}, record.kind
    return PublicTrigger(replace(record, config=config), description)


def public(record: TriggerRecord) -> dict[str, Any]:
    """A trigger's JSON as the API answers it (secrets in its configuration masked)."""
    return public_trigger(record).as_json()
