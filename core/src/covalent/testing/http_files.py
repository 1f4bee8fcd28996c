"""A local HTTP file server for tests: GET and HEAD serve a folder, PUT writes into it.

``fail_first`` answers that many requests 503 first (a server having a
bad moment), so tests can see transfers retried.
"""

from __future__ import annotations

import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

__all__ = ["HTTPFileServer"]


class _Handler(SimpleHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _failing(self) -> bool:
        with self.server.lock:
            if self.server.failures_left > 0:
                self.server.failures_left -= 1
                self.send_error(503, "try again")
                return True
        return False

    def do_GET(self) -> None:
        if not self._failing():
            super().do_GET()

    def do_HEAD(self) -> None:
        if not self._failing():
            super().do_HEAD()

    def do_PUT(self) -> None:
        if self._failing():
            return
        target = Path(self.translate_path(self.path))
        target.parent.mkdir(parents=True, exist_ok=True)
        length = int(self.headers.get("Content-Length") or 0)
        target.write_bytes(self.rfile.read(length))
        self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()


class _Server(ThreadingHTTPServer):
    failures_left = 0
    lock = threading.Lock()


class HTTPFileServer:
    """Serve ``root`` on 127.0.0.1 at a free port; ``url`` is its address."""

    def __init__(self, root: str | Path, fail_first: int = 0) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._server = _Server(("127.0.0.1", 0), partial(_Handler, directory=str(self.root)))
        self._server.failures_left = fail_first
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def fail_next(self, count: int) -> None:
        with self._server.lock:
            self._server.failures_left = count

    def __enter__(self) -> HTTPFileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
