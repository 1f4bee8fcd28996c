"""Where remote commands run and staged files live: this machine, or a host over SSH.

A transport runs shell commands (``/bin/sh -c``) and moves whole files.
:class:`LocalTransport` uses subprocesses and the local filesystem;
:class:`SSHTransport` uses the host's pooled asyncssh connection
(:mod:`covalent_ssh.connections`: commands on channels, files by SFTP),
opened on first use and re-opened if it drops.  The SSH executor and the
Slurm executor (for a login node) both work through a transport.
"""

from __future__ import annotations

import asyncio
import os
import shlex
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from covalent_ssh.connections import POOL, SSHTarget

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
    """What an executor needs from the machine it drives."""

    description: str

    async def run(self, command: str, timeout: float | None = None) -> CommandResult: ...

    async def write_file(self, path: str, data: bytes) -> None: ...

    async def read_file(self, path: str, max_bytes: int | None = None, size: int | None = None) -> bytes:
        """The file's bytes: its last ``max_bytes``, or its first ``size`` (for files that report no size)."""
        ...

    async def exists(self, path: str) -> bool: ...

    async def makedirs(self, path: str) -> None: ...

    async def remove_tree(self, path: str) -> None: ...

    async def home(self) -> str: ...

    async def close(self) -> None: ...


class LocalTransport:
    """Commands and files on this machine."""

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

    async def read_file(self, path: str, max_bytes: int | None = None, size: int | None = None) -> bytes:
        def read() -> bytes:
            with open(path, "rb") as f:
                if max_bytes is not None:
                    end = f.seek(0, os.SEEK_END)
                    f.seek(max(0, end - max_bytes))
                return f.read(-1 if size is None else size)

        return await asyncio.to_thread(read)

    async def exists(self, path: str) -> bool:
        return await asyncio.to_thread(os.path.exists, path)

    async def makedirs(self, path: str) -> None:
        await asyncio.to_thread(os.makedirs, path, exist_ok=True)

    async def remove_tree(self, path: str) -> None:
        await asyncio.to_thread(shutil.rmtree, path, ignore_errors=True)

    async def home(self) -> str:
        return os.path.expanduser("~")

    async def close(self) -> None:
        return None


class SSHTransport:
    """Commands and files on a host reached over SSH, through the shared connection pool.

    Opened on first use; :meth:`close` releases this transport's hold on the
    connection (the pool closes it when nobody holds it any more).
    """

    def __init__(
        self,
        address: str,
        *,
        username: str | None = None,
        port: int | None = 22,
        key_file: str | None = None,
        known_hosts: str | None = None,
        check_host_key: bool = True,
        connect_timeout: float = 30.0,
    ) -> None:
        self.target = SSHTarget(
            host=address,
            port=None if port is None else int(port),
            username=username or None,
            key_file=key_file or None,
            known_hosts=known_hosts or None,
            check_host_key=bool(check_host_key),
            connect_timeout=float(connect_timeout),
        )
        self.description = self.target.description
        self._held: set[int] = set()  # event loops in which this transport holds the connection

    async def _connection(self) -> tuple[Any, Any]:
        loop = id(asyncio.get_running_loop())
        if loop not in self._held:
            entry = await POOL.hold(self.target)
            self._held.add(loop)
        else:
            entry = await POOL.get(self.target)
        return entry.conn, entry.sftp

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

    async def read_file(self, path: str, max_bytes: int | None = None, size: int | None = None) -> bytes:
        import asyncssh

        _, sftp = await self._connection()
        try:
            async with sftp.open(path, "rb") as f:
                if max_bytes is not None:
                    end = (await f.stat()).size or 0
                    await f.seek(max(0, end - max_bytes))
                return bytes(await f.read(-1 if size is None else size))
        except asyncssh.SFTPNoSuchFile as exc:
            raise FileNotFoundError(f"{self.description}:{path}: {exc.reason}") from exc
        except asyncssh.SFTPError as exc:
            raise OSError(f"{self.description}:{path}: {exc.reason}") from exc

    async def exists(self, path: str) -> bool:
        _, sftp = await self._connection()
        return bool(await sftp.exists(path))

    async def makedirs(self, path: str) -> None:
        import asyncssh

        _, sftp = await self._connection()
        try:
            await sftp.makedirs(path, exist_ok=True)
        except asyncssh.SFTPError as exc:
            raise OSError(f"cannot create {self.description}:{path}: {exc.reason}") from exc

    async def remove_tree(self, path: str) -> None:
        import asyncssh

        _, sftp = await self._connection()
        try:
            await sftp.rmtree(path, ignore_errors=True)
        except asyncssh.SFTPError:
            pass

    async def home(self) -> str:
        _, sftp = await self._connection()
        return str(await sftp.realpath("."))

    async def close(self) -> None:
        loop = id(asyncio.get_running_loop())
        if loop in self._held:
            self._held.discard(loop)
            await POOL.release(self.target)
