"""Plugins: hook specifications and the isolated loader."""

from covalent.plugins.hookspecs import CovalentSpec, hookimpl, hookspec
from covalent.plugins.manager import PluginInfo, get_plugin_manager, plugin_infos, reset_plugins

__all__ = [
    "CovalentSpec",
    "PluginInfo",
    "get_plugin_manager",
    "hookimpl",
    "hookspec",
    "plugin_infos",
    "reset_plugins",
]
