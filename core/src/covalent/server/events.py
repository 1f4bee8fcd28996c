"""In-process publish/subscribe of status changes, feeding the SSE stream.

Events are published only after the change they describe is committed, so
anything a client sees through the stream is already durable.  The events
are the store's typed ones (:mod:`covalent.server.store.events`); the bus
numbers each (:class:`Published`) and hands the objects on: JSON is made
only by whoever sends them over HTTP.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import AsyncIterator
from typing import Any, NamedTuple

from covalent.server.store.events import DispatchEvent, DispatchRegistered, Event
from covalent.status import TERMINAL

__all__ = ["EventBus", "Published", "Subscription", "ends"]

log = logging.getLogger(__name__)


def ends(event: Event, dispatch_id: str) -> bool:
    """Whether ``event`` says that ``dispatch_id`` has ended (not one of its sublattices)."""
    return (
        isinstance(event, DispatchEvent | DispatchRegistered)
        and event.dispatch_id == dispatch_id
        and event.status in TERMINAL
    )


class Published(NamedTuple):
    """An event as the bus delivered it: numbered in the order it was published (the SSE ``id``)."""

    id: int
    event: Event

    def as_json(self) -> dict[str, Any]:
        """The event's JSON with its number first, as the stream and ``/wait`` send it."""
        return {"id": self.id, **self.event.as_json()}


class _Subscriber:
    def __init__(self, dispatch_id: str | None, maxsize: int) -> None:
        self.dispatch_id = dispatch_id
        self.queue: asyncio.Queue[Published | None] = asyncio.Queue(maxsize)
        self.overflowed = False


class Subscription:
    """An open subscription; iterate it for events, close it when done."""

    def __init__(self, bus: EventBus, sub: _Subscriber) -> None:
        self._bus = bus
        self._sub = sub

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Published:
        published = await self._sub.queue.get()
        if published is None:
            raise StopAsyncIteration
        return published

    def close(self) -> None:
        self._bus._subscribers.discard(self._sub)

    async def end_of(self, dispatch_id: str, timeout: float) -> Published | None:
        """The final event of ``dispatch_id`` (its summary, a small output), or None after ``timeout`` seconds.

        None also when this subscriber fell behind or the bus closed (the caller
        reads the state then, or asks again).  Subscribe before the end can be
        published: it is not looked for in the past.
        """
        try:
            async with asyncio.timeout(timeout):
                async for published in self:
                    if ends(published.event, dispatch_id):
                        return published
        except TimeoutError:
            pass
        return None


class EventBus:
    def __init__(self, maxsize: int = 10_000) -> None:
        self._subscribers: set[_Subscriber] = set()
        self._maxsize = maxsize
        self._ids = itertools.count(1)

    def publish(self, event: Event) -> None:
        """Deliver ``event`` to matching subscribers (call from the event loop)."""
        published = Published(next(self._ids), event)
        for sub in list(self._subscribers):
            if sub.dispatch_id is not None and sub.dispatch_id not in (event.dispatch_id, event.root_dispatch_id):
                continue
            try:
                sub.queue.put_nowait(published)
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

    async def subscribe(self, dispatch_id: str | None = None) -> AsyncIterator[Published]:
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
