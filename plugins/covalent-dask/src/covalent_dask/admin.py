"""Administering a running local Dask cluster: size, status, addresses, restart, scale, logs.

The operations run next to the cluster (:class:`ClusterAdmin`) and answer
Dask's own RPC protocol on a loopback port (:func:`serve`), so the command
line (``covalent cluster``) and Covalent code (``covalent_dispatcher``'s
``DaskAdminWorker`` and ``_get_cluster_*``) reach them the same way.  The
server serves the admin of its default cluster on a free port of 127.0.0.1
and reports the address in ``covalent status --json`` (``admin_address``).

:class:`AdminThread` serves a cluster from a thread of its own, for a cluster
object that lives outside any event loop (a synchronous ``LocalCluster``).
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

__all__ = [
    "AdminThread",
    "ClusterAdmin",
    "cluster_address",
    "cluster_info",
    "cluster_logs",
    "cluster_restart",
    "cluster_scale",
    "cluster_size",
    "cluster_status",
    "serve",
]

#: Seconds a client waits to reach the admin.
CONNECT_TIMEOUT = 2.0


class ClusterAdmin:
    """The admin operations of one cluster (a ``distributed`` ``SpecCluster``, such as a ``LocalCluster``)."""

    def __init__(self, cluster: Any) -> None:
        self.cluster = cluster

    @property
    def handlers(self) -> dict[str, Any]:
        """Operation name -> handler, as ``distributed.core.Server`` takes them."""
        return {
            "cluster_size": self.size,
            "cluster_info": self.info,
            "cluster_status": self.status,
            "cluster_address": self.addresses,
            "cluster_restart": self.restart,
            "cluster_scale": self.scale,
            "cluster_logs": self.logs,
        }

    def size(self) -> int:
        """Workers the cluster runs now."""
        return len(self.cluster.workers) if self.cluster is not None else 0

    async def info(self) -> dict[str, Any]:
        """The scheduler's identity: its address, start time and each worker's description."""
        from distributed.core import rpc

        async with rpc(self.cluster.scheduler_address) as scheduler:
            return dict(await scheduler.identity())

    async def status(self) -> dict[str, str]:
        """``{"scheduler": "running", "worker-<name>": "<status>", ...}``."""
        identity = await self.info()
        found = {"scheduler": "running"}
        for worker in identity["workers"].values():
            found[f"worker-{worker['id']}"] = worker["status"]
        return found

    async def addresses(self) -> dict[str, Any]:
        """``{"scheduler": address, "workers": {name: address}}``."""
        identity = await self.info()
        workers = {f"{w['id']}": address for address, w in identity["workers"].items()}
        return {"scheduler": identity["address"], "workers": workers}

    async def restart(self) -> None:
        """Restart every worker through its nanny (new processes, new addresses)."""
        from distributed.core import rpc

        identity = await self.info()

        async def restart_one(nanny: str) -> None:
            async with rpc(nanny) as worker:
                await worker.restart()

        await asyncio.gather(*(restart_one(w["nanny"]) for w in identity["workers"].values() if w.get("nanny")))

    def scale(self, size: int) -> None:
        """Start or stop workers until there are ``size`` (the cluster does it in the background)."""
        self.cluster.scale(int(size))

    async def logs(self) -> list[Any]:
        """``[scheduler log, {worker: log}]``, each log a list of (level, message)."""
        from distributed.core import rpc

        async with rpc(self.cluster.scheduler_address) as scheduler:
            return [await scheduler.get_logs(), await scheduler.worker_logs()]


async def serve(cluster: Any, host: str = "127.0.0.1", port: int = 0) -> Any:
    """Serve ``cluster``'s admin on the running loop; returns the ``distributed`` Server (``.address``)."""
    from distributed.core import Server

    server = Server(handlers=ClusterAdmin(cluster).handlers)
    await server.listen(f"tcp://{host}:{port}")
    return server


class AdminThread(threading.Thread):
    """Serves a cluster's admin from a thread with its own event loop (``start()`` it)."""

    def __init__(self, cluster: Any, admin_host: str, admin_port: int, logger: Any = None) -> None:
        super().__init__(name=f"cluster-admin-{admin_port}", daemon=True)
        self.cluster = cluster
        self.admin_host = admin_host
        self.admin_port = int(admin_port)
        self.logger = logger
        self.handlers = ClusterAdmin(cluster).handlers
        self.ready = threading.Event()

    def run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        loop.run_until_complete(serve(self.cluster, self.admin_host, self.admin_port))
        self.ready.set()
        loop.run_forever()


# -- the client side: each takes the admin's address (tcp://host:port) -------------
async def _call(uri: str, op: str, **args: Any) -> Any:
    from distributed.comm import connect

    comm = await connect(uri, timeout=CONNECT_TIMEOUT)
    try:
        await comm.write({"op": op, "reply": True, **args})
        answer = await comm.read()
    finally:
        comm.abort()
    if isinstance(answer, dict) and answer.get("status") == "uncaught-error":
        raise RuntimeError(f"the cluster admin at {uri} failed {op}: {answer.get('exception')!r}")
    return answer


async def cluster_status(uri: str) -> dict[str, str] | bool:
    """Each process's status; False when the admin cannot be reached."""
    try:
        return await _call(uri, "cluster_status")  # type: ignore[no-any-return]
    except (TimeoutError, OSError):
        return False


async def cluster_address(uri: str) -> dict[str, Any]:
    return await _call(uri, "cluster_address")  # type: ignore[no-any-return]


async def cluster_info(uri: str) -> dict[str, Any]:
    return await _call(uri, "cluster_info")  # type: ignore[no-any-return]


async def cluster_restart(uri: str) -> None:
    await _call(uri, "cluster_restart")


async def cluster_scale(uri: str, nworkers: int) -> None:
    await _call(uri, "cluster_scale", size=int(nworkers))


async def cluster_size(uri: str) -> int:
    return int(await _call(uri, "cluster_size"))


async def cluster_logs(uri: str) -> list[Any]:
    return await _call(uri, "cluster_logs")  # type: ignore[no-any-return]
