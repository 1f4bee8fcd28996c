"""The server's public read interface, for a UI mounted in the server (the dashboard, or yours).

A UI registered with the ``register_routes`` hook is mounted in the server's
ASGI app; it finds the server's state on the parent app (``app.state.covalent``)
and wraps it in a :class:`ServerView`.  Everything it reads and does goes
through the view: records are typed (:class:`DispatchRecord`, :class:`NodeRecord`,
:class:`NodeBrief`, :class:`NodeTiming`, :class:`Overview`; each ``as_json()`` is
what the HTTP API answers for it), and no table, SQL or internal module shows through.  The dashboard
(``covalent_ui``) uses only this module and the HTTP API.

Reads run in a worker thread on one connection (:meth:`ServerView.read`), so
several reads of one page see the same moment of the database; SQLite readers
never block the writer.
"""

from __future__ import annotations

import asyncio
import hmac
import re
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection

from covalent.config import mask_secrets, mask_url
from covalent.server.redispatch import DispatchNotFound, redispatch
from covalent.server.registration import ManifestError
from covalent.server.state import ServerState
from covalent.server.store import records
from covalent.server.store import triggers as trigger_records
from covalent.server.store.models import Attempt, DispatchRecord, NodeBrief, NodeRecord, NodeTiming, Overview
from covalent.server.store.triggers import TriggerLinks, TriggerRun
from covalent.server.triggers import PublicTrigger, public_trigger

__all__ = [
    "DISPATCH_SORTS",
    "Attempt",
    "DispatchNotFound",
    "DispatchRecord",
    "ManifestError",
    "NodeBrief",
    "NodeRecord",
    "NodeTiming",
    "Overview",
    "PublicTrigger",
    "ServerView",
    "Snapshot",
    "TriggerLinks",
    "TriggerRun",
    "mask_secrets",
    "mask_url",
]

T = TypeVar("T")

#: How the dispatch list can be sorted.
DISPATCH_SORTS: tuple[str, ...] = tuple(records.DISPATCH_SORTS)

_SAFE_ID = re.compile(r"[0-9A-Za-z._-]{1,64}")
#: How much of a running node's output :meth:`ServerView.live_output` reads.
LIVE_OUTPUT_CHARS = 256 * 1024


def _tail_text(path: Path, limit: int) -> str | None:
    """The end of a text file (``limit`` bytes at most), or None if there is none."""
    try:
        with open(path, "rb") as f:
            f.seek(0, 2)
            size = f.tell()
            f.seek(max(0, size - limit))
            data = f.read()
    except OSError:
        return None
    return data.decode("utf-8", errors="replace")


class Snapshot:
    """One consistent read of the server's records (valid inside :meth:`ServerView.read` only)."""

    def __init__(self, conn: Connection, view: ServerView) -> None:
        self._conn = conn
        self._view = view

    def dispatch(
        self, dispatch_id: str, *, with_manifest: bool = False, with_counts: bool = False
    ) -> DispatchRecord | None:
        """A dispatch's record (``GET /dispatches/{id}``), with its manifest and its task counts
        (``node_counts``) if asked for; None if unknown."""
        record = records.read_dispatch(self._conn, dispatch_id, with_manifest=with_manifest)
        if record is not None and with_counts:
            record = replace(record, node_counts=self.node_counts([dispatch_id])[dispatch_id])
        return record

    def node_counts(self, dispatch_ids: list[str]) -> dict[str, dict[str, int]]:
        """Task nodes by status, for each dispatch."""
        return records.count_nodes(self._conn, dispatch_ids)

    def nodes(self, dispatch_id: str) -> list[NodeBrief]:
        """A dispatch's node records, without stdout and stderr."""
        return records.read_nodes(self._conn, dispatch_id, brief=True)

    def timeline(self, dispatch_id: str, node_ids: Iterable[int] | None = None) -> list[NodeTiming]:
        """Task nodes' timing records (``GET /dispatches/{id}/timeline``): executor, worker, submitted,
        started, ended, attempts, earlier attempts (``history``) and transfers; all nodes, or ``node_ids``."""
        return records.read_timeline(self._conn, dispatch_id, node_ids)

    def node(self, dispatch_id: str, node_id: int) -> NodeRecord | None:
        """One node's whole record (``GET /dispatches/{id}/nodes/{node_id}``: stdout, stderr, error, transfers)."""
        return records.read_node(self._conn, dispatch_id, node_id)

    def dispatches(
        self,
        *,
        status: list[str] | None = None,
        search: str = "",
        sort: str = "created",
        order: str = "desc",
        limit: int = 50,
        offset: int = 0,
        name: str = "",
        created_after: float | None = None,
        created_before: float | None = None,
        ids: list[str] | None = None,
    ) -> tuple[list[DispatchRecord], int]:
        """One page of top-level dispatches (with ``node_counts``), and how many match in all
        (``GET /dispatches``'s filters).

        ``ids``: only among these dispatches (which of them match the other filters).
        """
        return records.list_dispatches(
            self._conn,
            status=status,
            search=search,
            sort=sort,
            order=order,
            limit=limit,
            offset=offset,
            name=name,
            created_after=created_after,
            created_before=created_before,
            ids=ids,
        )

    def lattice_names(self) -> list[str]:
        """The names of top-level dispatches, alphabetically (for a filter's suggestions)."""
        return records.lattice_names(self._conn)

    def overview(self, since: float) -> Overview:
        """Dispatches running now and ended since ``since``, by status, and their tasks' run time in seconds."""
        return records.overview(self._conn, since)

    def triggers(self, dispatch_id: str) -> list[PublicTrigger]:
        """The triggers of a dispatch (``GET /triggers?dispatch_id=`` answers their ``as_json()``; secrets masked)."""
        return [public_trigger(r) for r in trigger_records.read_triggers(self._conn, dispatch_ids=[dispatch_id])]

    def trigger_runs(self, dispatch_id: str, limit: int = 20) -> tuple[list[TriggerRun], int]:
        """The newest runs the triggers of a dispatch started (with their status), and how many in all."""
        return trigger_records.recent_runs(self._conn, dispatch_id, limit)

    def trigger_links(self, dispatch_ids: list[str]) -> dict[str, TriggerLinks]:
        """Which of these dispatches have triggers (``triggers``, ``observing``, ``runs``) or are runs (``origin``)."""
        return trigger_records.run_links(self._conn, dispatch_ids)

    def value_previews(self, keys: Iterable[str]) -> dict[str, str]:
        """What to show for each stored value: the text preview made where the value was
        (the worker, or the SDK), else its size; ``<missing>`` for an unknown key.
        Never the value itself: nothing in the server unpickles one."""
        return self._view.state.blobs.describe(self._conn, list(keys))


