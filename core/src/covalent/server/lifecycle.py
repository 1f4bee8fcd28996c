"""Starting and stopping the server's services (database, writer, dispatcher)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from covalent import config
from covalent.limits import Limits
from covalent.server.db.engine import migrate, open_engine
from covalent.server.dispatcher import Dispatcher
from covalent.server.dispatcher.executors import ExecutorInstances
from covalent.server.events import EventBus
from covalent.server.state import LIVE_OUTPUT_FOLDER, ServerState
from covalent.server.store.blobs import BlobStore
from covalent.server.store.writer import Writer
from covalent.server.sublattices import SublatticeIntake
from covalent.server.triggers import Mode, TriggerService
from covalent.server.triggers.launcher import LocalLauncher

__all__ = ["start_services", "stop_services"]

log = logging.getLogger("covalent.server")


async def start_services(
    settings: dict[str, Any],
    *,
    log_path: Path | None,
    token: str,
    panels: list[dict[str, str]],
    triggers_mode: Mode = "on",
    executor_overrides: dict[str, dict[str, Any]] | None = None,
) -> ServerState:
    from covalent.plugins.manager import get_plugin_manager

    data_dir = config.private_dir(config.data_dir())
    config.private_file(config.private_dir(config.config_dir()) / "covalent.conf")
    config.private_dir(data_dir / "objects")
    live = _fresh_live_output(data_dir / LIVE_OUTPUT_FOLDER)
    url = config.database_url()
    engine = open_engine(url)
    await asyncio.to_thread(migrate, engine)
    blobs = BlobStore(engine, data_dir / "objects", Limits.from_settings(settings).inline_value_bytes)
    events = EventBus()
    writer = Writer(engine, events)
    writer.start()
    executors = ExecutorInstances(executor_overrides)
    children = SublatticeIntake(blobs, writer)
    dispatcher = Dispatcher(writer, blobs, executors, get_plugin_manager(), children=children, live_output=live)
    triggers = TriggerService(engine, writer, None, mode=triggers_mode)
    log.info("covalent server ready (database %s)", url.split("@")[-1])
    state = ServerState(
        engine=engine,
        blobs=blobs,
        writer=writer,
        events=events,
        executors=executors,
        dispatcher=dispatcher,
        triggers=triggers,
        settings=settings,
        database_url=url,
        data_dir=data_dir,
        log_path=log_path,
        token=token,
        panels=panels,
    )
    if triggers_mode != "only":  # a triggers-only server runs no dispatch of its own
        triggers.launcher = LocalLauncher(state, events)
    return state


def _fresh_live_output(folder: Path) -> Path:
    """The live-output folder, private and empty (files left by tasks killed with a server)."""
    config.private_dir(folder)
    for leftover in folder.iterdir():
        try:
            leftover.unlink()
        except OSError:
            pass
    return folder


async def stop_services(state: ServerState) -> None:
    """Stop without cancelling anything: unfinished dispatches resume at the next start, triggers are observed again."""
    await state.triggers.close()
    await state.dispatcher.shutdown()
    await state.executors.teardown()
    from covalent.executor.local import shutdown_pools

    await asyncio.to_thread(shutdown_pools)
    await state.writer.close()
    state.events.close()
    state.engine.dispose()
    log.info("covalent server stopped")
