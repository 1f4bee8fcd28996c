"""In-process publish/subscribe of status changes, feeding the SSE stream.

Events are published only after the change they describe is committed, so
anything a client sees through the stream is already durable.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any

__all__ = ["EventBus", "Subscription", "dispatch_event", "dispatch_summary", "encode_output"]

log = logging.getLogger(__name__)


def encode_output(data: bytes | None) -> str | None:
    """A small output as it rides in an event (base64), or None."""
    return base64.b64encode(data).decode() if data is not None else None


def dispatch_summary(record: Mapping[str, Any], node_counts: dict[str, int]) -> dict[str, Any]:
    """A dispatch's summary, as ``GET /dispatches/{id}`` answers it: its record's JSON and its task counts."""
    return {**record, "node_counts": node_counts}


def dispatch_event(
    dispatch_id: str,
    root_dispatch_id: str,
    status: str,
    completed: int,
    total: int,
    *,
    summary: dict[str, Any] | None = None,
    output: str | None = None,
    snapshot: bool = False,
    name: str | None = None,
) -> dict[str, Any]:
    """The one shape of a dispatch's event: its status and progress.

    A final event carries the dispatch's ``summary`` (what ``GET /dispatches/{id}``
    answers, with ``node_counts``) and a small ``output`` (base64), so a waiting
    client reads no more after it.  ``snapshot``: the first event of a stream,
    read from the state rather than announcing a change.
    """
    event: dict[str, Any] = {"kind": "dispatch"}
    if snapshot:
        event["snapshot"] = True
    event.update(dispatch_id=dispatch_id, root_dispatch_id=root_dispatch_id, status=status)
    if name is not None:
        event["name"] = name
    event.update(completed=completed, total=total)
    if summary is not None:
        event["summary"] = summary
    if output is not None:
        event["output"] = output
    return event


class _Subscriber:
    def __init__(self, dispatch_id: str | None, maxsize: int) -> None:
        self.dispatch_id = dispatch_id
        self.queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(maxsize)
        self.overflowed = False


class Subscription:
    """An open subscription; iterate it for events, close it when done."""

    def __init__(self, bus: EventBus, sub: _Subscriber) -> None:
        self._bus = bus
        self._sub = sub

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> dict[str, Any]:
        event = await self._sub.queue.get()
        if event is None:
            raise StopAsyncIteration
        return event

    def close(self) -> None:
        self._bus._subscribers.discard(self._sub)

    async def end_of(self, dispatch_id: str, timeout: float) -> dict[str, Any] | None:
        """The final event of ``dispatch_id`` (its summary, a small output), or None after ``timeout`` seconds.

        None also when this subscriber fell behind or the bus closed (the caller
        reads the state then, or asks again).  Subscribe before the end can be
        published: it is not looked for in the past.
        """
        from covalent.status import TERMINAL

        try:
            async with asyncio.timeout(timeout):
                async for event in self:
                    if (
                        event.get("kind") == "dispatch"
                        and event.get("dispatch_id") == dispatch_id
                        and event.get("status") in TERMINAL
                    ):
                        return event
        except TimeoutError:
            pass
        return None


class EventBus:
    def __init__(self, maxsize: int = 10_000) -> None:
        self._subscribers: set[_Subscriber] = set()
        self._maxsize = maxsize
        self._ids = itertools.count(1)

    def publish(self, event: dict[str, Any]) -> None:
        """Deliver ``event`` to matching subscribers (call from the event loop)."""
        event = {"id": next(self._ids), **event}
        for sub in list(self._subscribers):
            if sub.dispatch_id is not None and sub.dispatch_id not in (
                event.get("dispatch_id"),
                event.get("root_dispatch_id"),
            ):
                continue
            try:
                sub.queue.put_nowait(event)
            except asyncio.QueueFull:
                # A reader that fell this far behind reconnects and re-reads the state.
                sub.overflowed = True
                self._subscribers.discard(sub)
                sub.queue = asyncio.Queue(1)
                sub.queue.put_nowait(None)

    def open(self, dispatch_id: str | None = None) -> Subscription:
        """Start receiving events now (before reading any snapshot, so none is missed)."""
        sub = _Subscriber(dispatch_id, self._maxsize)
        self._subscribers.add(sub)
        return Subscription(self, sub)

    async def subscribe(self, dispatch_id: str | None = None) -> AsyncIterator[dict[str, Any]]:
        subscription = self.open(dispatch_id)
        try:
            async for event in subscription:
                yield event
        finally:
            subscription.close()

    def close(self) -> None:
        for sub in list(self._subscribers):
            try:
                sub.queue.put_nowait(None)
            except asyncio.QueueFull:
                pass
        self._subscribers.clear()

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)