class ServerView:
    def __init__(self, state: ServerState) -> None:
        self.state = state

    @classmethod
    def of(cls, state: Any) -> ServerView:
        """The view of the server whose state ``state`` is (``app.state.covalent`` of the parent app)."""
        if not isinstance(state, ServerState):
            raise TypeError(f"not a covalent server's state: {state!r}")
        return cls(state)

    async def read(self, fn: Callable[[Snapshot], T]) -> T:
        """Run ``fn`` on one :class:`Snapshot` in a worker thread."""
        engine = self.state.engine

        def run() -> T:
            with engine.connect() as conn:
                return fn(Snapshot(conn, self))

        return await asyncio.to_thread(run)

    # -- the server itself ------------------------------------------------------
    @property
    def log_path(self) -> Path | None:
        return self.state.log_path

    @property
    def data_dir(self) -> Path:
        return self.state.data_dir

    @property
    def panels(self) -> list[dict[str, str]]:
        """The dashboard panels plugins registered (``register_dashboard_panels``): title, path, description."""
        return list(self.state.panels)

    @property
    def token_required(self) -> bool:
        """Requests need the server's access token (it is bound beyond loopback, or was given one)."""
        return bool(self.state.token)

    def accepts_token(self, token: str) -> bool:
        """``token`` is the server's access token (compared in constant time); any token when none is set."""
        expected = self.state.token
        return not expected or hmac.compare_digest(token.encode(), expected.encode())

    def live_output(self, dispatch_id: str, node_id: int, limit: int = LIVE_OUTPUT_CHARS) -> tuple[str, str] | None:
        """What a running node has printed so far (stdout, stderr; the last ``limit`` characters of each).

        Known for tasks running on this machine (local, Dask or Slurm workers here),
        which mirror their output while they run; None where nothing was mirrored.
        """
        if not _SAFE_ID.fullmatch(dispatch_id):
            return None
        folder = self.state.live_output_dir
        texts = [
            _tail_text(folder / f"{dispatch_id}-{int(node_id)}.{stream}", limit) for stream in ("stdout", "stderr")
        ]
        if texts[0] is None and texts[1] is None:
            return None
        return texts[0] or "", texts[1] or ""

    def settings(self) -> dict[str, Any]:
        """The effective settings with secrets masked, plus the database URL and paths."""
        settings = dict(self.state.settings)
        settings["database"] = {"url": mask_url(self.state.database_url)}
        settings["paths"] = {"data_dir": str(self.state.data_dir), "log": str(self.state.log_path or "")}
        return mask_secrets(settings)

    def executors(self) -> list[dict[str, Any]]:
        """The executor instances the server has set up, with their state and backend details."""
        return self.state.executors.describe()

    # -- actions ---------------------------------------------------------------------
    async def redispatch(self, dispatch_id: str) -> str:
        """Run a stored dispatch again with the same inputs; the new dispatch's id.

        Raises :class:`DispatchNotFound`, or :class:`ManifestError` when the stored
        workflow can no longer run here.
        """
        return (await redispatch(self.state, dispatch_id)).dispatch_id
