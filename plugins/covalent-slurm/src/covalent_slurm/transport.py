"""Where Slurm commands run and staged files live: this machine or a login node over SSH.

A transport runs shell commands (``/bin/sh -c``) and moves whole files.
:class:`LocalTransport` uses subprocesses and the local filesystem;
:class:`SSHTransport` uses one asyncssh connection (commands on channels,
files by SFTP), opened on first use and re-opened if it drops.
"""

from __future__ import annotations

import asyncio
import os
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["CommandResult", "LocalTransport", "SSHTransport", "Transport", "with_env"]


@dataclass
class CommandResult:
    """Exit status and output of a shell command."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def with_env(command: str, env: Mapping[str, str] | None) -> str:
    """``command`` prefixed with ``NAME=value`` assignments."""
    prefix = " ".join(f"{k}={shlex.quote(v)}" for k, v in (env or {}).items())
    return f"{prefix} {command}" if prefix else command


class Transport(Protocol):
    """What the executor needs from the machine that talks to Slurm."""

    description: str

    async def run(self, command: str, timeout: float | None = None) -> CommandResult: ...

    async def write_file(self, path: str, data: bytes) -> None: ...

    async def read_file(self, path: str, max_bytes: int | None = None) -> bytes: ...

    async def exists(self, path: str) -> bool: ...

    async def home(self) -> str: ...

    async def close(self) -> None: ...


class LocalTransport:
    """Slurm's commands on this machine."""

    description = "localhost"

    async def run(self, command: str, timeout: float | None = None) -> CommandResult:
        proc = await asyncio.create_subprocess_exec(
            "/bin/sh",
            "-c",
            command,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            out, err = await asyncio.wait_for(proc.communicate(), timeout)
        except (TimeoutError, asyncio.CancelledError):
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
            raise
        return CommandResult(int(proc.returncode or 0), out.decode(errors="replace"), err.decode(errors="replace"))

    async def write_file(self, path: str, data: bytes) -> None:
        def write() -> None:
            tmp = f"{path}.part"
            with open(tmp, "wb") as f:
                f.write(data)
            os.replace(tmp, path)

        await asyncio.to_thread(write)

    async def read_file(self, path: str, max_bytes: int | None = None) -> bytes:
        def read() -> bytes:
            with open(path, "rb") as f:
                if max_bytes is not None:
                    size = f.seek(0, os.SEEK_END)
                    f.seek(max(0, size - max_bytes))
                return f.read()

        return await asyncio.to_thread(read)

    async def exists(self, path: str) -> bool:
        return await asyncio.to_thread(os.path.exists, path)

    async def home(self) -> str:
        return os.path.expanduser("~")

    async def close(self) -> None:
        return None


class SSHTransport:
    """Slurm's commands on a login node reached over SSH (asyncssh)."""

    def __init__(
        self,
        address: str,
        *,
        username: str | None = None,
        port: int = 22,
        key_file: str | None = None,
        known_hosts: str | None = None,
        check_host_key: bool = True,
        connect_timeout: float = 30.0,
    ) -> None:
        self.address = address
        self.username = username
        self.port = port
        self.key_file = key_file
        self.known_hosts = known_hosts
        self.check_host_key = check_host_key
        self.connect_timeout = connect_timeout
        self.description = f"{username + '@' if username else ''}{address}:{port}"
        self._conn: Any = None
        self._sftp: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock: asyncio.Lock | None = None

    async def _connection(self) -> tuple[Any, Any]:
        import asyncssh

        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # connections belong to the loop that opened them
            self._conn = self._sftp = None
            self._loop, self._lock = loop, asyncio.Lock()
        assert self._lock is not None
        async with self._lock:
            if self._conn is None or self._conn.is_closed():
                kwargs: dict[str, Any] = {
                    "port": self.port,
                    "username": self.username,
                    "connect_timeout": self.connect_timeout,
                    "keepalive_interval": 30,
                }
                if self.key_file:
                    kwargs["client_keys"] = [os.path.expanduser(self.key_file)]
                if not self.check_host_key:
                    kwargs["known_hosts"] = None
                elif self.known_hosts:
                    kwargs["known_hosts"] = os.path.expanduser(self.known_hosts)
                try:
                    self._conn = await asyncssh.connect(self.address, **kwargs)
                except (OSError, asyncssh.Error) as exc:
                    raise ConnectionError(f"cannot open an SSH connection to {self.description}: {exc}") from exc
                self._sftp = await self._conn.start_sftp_client()
            return self._conn, self._sftp

    async def run(self, command: str, timeout: float | None = None) -> CommandResult:
        conn, _ = await self._connection()
        result = await conn.run(command, check=False, timeout=timeout)
        code = result.exit_status if result.exit_status is not None else 255
        return CommandResult(int(code), str(result.stdout or ""), str(result.stderr or ""))

    async def write_file(self, path: str, data: bytes) -> None:
        import asyncssh

        _, sftp = await self._connection()
        tmp = f"{path}.part"
        try:
            async with sftp.open(tmp, "wb") as f:
                view = memoryview(data)
                chunk = 4 * 1024 * 1024
                for start in range(0, len(view), chunk):
                    await f.write(bytes(view[start : start + chunk]))
            await sftp.posix_rename(tmp, path)
        except asyncssh.SFTPError as exc:
            raise OSError(f"cannot write {self.description}:{path}: {exc.reason}") from exc

    async def read_file(self, path: str, max_bytes: int | None = None) -> bytes:
        import asyncssh

        _, sftp = await self._connection()
        try:
            async with sftp.open(path, "rb") as f:
                if max_bytes is not None:
                    size = (await f.stat()).size or 0
                    await f.seek(max(0, size - max_bytes))
                return bytes(await f.read())
        except asyncssh.SFTPNoSuchFile as exc:
            raise FileNotFoundError(f"{self.description}:{path}: {exc.reason}") from exc
        except asyncssh.SFTPError as exc:
            raise OSError(f"{self.description}:{path}: {exc.reason}") from exc

    async def exists(self, path: str) -> bool:
        _, sftp = await self._connection()
        return bool(await sftp.exists(path))

    async def home(self) -> str:
        _, sftp = await self._connection()
        return str(await sftp.realpath("."))

    async def close(self) -> None:
        conn, self._conn, self._sftp = self._conn, None, None
        if conn is not None and self._loop is asyncio.get_running_loop():
            conn.close()
            await conn.wait_closed()
