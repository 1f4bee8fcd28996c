"""``ct.covalent_start()``, ``ct.covalent_stop()``, ``ct.is_covalent_running()``: the server from Python.

The same as ``covalent start`` and ``covalent stop`` (with Covalent's
parameters), for notebooks and scripts.  They return at once when there is
nothing to do.
"""

from __future__ import annotations

from covalent import config
from covalent.server import background as service

__all__ = ["covalent_start", "covalent_stop", "is_covalent_running"]


def is_covalent_running() -> bool:
    """Whether this data directory's server is running and answers."""
    info = service.running()
    return info is not None and service.healthy(info)


def covalent_start(
    develop: bool = False,
    port: int | str | None = None,
    mem_per_worker: str | None = None,
    workers: int | None = None,
    threads_per_worker: int | None = None,
    ignore_migrations: bool = False,
    no_cluster: bool = False,
    no_triggers: bool = False,
    triggers_only: bool = False,
    *,
    quiet: bool = False,
) -> None:
    """Start the server in the background (``covalent start``) unless it is running.

    ``develop`` logs at debug level.  ``ignore_migrations``, ``no_triggers`` and
    ``triggers_only`` are accepted for Covalent's sake: migrations always run
    here, and there is no separate triggers server to start or leave out.
    """
    if is_covalent_running():
        if not quiet:
            print("Covalent server is already running.")
        return
    settings = config.load()["server"]
    cluster = service.ClusterOptions(workers, threads_per_worker, mem_per_worker)
    info, seconds = service.start(
        str(settings.get("host", "127.0.0.1")),
        int(port or settings.get("port", config.DEFAULT_PORT)),
        no_cluster=no_cluster,
        cluster=cluster,
        log_level="debug" if develop else None,
    )
    if not quiet:
        print(f"Covalent server started at {info.address} (pid {info.pid}, ready in {seconds:.2f} s)")


def covalent_stop(*, quiet: bool = False) -> None:
    """Stop the server (``covalent stop``) if it is running."""
    info = service.stop()
    if not quiet:
        print("Covalent server is not running." if info is None else f"Covalent server stopped (pid {info.pid}).")
