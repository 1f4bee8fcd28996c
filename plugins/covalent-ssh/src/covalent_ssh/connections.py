"""One SSH connection per host, shared by every executor and task that talks to it.

A :class:`SSHTarget` says where to connect and how to authenticate: a key
file, else the SSH agent and the user's default keys (asyncssh's own
order; no passwords), with the server's host key checked against a
``known_hosts`` file (the user's ``~/.ssh/known_hosts`` unless another is
named).  :data:`POOL` holds one open connection (and one SFTP session on it)
per target and event loop: the Slurm executor, the SSH executor and every
job they run share it, each command on a channel of its own.  A connection
that dropped is opened again on next use; the last holder's release closes
it.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from typing import Any

__all__ = ["POOL", "ConnectionPool", "SSHConnection", "SSHTarget"]


@dataclass(frozen=True)
class SSHTarget:
    """Where to connect and how (hashable: the pool's key)."""

    host: str
    #: None: the port ``~/.ssh/config`` gives the host (as ``ssh`` does), else 22.
    port: int | None = None
    username: str | None = None
    key_file: str | None = None
    known_hosts: str | None = None
    check_host_key: bool = True
    connect_timeout: float = 30.0

    @property
    def description(self) -> str:
        return f"{self.username + '@' if self.username else ''}{self.host}:{self.port or 22}"

    def connect_options(self) -> dict[str, Any]:
        """asyncssh.connect keyword arguments."""
        options: dict[str, Any] = {
            "username": self.username,
            "connect_timeout": self.connect_timeout,
            "keepalive_interval": 30,
            # a key file, the agent or the default keys: never a password prompt
            "kbdint_auth": False,
            "password_auth": False,
        }
        if self.port is not None:
            options["port"] = self.port
        if self.key_file:
            options["client_keys"] = [os.path.expanduser(self.key_file)]
        if not self.check_host_key:
            options["known_hosts"] = None
        elif self.known_hosts:
            options["known_hosts"] = os.path.expanduser(self.known_hosts)
        return options


@dataclass
class SSHConnection:
    """An open connection and its SFTP session, with how many hold it."""

    conn: Any
    sftp: Any
    holders: int = 0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class ConnectionPool:
    """Open connections by (target, event loop): connections belong to the loop that opened them."""

    def __init__(self) -> None:
        self._open: dict[tuple[SSHTarget, int], SSHConnection] = {}
        self._locks: dict[tuple[SSHTarget, int], asyncio.Lock] = {}

    def _key(self, target: SSHTarget) -> tuple[SSHTarget, int]:
        return target, id(asyncio.get_running_loop())

    async def get(self, target: SSHTarget) -> SSHConnection:
        """The open connection to ``target`` (opened now if there is none or it dropped)."""
        key = self._key(target)
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            entry = self._open.get(key)
            if entry is not None and not entry.conn.is_closed():
                return entry
            conn, sftp = await _open(target)
            holders = entry.holders if entry is not None else 0
            entry = SSHConnection(conn, sftp, holders)
            self._open[key] = entry
            return entry

    async def hold(self, target: SSHTarget) -> SSHConnection:
        """:meth:`get`, counting one more holder (release it with :meth:`release`)."""
        entry = await self.get(target)
        entry.holders += 1
        return entry

    async def release(self, target: SSHTarget) -> None:
        """One holder less; the last one closes the connection."""
        key = self._key(target)
        entry = self._open.get(key)
        if entry is None:
            return
        entry.holders = max(0, entry.holders - 1)
        if entry.holders == 0:
            self._open.pop(key, None)
            self._locks.pop(key, None)
            entry.conn.close()
            await entry.conn.wait_closed()

    def open_count(self, target: SSHTarget | None = None) -> int:
        """How many connections are open (to ``target``, or in all)."""
        return sum(
            1 for (t, _), entry in self._open.items() if (target is None or t == target) and not entry.conn.is_closed()
        )


async def _open(target: SSHTarget) -> tuple[Any, Any]:
    import asyncssh

    try:
        conn = await asyncssh.connect(target.host, **target.connect_options())
    except asyncssh.HostKeyNotVerifiable as exc:
        where = target.known_hosts or "~/.ssh/known_hosts"
        raise ConnectionError(
            f"cannot open an SSH connection to {target.description}: its host key is not the one in {where} "
            f"({exc.reason}); refusing to connect. If the host was re-installed, check its new key and update {where}"
        ) from exc
    except (OSError, asyncssh.Error) as exc:
        reason = getattr(exc, "reason", "") or str(exc) or type(exc).__name__
        raise ConnectionError(f"cannot open an SSH connection to {target.description}: {reason}") from exc
    try:
        sftp = await conn.start_sftp_client()
    except (OSError, asyncssh.Error) as exc:
        conn.close()
        raise ConnectionError(f"{target.description} offers no SFTP service: {exc}") from exc
    return conn, sftp


#: The process-wide pool.
POOL = ConnectionPool()
