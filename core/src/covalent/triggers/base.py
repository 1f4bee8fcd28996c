"""``BaseTrigger``: what every trigger has (the dispatch it re-runs, its run policy), and Covalent's methods.

A trigger is configuration: :meth:`BaseTrigger.to_spec` is its JSON form,
which is what travels to the server (never a pickle), and the server builds
the same trigger again from it, for the kinds it knows
(:data:`covalent.triggers.trigger_loader.available_triggers`).  The server
then observes the trigger's :meth:`~BaseTrigger.source` and, for each event,
starts a run of the dispatch: the dispatch itself the first time if it was
registered without running, a redispatch of it after that.

Beyond Covalent, each trigger takes a run policy: ``max_concurrent`` runs at
once (None: no limit, Covalent's behaviour), and ``when_busy`` says what an
event does when that many are still going: ``"queue"`` (run when one ends)
or ``"skip"``; ``reuse_previous_results`` makes each redispatch reuse the
outputs of unchanged nodes.

``observe()``, ``stop()`` and ``trigger()`` work in a user's own process as
in Covalent: a custom trigger (a subclass with its own ``observe``) calls
``self.trigger()``, which starts or redispatches the workflow over HTTP.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from typing import Any

from covalent.triggers.source import EventSource

__all__ = ["WHEN_BUSY", "BaseTrigger", "TriggerConfigError"]

WHEN_BUSY = ("queue", "skip")


class TriggerConfigError(ValueError):
    """A trigger's configuration is not acceptable; the message names the field."""


