"""``covalent cluster``: the server's local Dask cluster (status, info, addresses, size, restart, scale, logs).

Registered with the command line through the ``register_commands`` hook.  It
asks the running server (``/status``) where the cluster's admin listens, then
talks to the admin (:mod:`covalent_dask.admin`).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import click

from covalent_dask import admin

__all__ = ["cluster", "cluster_admin_address"]


def cluster_admin_address(server_address: str | None = None) -> str | None:
    """The admin address of the running server's local Dask cluster, or None if it has none running."""
    from covalent.client.connection import Connection

    with Connection(server_address, timeout=5) as conn:
        status = conn.get_json("/status")
    for executor in status.get("executors", []):
        if executor.get("name") == "dask" and executor.get("admin_address"):
            return str(executor["admin_address"])
    return None


def _show(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str) if not isinstance(data, int) else str(data))


@click.command("cluster")
@click.option("--status", "show_status", is_flag=True, help="Status of the scheduler and each worker.")
@click.option("--info", "show_info", is_flag=True, help="The scheduler's description of the cluster.")
@click.option("--address", "show_address", is_flag=True, help="Addresses of the scheduler and the workers.")
@click.option("--size", "show_size", is_flag=True, help="How many workers run.")
@click.option("--restart", is_flag=True, help="Restart every worker.")
@click.option("--scale", type=int, default=None, metavar="N", help="Start or stop workers until N run.")
@click.option("--logs", "show_logs", is_flag=True, help="The scheduler's and the workers' logs.")
def cluster(
    show_status: bool,
    show_info: bool,
    show_address: bool,
    show_size: bool,
    restart: bool,
    scale: int | None,
    show_logs: bool,
) -> None:
    """Manage the local server's Dask cluster (default: --status)."""
    from covalent.errors import ServerUnavailableError

    try:
        uri = cluster_admin_address()
    except ServerUnavailableError as exc:
        raise click.ClickException(str(exc)) from None
    if uri is None:
        raise click.ClickException(
            "the server runs no local Dask cluster (started with --no-cluster, still starting, "
            "or its default executor is not dask)"
        )
    if scale is not None:
        if scale < 0:
            raise click.BadParameter("the number of workers cannot be negative", param_hint="--scale")
        asyncio.run(admin.cluster_scale(uri, scale))
        click.echo(f"Cluster scaling to {scale} worker(s).")
    elif restart:
        asyncio.run(admin.cluster_restart(uri))
        click.echo("Cluster restarted.")
    elif show_info:
        _show(asyncio.run(admin.cluster_info(uri)))
    elif show_address:
        _show(asyncio.run(admin.cluster_address(uri)))
    elif show_size:
        _show(asyncio.run(admin.cluster_size(uri)))
    elif show_logs:
        scheduler_log, worker_logs = asyncio.run(admin.cluster_logs(uri))
        for level, message in scheduler_log:
            click.echo(f"scheduler {level} {message}")
        for worker, lines in worker_logs.items():
            for level, message in lines:
                click.echo(f"{worker} {level} {message}")
    else:
        status = asyncio.run(admin.cluster_status(uri))
        if status is False:
            raise click.ClickException(f"the cluster admin at {uri} does not answer")
        _show(status)
        assert isinstance(status, dict)
        degraded = sorted(name for name, state in status.items() if state != "running")
        click.echo("Cluster: degraded (" + ", ".join(degraded) + ")" if degraded else "Cluster: healthy")
