"""What a trigger observes: an event source that calls ``emit`` for each event.

The same source runs in the server (which observes registered triggers) and
in a user's own process (``trigger.observe()``).  A source that can no longer
observe (its folder was removed, its database cannot be read) raises
:class:`SourceGone` with the reason; the trigger is then shown as failed.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable

__all__ = ["Emit", "EventSource", "SourceGone"]

#: Called once per event, on the event loop, with a short description of it.
Emit = Callable[[str], None]


class SourceGone(Exception):
    """What the trigger observes is gone or unreachable; the message is the reason shown."""


class EventSource(ABC):
    @abstractmethod
    async def run(self, emit: Emit) -> None:
        """Observe until cancelled, calling ``emit`` for each event; raise :class:`SourceGone` if it cannot."""