def positive_number(name: str, value: Any, *, minimum: float = 0.0) -> float:
    """``value`` as a float of at least ``minimum`` (and above 0), or TriggerConfigError."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise TriggerConfigError(f"{name} must be a number of seconds, got {value!r}")
    if value <= 0 or value < minimum:
        raise TriggerConfigError(f"{name} must be at least {minimum or 'above 0'}, got {value!r}")
    return float(value)


def positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise TriggerConfigError(f"{name} must be a whole number of at least 1, got {value!r}")
    return value


class BaseTrigger:
    """A trigger: re-runs the dispatch ``lattice_dispatch_id`` on each event of its source."""

    #: Whether :meth:`observe` blocks until :meth:`stop` (Covalent's attribute).
    observe_blocks = True

    def __init__(
        self,
        lattice_dispatch_id: str | None = None,
        dispatcher_addr: str | None = None,
        triggers_server_addr: str | None = None,
        *,
        max_concurrent: int | None = None,
        when_busy: str = "queue",
        reuse_previous_results: bool = False,
    ) -> None:
        self.lattice_dispatch_id = lattice_dispatch_id
        self.dispatcher_addr = dispatcher_addr
        self.triggers_server_addr = triggers_server_addr
        self.max_concurrent = None if max_concurrent is None else positive_int("max_concurrent", max_concurrent)
        if when_busy not in WHEN_BUSY:
            raise TriggerConfigError(f"when_busy must be one of {', '.join(WHEN_BUSY)}, got {when_busy!r}")
        self.when_busy = when_busy
        self.reuse_previous_results = bool(reuse_previous_results)
        #: Covalent's attribute: runs this trigger started from this process.
        self.new_dispatch_ids: list[str] = []
        #: Covalent's attribute; here a trigger always reaches the dispatcher through its API.
        self.use_internal_funcs = True
        self._observing: tuple[asyncio.AbstractEventLoop, asyncio.Task[None]] | None = None

    # -- what travels to the server -------------------------------------------------
    @property
    def kind(self) -> str:
        return type(self).__name__

    def config(self) -> dict[str, Any]:
        """The arguments that make this trigger again (JSON values), without the common ones."""
        return {}

    def public_config(self) -> dict[str, Any]:
        """:meth:`config` as shown to people (secrets such as passwords masked)."""
        return self.config()

    def policy(self) -> dict[str, Any]:
        return {
            "max_concurrent": self.max_concurrent,
            "when_busy": self.when_busy,
            "reuse_previous_results": self.reuse_previous_results,
        }

    def to_spec(self) -> dict[str, Any]:
        """The JSON form the server registers: ``{"kind", "config", "policy"}``."""
        return {"kind": self.kind, "config": self.config(), "policy": self.policy()}

    @classmethod
    def from_spec(cls, config: dict[str, Any], policy: dict[str, Any] | None = None) -> BaseTrigger:
        """The trigger again from :meth:`to_spec`'s parts; TriggerConfigError if they are not acceptable."""
        try:
            return cls(**config, **(policy or {}))
        except TypeError as exc:
            raise TriggerConfigError(f"{cls.__name__}: {exc}") from None

    def to_dict(self) -> dict[str, Any]:
        """Covalent's dictionary form: the configuration, the addresses and ``name``."""
        return {
            **self.config(),
            **self.policy(),
            "lattice_dispatch_id": self.lattice_dispatch_id,
            "dispatcher_addr": self.dispatcher_addr,
            "triggers_server_addr": self.triggers_server_addr,
            "name": self.kind,
        }

    def describe(self) -> str:
        """One line for people (the dashboard, ``covalent status``)."""
        return self.kind

    def source(self, *, since: float) -> EventSource:
        """What to observe; ``since`` is when the trigger was registered (schedules count from it)."""
        raise NotImplementedError(
            f"{self.kind} has no event source the server can observe; observe it in your own process "
            "(override observe() and call self.trigger())"
        )

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_observing"] = None
        return state

    def __repr__(self) -> str:
        return f"<{self.describe()}>"

    # -- Covalent's methods, in the user's process --------------------------------
    def register(self) -> None:
        """Register this trigger for ``lattice_dispatch_id`` on the triggers server (the dispatcher by default)."""
        from covalent.client.triggers import register_triggers

        if not self.lattice_dispatch_id:
            raise RuntimeError("set lattice_dispatch_id (the dispatch to re-run) before register()")
        register_triggers(
            self.lattice_dispatch_id,
            [self.to_spec()],
            address=self.triggers_server_addr or self.dispatcher_addr,
            dispatcher_addr=self.dispatcher_addr if self.triggers_server_addr else None,
        )

    def trigger(self) -> None:
        """Run the dispatch now: start it if it was registered without running, else redispatch it."""
        from covalent.client.triggers import start_or_redispatch

        if not self.lattice_dispatch_id:
            raise RuntimeError(
                "`lattice_dispatch_id` is None. Please attach this trigger to a lattice before triggering."
            )
        run = start_or_redispatch(
            self.lattice_dispatch_id, self.dispatcher_addr, reuse_previous_results=self.reuse_previous_results
        )
        if run != self.lattice_dispatch_id:
            self.new_dispatch_ids.append(run)

    def observe(self) -> None:
        """Observe this trigger's source here, calling :meth:`trigger` on each event, until :meth:`stop`.

        Blocks when :attr:`observe_blocks` (else observes on a thread and
        returns once observing); a source that cannot observe raises
        :class:`~covalent.triggers.source.SourceGone` here.
        """
        if self._observing is not None:
            raise RuntimeError(f"{self.kind} is already observing")
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        failed: list[BaseException] = []

        def on_event(description: str) -> None:
            loop.run_in_executor(None, self.trigger)

        async def main() -> None:
            task = asyncio.current_task()
            assert task is not None
            source = self.source(since=time.time())
            try:
                await source.open(on_event)
                self._observing = (loop, task)
                ready.set()
                await source.run()
            except asyncio.CancelledError:
                pass
            finally:
                await source.close()

        def run() -> None:
            try:
                loop.run_until_complete(main())
            except BaseException as exc:
                failed.append(exc)
            finally:
                self._observing = None
                ready.set()
                loop.close()

        if self.observe_blocks:
            run()
        else:
            threading.Thread(target=run, name=f"covalent-{self.kind}", daemon=True).start()
            ready.wait()
        if failed:
            raise failed[0]

    def stop(self) -> None:
        """Stop observing in this process (``ct.stop_triggers`` stops triggers the server observes)."""
        observing = self._observing
        if observing is not None:
            loop, task = observing
            loop.call_soon_threadsafe(task.cancel)
