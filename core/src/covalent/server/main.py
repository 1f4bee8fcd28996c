"""The server process: ``python -m covalent.server.main`` (what ``covalent start`` runs)."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
from pathlib import Path
from typing import Any

__all__ = ["main"]

#: The exit status when the server could not start serving (uvicorn's).
STARTUP_FAILURE = 3


def _server(config: Any, app: Any, ready_fd: int | None = None) -> Any:
    """uvicorn's server for ``app``; stopping it first ends the requests that only wait.

    Those (``/wait``, the event stream) would otherwise hold the stop for
    uvicorn's whole graceful period; their clients ask the next server.
    ``ready_fd``: a pipe to write one byte to once it serves (the lifespan's
    start done, the socket bound), then closed: how ``covalent start``
    learns it is up without polling.
    """
    import uvicorn

    class Server(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets=sockets)
            _collect_again()
            if ready_fd is not None and self.started:
                _say_ready(ready_fd)

        async def shutdown(self, sockets: Any = None) -> None:
            state = getattr(app.state, "covalent", None)
            if state is not None:
                state.events.close()
            await super().shutdown(sockets=sockets)

    return Server(config)


def _collect_again() -> None:
    """The cyclic garbage collector runs again, over what is made from now on only.

    :func:`main` turns it off while the server starts: importing the server
    (SQLAlchemy, uvicorn, starlette, the API) makes some 54,000 tracked
    objects that live as long as the process, and the collector ran 134 times
    over them before it served, once a full pass: 32-50 ms at load 4.
    ``gc.freeze`` moves those objects out of its sight for good.
    """
    gc.freeze()
    gc.enable()


def _say_ready(fd: int) -> None:
    try:
        os.write(fd, b"1")
    except OSError:  # the one who started it is gone: nobody to tell
        pass
    finally:
        os.close(fd)


def _configure_logging(log_file: str | None, level: str) -> None:
    from covalent import config

    handlers: list[logging.Handler] = []
    if log_file:
        path = Path(log_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(config.open_private(path))  # the log shows workflows' names and errors: the user's alone
        handlers.append(logging.FileHandler(path))
    else:
        handlers.append(logging.StreamHandler(sys.stderr))
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )


def _refuse(message: str, log_file: str | None) -> int:
    """One clear line, in the log and on stderr (once, when the log is stderr), instead of a traceback."""
    logging.getLogger("covalent.server").error("%s", message)
    if log_file:
        print(f"covalent server: {message}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    """Serve until stopped; the exit status (2: refused to start, 3: could not serve)."""
    gc.disable()  # until it serves: see _collect_again
    try:
        return _serve(argv)
    finally:
        gc.enable()


def _serve(argv: list[str] | None) -> int:
    from covalent import config

    parser = argparse.ArgumentParser(prog="covalent-server")
    parser.add_argument("--host", default=None)
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--log-file", default=None)
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--no-cluster", action="store_true")
    triggers = parser.add_mutually_exclusive_group()
    triggers.add_argument("--no-triggers", action="store_true", help="observe no triggers, refuse new ones")
    triggers.add_argument("--triggers-only", action="store_true", help="serve triggers only (no dispatches)")
    parser.add_argument("--workers", type=int, default=None, help="workers of the default executor's Dask cluster")
    parser.add_argument("--threads-per-worker", type=int, default=None)
    parser.add_argument("--mem-per-worker", default=None, help='"auto", "4GiB", bytes, or "0" for no limit')
    parser.add_argument("--ready-fd", type=int, default=None, help="a pipe to write a byte to once serving")
    args = parser.parse_args(argv)
    _configure_logging(args.log_file, args.log_level)
    from covalent.errors import SettingError
    from covalent.limits import Limits, setting_number

    try:
        settings = config.load()["server"]
        port = args.port or setting_number(settings, "port", int, config.DEFAULT_PORT)
        limits = Limits.from_settings({"server": settings})
    except SettingError as exc:
        return _refuse(str(exc), args.log_file)
    host = args.host or settings.get("host", "127.0.0.1")
    from covalent.server.allocator import tune_allocator

    tune_allocator()

    import uvicorn

    from covalent.server.access import TokenError
    from covalent.server.app import create_app
    from covalent.server.cluster_options import ClusterOptions
    from covalent.server.connections import guarded_http
    from covalent.server.db.sqlite_file import DatabaseFileError

    cluster = ClusterOptions(args.workers, args.threads_per_worker, args.mem_per_worker)
    try:
        app = create_app(
            host=host,
            log_path=Path(args.log_file) if args.log_file else None,
            start_cluster=not args.no_cluster,
            triggers="off" if args.no_triggers else "only" if args.triggers_only else "on",
            executor_overrides={"dask": cluster.executor_kwargs()},
        )
    except (TokenError, DatabaseFileError) as exc:
        return _refuse(str(exc), args.log_file)
    logging.getLogger("covalent.server").info("starting on http://%s:%d (pid %d)", host, port, os.getpid())
    serving = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=3,
        lifespan="on",
        # Headers and bodies must keep coming, and one client holds a bounded number of
        # connections (uvicorn has neither on its own): see covalent.server.connections.
        http=guarded_http(limits),
        limit_concurrency=limits.max_connections,
    )
    server = _server(serving, app, args.ready_fd)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    if not server.started:
        return STARTUP_FAILURE
    return 0


if __name__ == "__main__":
    sys.exit(main())
