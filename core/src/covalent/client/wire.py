"""The SDK's plain requests, on a kept-alive connection of the standard library's ``http.client``.

A small dispatch, a wait, a redispatch is one request with a small body and a
small JSON answer.  httpx's client spends most of its CPU on layers such a
request does not use (merging the URL with the base, the cookie jar on the way
out and in, the auth and redirect flows, event hooks, httpcore's pool and
h11's state machine): GET ``/health`` against this server, 325-338 us of the
client's CPU per request with ``httpx.Client.request``, 83-85 us with
``http.client``, and a one-electron round trip or a full-reuse redispatch is
about one request.  So the SDK sends such requests here, and keeps httpx for
what needs it: event streams, uploads too large to send in one piece, and any
address this module does not take (:func:`takes`: HTTPS, or a proxy the
environment names, which httpx honours).

Each thread keeps one connection per server (``http.client`` connections are
not shared between threads), opened again in a child process after a fork
and whenever the server closed it while it was idle (its keep-alive timeout):
a kept socket that is readable between two requests has been closed or sent
something unasked, and is not used again.  A request's head and body go out
in one write (with ``TCP_NODELAY``): two writes would wake the server twice,
and behind Nagle's algorithm the second could wait for the first one's ACK.
"""

from __future__ import annotations

import functools
import http.client
import json
import os
import select
import socket
import threading
import urllib.request
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

__all__ = ["IDEMPOTENT", "PROXY_NAMES", "Reply", "kept_connection", "send", "takes"]


@dataclass(frozen=True)
class Reply:
    """A server's answer, read whole: what the SDK reads of it (httpx's names)."""

    status_code: int
    content: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def read(self) -> bytes:
        return self.content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.content)


#: The environment's names that decide whether ``urllib`` (and httpx) send a request through a proxy.
PROXY_NAMES = ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY", "REQUEST_METHOD")


def takes(address: str) -> bool:
    """Whether ``address`` (``http://host:port``) is reached directly over plain HTTP (else: httpx).

    Decided by ``urllib``'s reading of the environment, once for each value of
    the :data:`PROXY_NAMES` it reads (reading the whole environment again was
    36 us of the client's CPU for each request; a proxy variable spelt in
    mixed case and changed later in the process is not seen).
    """
    environ = os.environ
    return _takes(address, tuple(environ.get(name) for name in PROXY_NAMES))


@functools.lru_cache(maxsize=64)
def _takes(address: str, environment: tuple[str | None, ...]) -> bool:
    parts = urlsplit(address)
    if parts.scheme != "http" or not parts.hostname:
        return False
    proxies = urllib.request.getproxies_environment()
    if not (proxies.get("http") or proxies.get("all")):
        return True
    return bool(urllib.request.proxy_bypass(parts.hostname))


class _KeptConnection(http.client.HTTPConnection):
    """An ``http.client`` connection that sends a request's head with its body, without Nagle's delay."""

    _head: bytes | None = None
    #: Set just before a request with a body: its head is kept for the body's write.
    join_next = False

    def connect(self) -> None:
        super().connect()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def send(self, data: Any) -> None:
        if self.join_next:  # the head: http.client sends the body right after it
            self.join_next = False
            self._head = bytes(data)
            return
        if self._head is not None:
            data, self._head = self._head + bytes(data), None
        super().send(data)

    def idle_and_open(self) -> bool:
        """Whether the kept socket can take a request (not closed by the server meanwhile)."""
        if self.sock is None:
            return False
        try:
            readable, _, _ = select.select([self.sock], [], [], 0)
        except (OSError, ValueError):
            return False
        return not readable


class _Kept(threading.local):
    def __init__(self) -> None:
        self.pid = os.getpid()
        self.connections: dict[str, _KeptConnection] = {}


_kept = _Kept()


