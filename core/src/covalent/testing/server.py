"""A real server process for tests: temporary data, a free port, clean shutdown."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from covalent.config import CLIENT_HEADER
from covalent.status import Status

__all__ = ["CLIENT_HEADERS", "ServerProcess", "free_port", "upload_parts"]

#: Headers a script sends to write through the API (the SDK sends them by itself).
CLIENT_HEADERS = {CLIENT_HEADER: "covalent-tests"}


def upload_parts(lattice: Any, *args: Any, start: bool = True) -> list[tuple[str, tuple[str, bytes, str]]]:
    """The multipart parts of ``POST /api/v1/dispatches`` for ``lattice(*args)`` (as the SDK sends them)."""
    import json

    from covalent.graph.bundle import write_bundle

    manifest = lattice.build_manifest(*args)
    parts = [
        ("manifest", ("m.json", json.dumps(manifest.to_json()).encode(), "application/json")),
        ("blobs", ("b", write_bundle(manifest.blobs.items()), "application/octet-stream")),
    ]
    if not start:
        parts.append(("options", ("o.json", b'{"start": false}', "application/json")))
    return parts


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    """``python -m covalent.server.main`` on a free port with its own directories.

    ``env`` holds the variables a client needs (``COVALENT_DISPATCHER_ADDR``,
    ``COVALENT_DATA_DIR``, ``COVALENT_CONFIG_DIR``); :meth:`activate` puts them
    in ``os.environ`` so SDK calls in the test process reach this server.
    """

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        *,
        default_executor: str = "local",
        config: str = "",
        extra_env: dict[str, str] | None = None,
        port: int | None = None,
        no_cluster: bool = True,
        host: str = "127.0.0.1",
    ) -> None:
        self.host = host
        self.root = Path(root or tempfile.mkdtemp(prefix="covalent-test-"))
        self.port = port or free_port()
        self.data_dir = self.root / "data"
        self.config_dir = self.root / "config"
        self.config_dir.mkdir(parents=True, exist_ok=True)
        conf = f'[dispatcher]\ndefault_executor = "{default_executor}"\n' + config
        (self.config_dir / "covalent.conf").write_text(conf)
        self.address = f"http://127.0.0.1:{self.port}"
        self.log_file = self.root / "server.log"
        self.no_cluster = no_cluster
        self.env = {
            "COVALENT_DISPATCHER_ADDR": self.address,
            "COVALENT_DATA_DIR": str(self.data_dir),
            "COVALENT_CONFIG_DIR": str(self.config_dir),
            **(extra_env or {}),
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self._saved: dict[str, str | None] = {}

    def start(self, timeout: float = 60.0, *, flags: Sequence[str] = ()) -> ServerProcess:
        """Start the server (``flags``: more ``covalent.server.main`` options, e.g. ``--no-triggers``)."""
        env = {**os.environ, **self.env}
        command = [
            sys.executable,
            "-m",
            "covalent.server.main",
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--log-file",
            str(self.log_file),
        ]
        if self.no_cluster:
            command.append("--no-cluster")
        command += flags
        self.proc = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log()}")
            try:
                if httpx.get(f"{self.address}/api/v1/health", timeout=0.5).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.01)
        raise RuntimeError(f"server not ready in {timeout} s:\n{self.log()}")

    def log(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")[-5000:]
        except OSError:
            return ""

    def completed_electrons(self, dispatch_id: str) -> set[int]:
        """Ids of the dispatch's electron nodes the server has recorded as COMPLETED."""
        answer = httpx.get(f"{self.address}/api/v1/dispatches/{dispatch_id}/nodes?brief=1", timeout=60)
        answer.raise_for_status()
        return {
            n["node_id"] for n in answer.json()["nodes"] if n["status"] == Status.COMPLETED and n["kind"] == "electron"
        }

    def stop(self, timeout: float = 30.0) -> None:
        """Graceful stop (SIGTERM), as ``covalent stop`` does."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        self._reap_group()

    def kill(self) -> None:
        """``kill -9`` of the server process (its worker processes die with it)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)
        self._reap_group()

    def _reap_group(self) -> None:
        assert self.proc is not None
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def activate(self) -> None:
        for key, value in self.env.items():
            self._saved.setdefault(key, os.environ.get(key))
            os.environ[key] = value

    def deactivate(self) -> None:
        for key, value in self._saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved.clear()

    def __enter__(self) -> ServerProcess:
        self.start()
        self.activate()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.deactivate()
        self.stop()
