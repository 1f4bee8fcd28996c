"""Plugins: hook specifications and the isolated loader.

The loader (``covalent.plugins.manager``) is imported on first use: it needs
``importlib.metadata``, a fifth of ``import covalent``, and a workflow
script or ``covalent start`` never loads plugins itself.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from covalent.plugins.hookspecs import CovalentSpec, hookimpl, hookspec

if TYPE_CHECKING:
    from covalent.plugins.manager import (
        PluginInfo,
        executor_distributions,
        get_plugin_manager,
        plugin_infos,
        reset_plugins,
    )

__all__ = [
    "CovalentSpec",
    "PluginInfo",
    "executor_distributions",
    "get_plugin_manager",
    "hookimpl",
    "hookspec",
    "plugin_infos",
    "reset_plugins",
]

_FROM_MANAGER = {"PluginInfo", "executor_distributions", "get_plugin_manager", "plugin_infos", "reset_plugins"}


def __getattr__(name: str) -> Any:
    if name in _FROM_MANAGER:
        return getattr(importlib.import_module("covalent.plugins.manager"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
