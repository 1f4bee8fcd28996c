"""Executor instances shared by every dispatch in the server, set up once each."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from covalent.config import mask_secrets
from covalent.executor.jobs import JobExecutor
from covalent.executor.registry import build_executor, default_executor_name

__all__ = ["ExecutorInstances", "SpecKeys", "spec_key"]

log = logging.getLogger(__name__)


def spec_key(spec: dict[str, Any] | None) -> str:
    return json.dumps(spec or None, sort_keys=True)


class SpecKeys:
    """:func:`spec_key` of each spec object, worked out once (a run asks it per node, and the nodes of a
    shape share one spec object: a map's thousand tasks, one key).

    Each spec is kept with its key, so its ``id`` is never another object's while it is here; keep an
    instance only as long as the specs it sees (a run's).
    """

    def __init__(self) -> None:
        self._keys: dict[int, tuple[Any, str]] = {}

    def __call__(self, spec: Any) -> str:
        found = self._keys.get(id(spec))
        if found is None or found[0] is not spec:
            found = self._keys[id(spec)] = (spec, spec_key(spec))
        return found[1]


class ExecutorInstances:
    """Builds each distinct executor configuration once and runs its ``setup()`` once."""

    def __init__(self, overrides: dict[str, dict[str, Any]] | None = None) -> None:
        #: Options for every executor of a kind (by short name), under an electron's own.
        self._overrides = {name: dict(kwargs) for name, kwargs in (overrides or {}).items() if kwargs}
        self._instances: dict[str, JobExecutor] = {}
        self._ready: dict[str, asyncio.Task[None]] = {}
        self._default: str | None = None

    def _normalise(self, spec: dict[str, Any] | None) -> dict[str, Any]:
        spec = dict(spec or {})
        if not spec.get("name"):
            if self._default is None:  # read once: settings are fixed while the server runs
                self._default = default_executor_name()
            spec["name"] = self._default
        spec["kwargs"] = {**self._overrides.get(spec["name"], {}), **(spec.get("kwargs") or {})}
        return spec

    async def get(self, spec: dict[str, Any] | None) -> JobExecutor:
        """The set-up executor for ``spec`` (None: the default executor)."""
        full = self._normalise(spec)
        key = spec_key(full)
        if key not in self._instances:
            self._instances[key] = build_executor(full)
        executor = self._instances[key]
        if key not in self._ready:
            self._ready[key] = asyncio.get_running_loop().create_task(executor.setup())
        task = self._ready[key]
        try:
            await asyncio.shield(task)
        except Exception:
            # Let the next use try again rather than failing forever.
            self._ready.pop(key, None)
            self._instances.pop(key, None)
            raise
        return executor

    def warm_up(self, spec: dict[str, Any] | None = None) -> None:
        """Start setting up an executor in the background (e.g. the default at start-up)."""

        async def go() -> None:
            try:
                await self.get(spec)
            except Exception as exc:
                log.warning("executor %s could not be set up: %s", (spec or {}).get("name", "default"), exc)

        asyncio.get_running_loop().create_task(go())

    def describe(self) -> list[dict[str, Any]]:
        out = []
        for key, executor in self._instances.items():
            task = self._ready.get(key)
            state = "ready" if task and task.done() and not task.exception() else "starting"
            if task and task.done() and task.exception():
                state = f"failed: {task.exception()}"
            try:
                details = executor.describe()
            except Exception as exc:  # describe is informational only
                details = {"error": str(exc)}
            entry = {"name": executor.short_name, "config": json.loads(key), "state": state, **details}
            out.append(mask_secrets(entry))  # shown by covalent status and the dashboard: no credentials
        return out

    async def teardown(self) -> None:
        for key, executor in list(self._instances.items()):
            task = self._ready.get(key)
            if task is None or not task.done() or task.exception():
                if task is not None:
                    task.cancel()
                continue
            try:
                await asyncio.wait_for(executor.teardown(), timeout=30)
            except Exception as exc:
                log.warning("teardown of %s failed: %s", executor.short_name, exc)
        self._instances.clear()
        self._ready.clear()
