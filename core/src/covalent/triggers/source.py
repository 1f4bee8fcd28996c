"""What a trigger observes: an event source that calls ``emit`` for each event.

The same source runs in the server (which observes registered triggers) and
in a user's own process (``trigger.observe()``): :meth:`EventSource.open`
sets it up (a folder is watched from the moment it returns, so nothing that
happens after the trigger is registered is missed), :meth:`EventSource.run`
observes until cancelled and :meth:`EventSource.close` releases it.  A source
that cannot observe (its folder does not exist or was removed, its database
cannot be read) raises :class:`SourceGone` with the reason: at registration
the request is refused with it, later the trigger is shown as failed.
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
    emit: Emit

    async def open(self, emit: Emit) -> None:
        """Start observing; events go to ``emit`` from now on.  Raises :class:`SourceGone` if it cannot."""
        self.emit = emit

    @abstractmethod
    async def run(self) -> None:
        """Observe until cancelled; raise :class:`SourceGone` when what is observed is gone."""

    async def close(self) -> None:  # noqa: B027 - most sources hold nothing to release
        """Stop observing and release what :meth:`open` took."""
