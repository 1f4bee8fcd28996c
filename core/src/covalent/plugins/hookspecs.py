"""The plugin contract: every hook covalent calls, typed and documented.

Plugins are modules or objects with functions marked ``@hookimpl`` and are
found through the ``covalent`` entry-point group.  Covalent's own executors
register through these same hooks.

Registration hooks receive a ``register`` callback, so one plugin can
register any number of things.  Lifecycle hooks come in before / after /
on_error triads; they are notifications (their return values are ignored),
are called in the server process, and must not block.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

__all__ = ["PROJECT_NAME", "CovalentSpec", "hookimpl", "hookspec"]

PROJECT_NAME = "covalent"
hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


class CovalentSpec:
    """Hook specifications of the ``covalent`` project."""

    # -- registration ------------------------------------------------------
    @hookspec
    def register_executors(self, register: Callable[[type], None]) -> None:
        """Register executor classes: call ``register(ExecutorClass)`` for each.

        The class must subclass :class:`covalent.executor.JobExecutor`
        (or :class:`~covalent.executor.SyncJobExecutor`) and set ``short_name``,
        the name electrons use (``executor="name"``).  It becomes reachable as
        ``ct.executor.<ClassName>``.

        Called when executors are first needed, not when the plugin loads:
        import the classes inside this hook, so loading the plugin (the server
        loads every plugin on its way to ready) does not import them.
        """

    @hookspec
    def executor_defaults(self) -> dict[str, dict[str, Any]] | None:
        """Default constructor arguments per executor name.

        Return ``{"slurm": {"partition": "debug"}}``.  The user's
        ``[executors.<name>]`` section of ``covalent.conf`` overrides these,
        and arguments given to an executor instance override both.
        """

    @hookspec
    def register_routes(self, register: Callable[[str, Any], None]) -> None:
        """Extend the server: ``register(path, asgi_app)`` mounts an ASGI app at ``path``.

        The dashboard is mounted at ``/`` this way; API routes live under ``/api``.
        """

    @hookspec
    def register_commands(self, register: Callable[[str, str], None]) -> None:
        """Add commands to the ``covalent`` command line: ``register(name, "module:attribute")``.

        The attribute is a ``click.Command``; its module is imported only when
        the command runs (``covalent cluster`` comes from covalent-dask this way).
        """

    @hookspec
    def register_dashboard_panels(self, register: Callable[[str, str, str], None]) -> None:
        """Add a dashboard page: ``register(title, path, description)``.

        ``path`` is served by a route the plugin registered with
        :meth:`register_routes`; the dashboard links to it from its menu.
        """

    # -- file transfers ----------------------------------------------------
    @hookspec(firstresult=True)
    def handles_file_transfers(self, executor: str, transfers: list[dict[str, Any]]) -> bool | None:
        """Say that executor ``executor`` (its ``short_name``) moves these file transfers itself.

        Called in the server process, before a job whose nodes have
        ``files=`` is packed for ``executor``.  ``transfers`` are the plain
        descriptions of every transfer of the job's nodes
        (:meth:`covalent.runtime.transfer.TransferSpec.to_json`: ``source``,
        ``destination``, ``order``, ``strategy``, ``protocol``, ``options``
        ...; no secrets).  Return True when the plugin's executor stages them
        itself (for instance an AWS Batch executor copying inputs through
        its S3 bucket before the container starts, outputs after it ends):
        the worker runtime then records each as ``DELEGATED`` instead of
        running it.  Either way the executor finds them in
        ``Job.metadata["files"]`` (node id -> that node's list).  Return
        None to leave them to the runtime, the default.  The first plugin
        that answers decides; the hook must not block.
        """

    # -- dispatch lifecycle ------------------------------------------------
    @hookspec
    def before_dispatch(self, dispatch_id: str, name: str, node_count: int) -> None:
        """A dispatch is about to start running."""

    @hookspec
    def after_dispatch(self, dispatch_id: str, status: str) -> None:
        """A dispatch ended: ``status`` is COMPLETED or CANCELLED."""

    @hookspec
    def on_dispatch_error(self, dispatch_id: str, error: str) -> None:
        """A dispatch ended FAILED; ``error`` says why."""

    # -- task lifecycle ----------------------------------------------------
    @hookspec
    def before_task(self, dispatch_id: str, node_id: int, name: str, executor: str) -> None:
        """A task node was handed to its executor."""

    @hookspec
    def after_task(self, dispatch_id: str, node_id: int, name: str, status: str) -> None:
        """A task node finished (COMPLETED or CANCELLED)."""

    @hookspec
    def on_task_error(self, dispatch_id: str, node_id: int, name: str, error: str) -> None:
        """A task node FAILED; ``error`` is its traceback."""
