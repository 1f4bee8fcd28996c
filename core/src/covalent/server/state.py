"""Everything the server holds while it runs, in one object on ``app.state``."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from covalent.server.dispatcher import Dispatcher
from covalent.server.dispatcher.executors import ExecutorInstances
from covalent.server.events import EventBus
from covalent.server.store.blobs import BlobStore
from covalent.server.store.copies import CompletedOriginals
from covalent.server.store.writer import Writer
from covalent.server.triggers import TriggerService

__all__ = ["LIVE_OUTPUT_FOLDER", "ServerState"]

#: Under the data folder: where tasks running on this machine mirror what they print while they run.
LIVE_OUTPUT_FOLDER = "live"


@dataclass
class ServerState:
    engine: Engine
    blobs: BlobStore
    writer: Writer
    events: EventBus
    executors: ExecutorInstances
    dispatcher: Dispatcher
    triggers: TriggerService
    settings: dict[str, Any]
    database_url: str
    data_dir: Path
    log_path: Path | None = None
    token: str = ""
    started_at: float = field(default_factory=time.time)
    panels: list[dict[str, str]] = field(default_factory=list)
    #: Completed dispatches as read for full-reuse redispatches (see covalent.server.store.copies).
    originals: CompletedOriginals = field(default_factory=CompletedOriginals)

    @property
    def live_output_dir(self) -> Path:
        """Where running tasks mirror their stdout and stderr (``covalent.runtime.capture``)."""
        return self.data_dir / LIVE_OUTPUT_FOLDER
