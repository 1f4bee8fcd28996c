"""Covalent's import path, kept for existing code: a face over this project's modules (docs/compatibility.md)."""

from covalent._dispatcher_plugins.local import LocalDispatcher
from covalent.client.triggers import stop_triggers

local_dispatch = LocalDispatcher.dispatch
local_dispatch_sync = LocalDispatcher.dispatch_sync
local_redispatch = LocalDispatcher.redispatch

__all__ = ["LocalDispatcher", "local_dispatch", "local_dispatch_sync", "local_redispatch", "stop_triggers"]
