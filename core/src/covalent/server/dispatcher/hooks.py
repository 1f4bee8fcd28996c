"""The dispatch and task lifecycle hooks, called through pluggy."""

from __future__ import annotations

import logging
from typing import Any

from covalent.plugins.manager import check_executors

__all__ = ["LifecycleHooks"]

log = logging.getLogger(__name__)


class LifecycleHooks:
    """Calls the lifecycle hooks of :class:`~covalent.plugins.hookspecs.CovalentSpec`.

    Every call goes through the plugin manager's hook caller (so pluggy's
    ordering, ``tryfirst``/``trylast`` and wrappers apply); a hook nobody
    implements costs one check, and a failing plugin is logged, never
    allowed to break the dispatch.
    """

    def __init__(self, plugin_manager: Any = None) -> None:
        self._pm = plugin_manager

    def _caller(self, hook_name: str) -> Any:
        """The hook's caller, once every loaded plugin's executors are checked (one that fails them is out)."""
        check_executors(self._pm)
        return getattr(self._pm.hook, hook_name)

    def notify(self, hook_name: str, /, **kwargs: Any) -> None:
        if self._pm is None:
            return
        caller = self._caller(hook_name)
        if not caller.get_hookimpls():
            return
        try:
            caller(**kwargs)
        except Exception as exc:
            log.warning("plugin hook %s failed: %s", hook_name, exc)

    def ask(self, hook_name: str, /, **kwargs: Any) -> Any:
        """A ``firstresult`` hook's answer; None when nobody implements it or the plugin failed."""
        if self._pm is None:
            return None
        caller = self._caller(hook_name)
        if not caller.get_hookimpls():
            return None
        try:
            return caller(**kwargs)
        except Exception as exc:
            log.warning("plugin hook %s failed: %s", hook_name, exc)
            return None
