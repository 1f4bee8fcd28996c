"""Slow or greedy clients cannot hold the server: header and body read timeouts, connections per client.

Real sockets against a real server whose bounds are set small; each test
fails on a server without them (the connections stay open for good).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from covalent.testing import ServerProcess

BOUNDS = "[server]\nheader_timeout = 1\nbody_timeout = 1\nmax_connections_per_client = 6\n"


@pytest.fixture(scope="module")
def bounded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with ServerProcess(tmp_path_factory.mktemp("bounded"), config=BOUNDS) as server:
        yield server


def _connect(server: ServerProcess) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    return sock


def _closed_by_server(sock: socket.socket, within: float = 10) -> bytes:
    """What the server sent before closing the connection (raises socket.timeout if it never closes)."""
    sock.settimeout(within)
    received = b""
    while chunk := sock.recv(4096):
        received += chunk
    return received


def test_headers_that_never_finish_get_408_and_the_connection_is_closed(bounded):
    with _connect(bounded) as sock:
        sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        assert _closed_by_server(sock).startswith(b"HTTP/1.1 408")
    with _connect(bounded) as idle:  # one that sends nothing at all
        assert _closed_by_server(idle).startswith(b"HTTP/1.1 408")


def test_a_body_that_stops_coming_gets_408_and_nothing_is_registered(bounded):
    before = httpx.get(f"{bounded.address}/api/v1/dispatches?limit=1").json()["total"]
    with _connect(bounded) as sock:
        sock.sendall(
            b"POST /api/v1/dispatches HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Covalent-Client: tests\r\n"
            b"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000\r\n\r\n--b\r\n"
        )
        answer = _closed_by_server(sock)
    assert answer == b"" or answer.startswith(b"HTTP/1.1 4"), answer[:200]
    assert httpx.get(f"{bounded.address}/api/v1/dispatches?limit=1").json()["total"] == before


def test_a_kept_alive_connection_still_serves_requests_then_times_out_when_idle(bounded):
    with httpx.Client(base_url=bounded.address) as client:
        for _ in range(3):
            assert client.get("/api/v1/health").status_code == 200
            time.sleep(0.3)


def test_one_client_holds_a_bounded_number_of_connections(bounded):
    hogs = [_connect(bounded) for _ in range(6)]
    try:
        for hog in hogs:
            hog.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # never finished
        time.sleep(0.2)
        with _connect(bounded) as extra:
            assert _closed_by_server(extra, within=5) == b""  # closed as it opened, nothing read
    finally:
        for hog in hogs:
            hog.close()
    # Once they are gone the client is served again.
    deadline = time.monotonic() + 10
    while True:
        try:
            if httpx.get(f"{bounded.address}/api/v1/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "the server never served the client again"
        time.sleep(0.1)


def test_a_small_response_goes_out_in_one_write_a_large_one_at_once_and_in_order():
    import asyncio

    from covalent.server.connections import COALESCE_BYTES, _Coalescing

    class Recording(asyncio.Transport):
        """A transport that keeps what it is given to send."""

        def __init__(self) -> None:
            super().__init__()
            self.sent: list[bytes] = []
            self.closed = False

        def write(self, data: bytes) -> None:
            self.sent.append(bytes(data))

        def is_closing(self) -> bool:
            return self.closed

        def close(self) -> None:
            self.closed = True

    async def respond() -> None:
        real = Recording()
        transport = _Coalescing(real, asyncio.get_running_loop())
        transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\n")
        transport.write(b"body")
        assert real.sent == []  # kept until this step of the loop ends
        await asyncio.sleep(0)
        assert real.sent == [b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nbody"]
        big = b"x" * (COALESCE_BYTES + 1)
        transport.write(b"head")
        transport.write(big)  # at once, after what was kept, never copied into it
        assert real.sent[1:] == [b"head", big] and real.sent[2] is big
        transport.write(b"tail")
        transport.close()  # what is kept goes before the close
        assert real.sent[-1] == b"tail" and real.closed and transport.is_closing()

    asyncio.run(respond())
