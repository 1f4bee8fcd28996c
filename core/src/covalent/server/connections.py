"""Slow or greedy clients cannot hold the server: read timeouts for requests, and connections per client.

uvicorn has neither: its keep-alive timeout runs only between two requests,
so a client that opens connections and sends nothing, or sends a request's
headers or body a byte at a time, holds them for as long as it likes.
:func:`guarded_http` gives uvicorn's httptools protocol (what it uses here)
three bounds, passed as ``uvicorn.run(http=...)``, uvicorn's way to choose
the HTTP protocol class:

* a request's headers must arrive within ``header_timeout`` seconds of the
  connection opening (or of the previous request ending on a kept-alive one);
* its body may pause at most ``body_timeout`` seconds between two parts;
* one client address holds at most ``max_connections_per_client``
  connections at once (more are closed as they open).

The bounds are settings (:class:`covalent.limits.Limits`).  The protocol also
sends a small response's headers and body in one write (:class:`_Coalescing`).

A request that times out gets ``408 Request Timeout`` and its connection is
closed; an application still reading its body sees the client disconnect.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from typing import ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from covalent.limits import Limits

__all__ = ["guarded_http"]

log = logging.getLogger("covalent.server")

_TIMED_OUT = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


#: Writes up to this size wait for the end of the event loop's step to go out with the others.
COALESCE_BYTES = 64 * 1024


class _Coalescing:
    """A connection's transport that sends what one step of the event loop writes in one piece.

    uvicorn writes a response's headers and its body apart, and each write is a
    send that may wake the client only to read half a response (on a busy
    machine a wake-up costs about a millisecond).  Small writes are kept until
    the step ends (``call_soon``) and sent together; a large one goes at once,
    after what is kept, so nothing is copied or reordered.
    """

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._kept: list[bytes] = []
        self._size = 0

    def write(self, data: bytes) -> None:
        if self._size + len(data) > COALESCE_BYTES:
            self._flush()
            self._transport.write(data)
            return
        if not self._kept:
            self._loop.call_soon(self._flush)
        self._kept.append(bytes(data))
        self._size += len(data)

    def _flush(self) -> None:
        if not self._kept:
            return
        data = b"".join(self._kept) if len(self._kept) > 1 else self._kept[0]
        self._kept.clear()
        self._size = 0
        if not self._transport.is_closing():
            self._transport.write(data)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def __getattr__(self, name: str) -> object:
        return getattr(self._transport, name)


class _Guarded(HttpToolsProtocol):
    limits: ClassVar[Limits]
    #: Open connections by client address (one event loop: no lock needed).
    open_by_client: ClassVar[Counter[str]]
    #: When a client was last told it has too many connections (the log says so once a minute).
    warned: ClassVar[dict[str, float]]

    _timer: asyncio.TimerHandle | None = None
    _counted: str | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.transport = _Coalescing(transport, self.loop)  # type: ignore[assignment]
        host = self.client[0] if self.client else ""
        if self.open_by_client[host] >= self.limits.max_connections_per_client:
            now = time.monotonic()
            if now - self.warned.get(host, 0.0) > 60:
                self.warned[host] = now
                log.warning("%s holds %d connections already; closing its new ones", host, self.open_by_client[host])
            transport.close()
            return
        self.open_by_client[host] += 1
        self._counted = host
        self._arm(self.limits.header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self._counted is not None:
            self.open_by_client[self._counted] -= 1
            if self.open_by_client[self._counted] <= 0:
                del self.open_by_client[self._counted]
            self._counted = None
        super().connection_lost(exc)

    # -- the request's progress (httptools callbacks) --------------------------------
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm(self.limits.header_timeout)

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._arm(self.limits.body_timeout)

    def on_body(self, body: bytes) -> None:
        super().on_body(body)
        self._arm(self.limits.body_timeout)

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._disarm()

    # -- the timer -----------------------------------------------------------------------
    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._timer = self.loop.call_later(seconds, self._timed_out)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _timed_out(self) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        if self.cycle is None or not self.cycle.response_started:
            self.transport.write(_TIMED_OUT)
        self.transport.close()


def guarded_http(limits: Limits) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol with ``limits`` (a class of its own per server)."""
    return type(
        "GuardedHttpTools",
        (_Guarded,),
        {"limits": limits, "open_by_client": Counter(), "warned": {}, "__module__": __name__},
    )