def kept_connection(address: str) -> http.client.HTTPConnection | None:
    """The connection this thread keeps to ``address`` (None before its first request there)."""
    return _kept.connections.get(address) if _kept.pid == os.getpid() else None


def _connection(address: str, timeout: float) -> tuple[_KeptConnection, bool]:
    """This thread's connection to ``address``, and whether it is a new one (not connected yet)."""
    if _kept.pid != os.getpid():  # a forked child: the parent's sockets are not this process's to use
        _kept.pid, _kept.connections = os.getpid(), {}
    conn = _kept.connections.get(address)
    if conn is not None and conn.idle_and_open():
        conn.timeout = timeout
        assert conn.sock is not None
        conn.sock.settimeout(timeout)
        return conn, False
    if conn is not None:
        conn.close()
    parts = urlsplit(address)
    conn = _KeptConnection(parts.hostname or "", parts.port or 80, timeout=timeout)
    _kept.connections[address] = conn
    return conn, True


#: Methods sent again when a kept connection drops them unanswered: asking twice changes nothing.
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS"})


class _Unsent(Exception):
    """The kept socket refused the request's write: the server closed it before, so it never saw the request."""


def send(
    address: str,
    method: str,
    target: str,
    headers: dict[str, str],
    *,
    params: dict[str, Any] | None = None,
    body: bytes | None = None,
    timeout: float,
) -> Reply:
    """One request to ``address`` (``target``: the path) on this thread's kept connection.

    A kept connection can be closed by the server (its keep-alive timeout)
    after :func:`_connection` saw it open and before the request reached it.
    Then the request is sent once more on a new connection only when that is
    known to be harmless: its write failed (the server had reset the socket,
    so no byte of it was read), or it is :data:`IDEMPOTENT` and the socket
    closed with no byte of an answer.  A ``POST`` that was written is never
    sent again: the server may have read it (a second dispatch).

    Raises ``ConnectionError`` (refused, reset, closed before the answer),
    ``TimeoutError`` or ``http.client.HTTPException`` (an answer that is not
    HTTP); the connection is dropped after any failure in the middle of a
    request.
    """
    if params:
        target += "?" + urlencode({k: _query_value(v) for k, v in params.items()}, doseq=True)
    conn, new = _connection(address, timeout)
    try:
        return _exchange(conn, address, new, method, target, headers, body)
    except _Unsent as exc:
        if new:
            raise ConnectionResetError(f"{address} closed the connection: {exc.__cause__}") from exc.__cause__
    except (http.client.RemoteDisconnected, ConnectionResetError):
        if new or method not in IDEMPOTENT:
            raise
    conn, new = _connection(address, timeout)
    try:
        return _exchange(conn, address, new, method, target, headers, body)
    except _Unsent as exc:
        raise ConnectionResetError(f"{address} closed the connection: {exc.__cause__}") from exc.__cause__


def _exchange(
    conn: _KeptConnection,
    address: str,
    new: bool,
    method: str,
    target: str,
    headers: dict[str, str],
    body: bytes | None,
) -> Reply:
    try:
        if new:
            try:
                conn.connect()
            except OSError as exc:
                raise ConnectionRefusedError(f"cannot connect to {address}: {exc}") from exc
        conn.join_next = bool(body)
        try:
            conn.request(method, target, body=body, headers=headers)
        except (BrokenPipeError, ConnectionResetError) as exc:
            raise _Unsent() from exc
        response = conn.getresponse()
        content = response.read()
    except BaseException:
        conn.close()
        _kept.connections.pop(address, None)
        raise
    finally:
        conn.join_next = False
    if response.will_close:
        conn.close()
    return Reply(response.status, content, {k.lower(): v for k, v in response.getheaders()})


def _query_value(value: Any) -> Any:
    """A query value as httpx writes it: booleans as ``true``/``false``, None as empty."""
    if isinstance(value, list | tuple):
        return [_query_value(v) for v in value]
    if value is True or value is False:
        return "true" if value else "false"
    return "" if value is None else value
