"""HTTP access to the server (httpx), with errors that say what to do."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from typing import Any

import httpx

from covalent import config
from covalent._version import __version__
from covalent.errors import DispatchNotFoundError, ServerError, ServerUnavailableError

__all__ = ["API", "Connection", "read_token"]

API = "/api/v1"
#: A multipart body up to this size is sent in one piece (see :meth:`Connection.request`).
ONE_PIECE_BYTES = 1 << 20


def read_token() -> str:
    """The access token: ``COVALENT_TOKEN``, else the file the server wrote."""
    token = os.environ.get("COVALENT_TOKEN", "").strip()
    if token:
        return token
    path = config.config_dir() / "token"
    try:
        return path.read_text().strip()
    except OSError:
        return ""


_clients: dict[tuple[str, str, int], httpx.Client] = {}
_clients_lock = threading.Lock()


def _shared_client(address: str, token: str, pid: int) -> httpx.Client:
    """One pooled client per server, token and process: no new TCP or TLS set-up per call."""
    key = (address, token, pid)
    with _clients_lock:
        client = _clients.get(key)
        if client is None or client.is_closed:
            headers = {config.CLIENT_HEADER: f"covalent-sdk/{__version__}"}
            if token:
                headers["Authorization"] = f"Bearer {token}"
            client = httpx.Client(base_url=address, headers=headers, timeout=60.0)
            _clients[key] = client
        return client


class Connection:
    """One server address; methods raise covalent errors, never raw httpx ones."""

    def __init__(self, address: str | None = None, timeout: float = 60.0) -> None:
        self.address = (address or config.dispatcher_address()).rstrip("/")
        if "://" not in self.address:
            self.address = f"http://{self.address}"
        self.timeout = timeout
        self._client = _shared_client(self.address, read_token(), os.getpid())

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

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """``method`` on ``path`` under the API; raises covalent errors.

        A small multipart body (``files=``) is joined before it is sent: httpx
        writes each part's boundary, headers and content with a socket write of
        its own (a dozen for a dispatch), and each one wakes the server to parse
        a fragment.  A large one is streamed as httpx makes it.
        """
        try:
            kwargs.setdefault("timeout", self.timeout)
            if "files" in kwargs:
                request = self._client.build_request(method, API + path, **kwargs)
                if int(request.headers.get("content-length", ONE_PIECE_BYTES + 1)) <= ONE_PIECE_BYTES:
                    request.read()  # the body as one bytes object, sent in one write
                response = self._client.send(request)
            else:
                response = self._client.request(method, API + path, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise self._unavailable(exc) from None
        except httpx.RemoteProtocolError as exc:
            raise self._unavailable(exc) from None
        check(response)
        return response

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


def check(response: httpx.Response) -> None:
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
