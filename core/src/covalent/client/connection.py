"""HTTP access to the server (httpx), with errors that say what to do."""

from __future__ import annotations

import http.client
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from covalent import config
from covalent._version import __version__
from covalent.client import wire
from covalent.client.wire import Reply
from covalent.errors import DispatchNotFoundError, ServerError, ServerUnavailableError

__all__ = ["API", "Connection", "read_token", "server_address"]

API = "/api/v1"
#: A multipart body up to this size is sent in one piece (see :meth:`Connection.request`).
ONE_PIECE_BYTES = 1 << 20


def server_address(address: str | None = None) -> str:
    """The server's address as a :class:`Connection` names it: ``address`` or the configured one, with its scheme."""
    found = (address or config.dispatcher_address()).rstrip("/")
    return found if "://" in found else f"http://{found}"


def read_token() -> str:
    """The access token: ``COVALENT_TOKEN``, else the file the server wrote.

    The file's text is kept with its identity (inode, time and size), and read
    again only when that changes (the server writes a new one by renaming it
    into place): every request asks, and opening a file that is not there
    twice per round trip was 13 us of the client's CPU; a ``stat`` is 1 us.
    """
    token = os.environ.get("COVALENT_TOKEN", "").strip()
    if token:
        return token
    path = config.config_dir() / "token"
    try:
        found = os.stat(path)
    except OSError:
        return ""
    identity = (found.st_ino, found.st_mtime_ns, found.st_size)
    kept = _tokens.get(path)
    if kept is not None and kept[0] == identity:
        return kept[1]
    try:
        token = path.read_text().strip()
    except OSError:
        return ""
    _tokens[path] = (identity, token)
    return token


_tokens: dict[Path, tuple[tuple[int, int, int], str]] = {}

_clients: dict[tuple[str, str, int], httpx.Client] = {}
_clients_lock = threading.Lock()


def _headers(token: str) -> dict[str, str]:
    headers = {config.CLIENT_HEADER: f"covalent-sdk/{__version__}"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def _shared_client(address: str, token: str, pid: int) -> httpx.Client:
    """One pooled client per server, token and process: no new TCP or TLS set-up per call."""
    key = (address, token, pid)
    with _clients_lock:
        client = _clients.get(key)
        if client is None or client.is_closed:
            client = httpx.Client(base_url=address, headers=_headers(token), timeout=60.0)
            _clients[key] = client
        return client


class Connection:
    """One server address; methods raise covalent errors, never raw httpx ones."""

    def __init__(self, address: str | None = None, timeout: float = 60.0) -> None:
        self.address = server_address(address)
        self.timeout = timeout
        token = read_token()
        self._headers = _headers(token)
        self._direct = wire.takes(self.address)
        self._client = _shared_client(self.address, token, os.getpid())

    def close(self) -> None:
        """Connections share a pooled client; nothing to release per connection."""

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _unavailable(self, exc: Exception) -> ServerUnavailableError:
        return ServerUnavailableError(
            f"no Covalent server answers at {self.address} ({type(exc).__name__}). "
            "Start one with `covalent start`, or set COVALENT_DISPATCHER_ADDR to the "
            "address of a running server."
        )

    def request(self, method: str, path: str, **kwargs: Any) -> Reply:
        """``method`` on ``path`` under the API, read whole; raises covalent errors.

        A request whose body is small (``json=``, ``files=`` of bytes up to
        :data:`ONE_PIECE_BYTES`, ``content=`` bytes up to that with only
        ``headers={"Content-Type": ...}``, or none) goes on this thread's kept
        ``http.client`` connection (:mod:`covalent.client.wire`), in one write.
        Anything else, and any address that module does not take, goes through
        httpx: a large multipart body is streamed as httpx makes it.
        """
        kwargs.setdefault("timeout", self.timeout)
        body = _small_body(kwargs) if self._direct else None
        try:
            if body is not None:
                content, content_type = body
                headers = self._headers if content_type is None else {**self._headers, "Content-Type": content_type}
                response = wire.send(
                    self.address,
                    method,
                    API + path,
                    headers,
                    params=kwargs.get("params"),
                    body=content,
                    timeout=kwargs["timeout"],
                )
            else:
                response = self._send_httpx(method, path, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout, ConnectionError) as exc:
            raise self._unavailable(exc) from None
        except (httpx.RemoteProtocolError, http.client.HTTPException) as exc:
            raise self._unavailable(exc) from None
        except TimeoutError as exc:  # what httpx raises for a server that does not answer in time
            raise httpx.ReadTimeout(f"no answer from {self.address} within {kwargs['timeout']} s: {exc}") from exc
        check(response)
        return response

    def _send_httpx(self, method: str, path: str, **kwargs: Any) -> Reply:
        if "files" in kwargs:
            request = self._client.build_request(method, API + path, **kwargs)
            if int(request.headers.get("content-length", ONE_PIECE_BYTES + 1)) <= ONE_PIECE_BYTES:
                request.read()  # the body as one bytes object, sent in one write
            answer = self._client.send(request)
        else:
            answer = self._client.request(method, API + path, **kwargs)
        return Reply(answer.status_code, answer.content, dict(answer.headers))

    def get_json(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs).json()

    def post_json(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.request("POST", path, json=body, **kwargs).json()

    def stream_events(self, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Server-sent events as dicts, until the server closes the stream."""
        from httpx_sse import connect_sse

        try:
            with connect_sse(self._client, "GET", API + "/events", params=params, timeout=None) as source:
                check(source.response)
                for event in source.iter_sse():
                    if event.data:
                        yield json.loads(event.data)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise self._unavailable(exc) from None


def _small_body(kwargs: dict[str, Any]) -> tuple[bytes | None, str | None] | None:
    """The body and its content type for :mod:`~covalent.client.wire`, or None: too large, or streamed."""
    if set(kwargs) - {"timeout", "params", "json", "files", "content", "headers"}:
        return None
    if "content" in kwargs or "headers" in kwargs:  # bytes of a type: ``headers`` only its Content-Type
        headers = kwargs.get("headers") or {}
        if set(headers) - {"Content-Type"} or not isinstance(kwargs.get("content"), bytes):
            return None
        if len(kwargs["content"]) > ONE_PIECE_BYTES:
            return None
        return kwargs["content"], headers.get("Content-Type")
    if "files" in kwargs:
        files = kwargs["files"]
        if not all(isinstance(part[1][1], bytes) for part in files):
            return None  # a part read while it is sent
        if sum(len(part[1][1]) for part in files) > ONE_PIECE_BYTES:
            return None
        request = httpx.Request("POST", "http://body/", files=files)  # httpx's encoder, read whole
        return request.read(), request.headers["Content-Type"]
    if kwargs.get("json") is not None:
        return json.dumps(kwargs["json"]).encode(), "application/json"
    return None, None


def check(response: Reply | httpx.Response) -> None:
    if response.status_code < 400:
        return
    try:
        response.read()
        body = response.json()
        detail = body.get("detail", body) if isinstance(body, dict) else body
    except Exception:
        detail = response.text[:2000]
    message = f"server answered {response.status_code}: {detail}"
    if response.status_code == 404:
        raise DispatchNotFoundError(message, response.status_code, detail)
    raise ServerError(message, response.status_code, detail)
