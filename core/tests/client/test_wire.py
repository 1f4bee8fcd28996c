"""covalent.client.wire: the SDK's plain requests on a kept-alive http.client connection.

Against a real listening socket that answers as scripted, so that each way a
kept connection can end (closed by the server while idle, reset before a
request reached it, closed after reading one without answering) happens on
purpose; the SDK's requests against the real server are in server/test_api.py.
"""

from __future__ import annotations

import os
import select
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from covalent.client import wire
from covalent.client.connection import Connection
from covalent.errors import DispatchNotFoundError, ServerError, ServerUnavailableError
from covalent.testing import wait_until


def answer(status: str, body: bytes) -> bytes:
    """An HTTP/1.1 answer with a JSON body."""
    return f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body


ANSWER = answer("200 OK", b'{"ok": true}')


@dataclass
class Seen:
    connection: int  # which accepted connection, from 0
    method: str
    target: str
    body: bytes


@dataclass
class ScriptedServer:
    """A listening socket that reads HTTP/1.1 requests and does what ``script(n)`` says to the n-th (from 0).

    ``"answer"`` (200 with a small JSON body, the connection kept), ``"drop"``
    (close without answering: the request was read), ``"reset"`` (answer,
    then reset the connection once ``release`` is set), or raw bytes to send
    as the answer.
    """

    script: Callable[[int], str | bytes] = lambda n: "answer"
    seen: list[Seen] = field(default_factory=list)
    sockets: list[socket.socket] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                index = len(self.sockets)
                self.sockets.append(sock)
            threading.Thread(target=self._serve, args=(sock, index), daemon=True).start()

    def _serve(self, sock: socket.socket, index: int) -> None:
        try:
            self._requests(sock, index)
        except OSError:  # closed by the client, or by close() at the end of a test
            pass

    def _requests(self, sock: socket.socket, index: int) -> None:
        buffer = b""
        with sock:
            while True:
                while b"\r\n\r\n" not in buffer:
                    chunk = sock.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                head, buffer = buffer.split(b"\r\n\r\n", 1)
                lines = head.decode().split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = dict(line.split(": ", 1) for line in lines[1:])
                length = int(headers.get("Content-Length", "0"))
                while len(buffer) < length:
                    buffer += sock.recv(65536)
                body, buffer = buffer[:length], buffer[length:]
                with self._lock:
                    n = len(self.seen)
                    self.seen.append(Seen(index, method, target, body))
                action = self.script(n)
                if action == "drop":
                    return
                sock.sendall(ANSWER if action in ("answer", "reset") else action)  # type: ignore[arg-type]
                if action == "reset":
                    self.release.wait(30)
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    return

    def close(self) -> None:
        self._listener.close()
        for sock in self.sockets:
            sock.close()


@pytest.fixture
def scripted() -> Iterator[Callable[..., ScriptedServer]]:
    servers: list[ScriptedServer] = []

    def make(script: Callable[[int], str | bytes] = lambda n: "answer") -> ScriptedServer:
        servers.append(ScriptedServer(script))
        return servers[-1]

    yield make
    for server in servers:
        server.close()


def _send(server: ScriptedServer, method: str = "GET", body: bytes | None = None) -> wire.Reply:
    return wire.send(server.address, method, "/api/v1/x", {"Host": "h"}, body=body, timeout=10)


def _kept_socket(server: ScriptedServer) -> socket.socket:
    conn = wire.kept_connection(server.address)
    assert conn is not None and conn.sock is not None
    return conn.sock


def _the_close_comes_after_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """The race: the server closes the kept socket after the client saw it open (its idle check passes)."""
    monkeypatch.setattr(wire._KeptConnection, "idle_and_open", lambda self: self.sock is not None)


def test_requests_share_one_kept_connection_and_go_out_whole(scripted):
    server = scripted()
    assert _send(server).json() == {"ok": True}
    assert _send(server, "POST", b'{"a": 1}').json() == {"ok": True}
    assert [(s.connection, s.method, s.body) for s in server.seen] == [(0, "GET", b""), (0, "POST", b'{"a": 1}')]


def test_a_connection_closed_while_idle_is_seen_and_opened_again(scripted):
    server = scripted(lambda n: "reset" if n == 0 else "answer")
    _send(server)
    sock = _kept_socket(server)
    server.release.set()
    wait_until(lambda: select.select([sock], [], [], 0)[0], timeout=10, what="the reset reaching the client")
    assert _send(server, "POST", b"dispatch").json() == {"ok": True}
    assert [(s.connection, s.method) for s in server.seen] == [(0, "GET"), (1, "POST")]


def test_a_post_refused_by_a_reset_socket_is_sent_once_on_a_new_connection(scripted, monkeypatch):
    server = scripted(lambda n: "reset" if n == 0 else "answer")
    _send(server)
    sock = _kept_socket(server)
    server.release.set()
    wait_until(lambda: select.select([sock], [], [], 0)[0], timeout=10, what="the reset reaching the client")
    _the_close_comes_after_the_check(monkeypatch)
    # The write fails on the reset socket: the server read nothing of it, so sending again is safe.
    assert _send(server, "POST", b"dispatch").json() == {"ok": True}
    assert [(s.connection, s.method, s.body) for s in server.seen] == [(0, "GET", b""), (1, "POST", b"dispatch")]


def test_a_post_the_server_read_and_left_unanswered_is_never_sent_again(scripted, monkeypatch):
    server = scripted(lambda n: "drop" if n == 1 else "answer")
    _send(server)
    _the_close_comes_after_the_check(monkeypatch)
    with pytest.raises(ConnectionError):
        _send(server, "POST", b"dispatch")
    assert [s.method for s in server.seen] == ["GET", "POST"]  # one dispatch, not two
    assert wire.kept_connection(server.address) is None  # dropped: the next request opens a new one
    assert _send(server).json() == {"ok": True}
    assert server.seen[-1].connection == 1


def test_a_get_left_unanswered_on_a_kept_connection_is_asked_again(scripted):
    server = scripted(lambda n: "drop" if n == 1 else "answer")
    _send(server)
    assert _send(server).json() == {"ok": True}
    assert [(s.connection, s.method) for s in server.seen] == [(0, "GET"), (0, "GET"), (1, "GET")]


def test_a_request_on_a_new_connection_is_not_sent_again(scripted):
    server = scripted(lambda n: "drop")
    with pytest.raises(ConnectionError):
        _send(server)
    assert len(server.seen) == 1


def test_each_thread_keeps_its_own_connection(scripted):
    server = scripted()
    kept: dict[str, object] = {}

    def two_requests(name: str) -> None:
        _send(server)
        _send(server)
        kept[name] = wire.kept_connection(server.address)

    threads = [threading.Thread(target=two_requests, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert kept["a"] is not None and kept["b"] is not None and kept["a"] is not kept["b"]
    by_connection: dict[int, int] = {}
    for s in server.seen:
        by_connection[s.connection] = by_connection.get(s.connection, 0) + 1
    assert sorted(by_connection.values()) == [2, 2]  # two connections, each kept for its thread's two requests
    assert wire.kept_connection(server.address) is None  # this thread has none yet


def test_a_forked_child_opens_its_own_connection_and_leaves_the_parents(scripted):
    server = scripted()
    _send(server)
    parent_sock = _kept_socket(server)
    pid = os.fork()
    if pid == 0:  # the child: a request of its own, on a connection of its own
        try:
            code = 0 if _send(server).json() == {"ok": True} and _kept_socket(server) is not parent_sock else 1
        except BaseException:
            code = 2
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert _send(server).json() == {"ok": True}
    assert _kept_socket(server) is parent_sock  # the parent's connection survived the child
    assert [s.connection for s in server.seen] == [0, 1, 0]


def test_https_and_proxied_addresses_are_left_to_httpx(monkeypatch):
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert wire.takes("http://127.0.0.1:48008")
    assert not wire.takes("https://127.0.0.1:48008")
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example:3128")
    assert not wire.takes("http://server.example:48008")
    monkeypatch.setenv("NO_PROXY", "server.example")
    assert wire.takes("http://server.example:48008")


def test_a_connection_through_a_proxy_sends_its_requests_to_the_proxy(scripted, monkeypatch):
    proxy = scripted()
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", proxy.address)
    assert Connection("http://server.example:48008").get_json("/health") == {"ok": True}
    # httpx, honouring the proxy, asked it for the absolute address.
    assert [(s.method, s.target) for s in proxy.seen] == [("GET", "http://server.example:48008/api/v1/health")]


def _both_paths(address: str) -> list[Connection]:
    direct, through_httpx = Connection(address, timeout=2), Connection(address, timeout=2)
    through_httpx._direct = False
    assert direct._direct
    return [direct, through_httpx]


def test_errors_are_the_same_on_both_paths(scripted):
    not_found = answer("404 Not Found", b'{"detail": "no id"}')
    refused = answer("422 Unprocessable Content", b'{"detail": "x"}')
    garbage = b"this is not HTTP\r\n\r\n"
    answers = [not_found, refused, garbage]
    server = scripted(lambda n: answers[n % 3])
    for conn in _both_paths(server.address):
        with pytest.raises(DispatchNotFoundError, match="404: no id"):
            conn.get_json("/dispatches/x")
        with pytest.raises(ServerError, match="422: x") as info:
            conn.request("POST", "/dispatches", json={"a": 1})
        assert info.value.status_code == 422
        with pytest.raises(ServerUnavailableError):
            conn.get_json("/health")
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    for conn in _both_paths(f"http://127.0.0.1:{port}"):  # nothing listens there
        with pytest.raises(ServerUnavailableError):
            conn.get_json("/health")


def test_a_server_that_does_not_answer_in_time_raises_httpx_timeout_on_both_paths(scripted):
    never = threading.Event()
    server = scripted(lambda n: never.wait(30) and "answer")
    try:
        for conn in _both_paths(server.address):
            with pytest.raises(httpx.TimeoutException):
                conn.get_json("/health", timeout=0.5)
    finally:
        never.set()


def test_a_small_multipart_body_is_httpx_s_own_encoding(scripted):
    server = scripted()
    parts = [
        ("manifest", ("manifest.json", b'{"graph": []}', "application/json")),
        ("blobs", ("blobs.bin", bytes(range(256)), "application/octet-stream")),
    ]
    conn = Connection(server.address)
    conn.request("POST", "/dispatches", files=parts)
    sent = server.seen[-1].body
    assert b'name="manifest"; filename="manifest.json"' in sent and bytes(range(256)) in sent
    # The same parts through httpx's encoder give the same body, boundary aside.
    reference = httpx.Request("POST", "http://x/", files=parts)
    boundary = reference.headers["Content-Type"].split("boundary=")[1].encode()
    theirs = sent.split(b"\r\n", 1)[0][2:]
    assert sent.replace(theirs, boundary) == reference.read()
