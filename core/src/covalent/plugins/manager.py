"""Loading plugins from the ``covalent`` entry-point group, each in isolation.

Executors written for Covalent load here too, from Covalent's own places
(the ``covalent.executor.executor_plugins`` group and the executor folders,
:mod:`covalent.executor.legacy.discovery`): each is checked and registered
as the adapter of its executor (``covalent:<name>``), listed with
``contract="covalent"``, and isolated like any plugin.

A plugin that fails to import or to register is logged and listed with its
error; it never breaks the SDK or the server.  Loading imports each plugin's
module only; its executors are registered and checked when first needed
(:func:`check_executors`: by the executor registry, the listing, the
lifecycle hooks, and before any other hook of that plugin is called), so a
plugin that imports its executor classes in ``register_executors`` keeps them
off the server's way to ready.  A plugin whose executors fail that check is
unregistered then, and listed with its error, as one failing at load.  ``COVALENT_PLUGINS`` (a
comma-separated list of entry-point names) restricts which plugins load;
the built-in plugins always load.
"""

from __future__ import annotations

import logging
import os
import threading
import traceback
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import pluggy

from covalent.plugins.hookspecs import PROJECT_NAME, CovalentSpec, hookimpl

__all__ = [
    "BUILTIN_PLUGINS",
    "PluginInfo",
    "check_executors",
    "executor_distributions",
    "get_plugin_manager",
    "plugin_infos",
    "reset_plugins",
]

log = logging.getLogger(__name__)

#: Modules of covalent itself registered as plugins, exactly like third-party ones.
BUILTIN_PLUGINS = ("covalent.executor.local",)


@dataclass
class PluginInfo:
    name: str
    module: str
    version: str = ""
    distribution: str = ""
    executors: list[str] = field(default_factory=list)
    error: str = ""
    builtin: bool = False
    #: Whose executor contract: "bondflow" (``JobExecutor``) or "covalent" (``run(function, args, kwargs, ...)``).
    contract: str = "bondflow"

    @property
    def loaded(self) -> bool:
        return not self.error

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "module": self.module,
            "version": self.version,
            "distribution": self.distribution,
            "executors": list(self.executors),
            "loaded": self.loaded,
            "error": self.error,
            "builtin": self.builtin,
            "contract": self.contract,
        }


_lock = threading.RLock()
_manager: pluggy.PluginManager | None = None
_infos: list[PluginInfo] = []
#: Plugins loaded whose executors are not checked yet (see :func:`check_executors`).
_unchecked: list[tuple[PluginInfo, object]] = []


def _allowed() -> set[str] | None:
    raw = os.environ.get("COVALENT_PLUGINS", "").strip()
    if not raw:
        return None
    return {name.strip() for name in raw.split(",") if name.strip()}


def _executor_names(pm: pluggy.PluginManager, plugin: object) -> list[str]:
    """The executors one plugin registers (checked, so a bad one fails here)."""
    from covalent.executor.jobs import JobExecutor

    names: list[str] = []

    def register(cls: type) -> None:
        from covalent.executor.legacy.classes import CovalentExecutor

        if isinstance(cls, type) and issubclass(cls, CovalentExecutor):
            raise TypeError(
                f"register_executors: {cls.__name__} follows Covalent's contract (run(function, args, kwargs, "
                "task_metadata)); register its module through the entry-point group "
                "covalent.executor.executor_plugins instead"
            )
        if not (isinstance(cls, type) and issubclass(cls, JobExecutor)):
            raise TypeError(f"register_executors: {cls!r} is not an executor class")
        if not cls.short_name:
            raise TypeError(f"register_executors: {cls.__name__} has no short_name")
        names.append(cls.short_name)

    call_one(pm, plugin, "register_executors", register=register)
    return names


def _load_one(
    pm: pluggy.PluginManager, info: PluginInfo, load: Any, unchecked: list[tuple[PluginInfo, object]]
) -> None:
    try:
        plugin = load()
        pm.register(plugin, name=info.name)
    except Exception as exc:  # isolate: the plugin is listed with its error
        info.error = f"{type(exc).__name__}: {exc}"
        log.warning("covalent plugin %r failed to load: %s", info.name, info.error)
        log.debug("%s", traceback.format_exc())
        return
    unchecked.append((info, plugin))


def _check_one(pm: pluggy.PluginManager, info: PluginInfo, plugin: object) -> None:
    try:
        info.executors = _executor_names(pm, plugin)
    except Exception as exc:
        pm.unregister(plugin)
        info.error = f"{type(exc).__name__}: {exc}"
        log.warning("covalent plugin %r failed to register: %s", info.name, info.error)


def check_executors(pm: pluggy.PluginManager | None = None, plugins: Any = None) -> None:
    """Register and check the executors of loaded plugins not checked yet (``plugins``: only those).

    ``pm`` other than the process-wide manager (a test's own): nothing to do.
    Cheap once done: a look at an empty list.
    """
    if not _unchecked or (pm is not None and pm is not _manager):
        return
    with _lock:
        if _manager is None:
            return
        for pair in list(_unchecked):
            if plugins is not None and pair[1] not in plugins:
                continue
            _unchecked.remove(pair)
            _check_one(_manager, *pair)


def _load(pm: pluggy.PluginManager, unchecked: list[tuple[PluginInfo, object]]) -> list[PluginInfo]:
    import importlib

    from covalent._version import DISTRIBUTION, __version__

    infos: list[PluginInfo] = []
    for module in BUILTIN_PLUGINS:
        info = PluginInfo(
            name=module.rsplit(".", 1)[-1],
            module=module,
            version=__version__,
            distribution=DISTRIBUTION,
            builtin=True,
        )
        _load_one(pm, info, lambda m=module: importlib.import_module(m), unchecked)
        infos.append(info)
    allowed = _allowed()
    seen: set[str] = set()
    # One scan of every installed distribution for both groups: each scan reads every
    # distribution's metadata (~40 ms here, on the server's way to ready).
    everything = entry_points()
    ep: EntryPoint
    for ep in sorted(everything.select(group=PROJECT_NAME), key=lambda e: e.name):
        if ep.name in seen or (allowed is not None and ep.name not in allowed):
            continue
        seen.add(ep.name)
        dist = getattr(ep, "dist", None)
        info = PluginInfo(
            name=ep.name,
            module=ep.value,
            version=getattr(dist, "version", "") or "",
            distribution=getattr(dist, "name", "") or "",
        )
        _load_one(pm, info, ep.load, unchecked)
        infos.append(info)
    infos.extend(_load_covalent_plugins(pm, allowed, everything, unchecked))
    return infos


class _CovalentRegistration:
    """The pluggy plugin of one Covalent plugin: registers its adapter (its defaults apply in the worker)."""

    def __init__(self, adapter: type) -> None:
        self.adapter = adapter

    @hookimpl
    def register_executors(self, register: Any) -> None:
        register(self.adapter)


def _load_covalent_plugins(
    pm: pluggy.PluginManager, allowed: set[str] | None, everything: Any, unchecked: list[tuple[PluginInfo, object]]
) -> list[PluginInfo]:
    from covalent.executor.legacy.adapter import adapter_class
    from covalent.executor.legacy.discovery import NAME_PREFIX, find_sources, load_plugin

    infos: list[PluginInfo] = []
    for label, source in find_sources(everything):
        name = NAME_PREFIX + label
        if allowed is not None and name not in allowed and label not in allowed:
            continue
        info = PluginInfo(
            name=name,
            module=source.label,
            version=source.version,
            distribution=source.distribution,
            contract="covalent",
        )
        _load_one(pm, info, lambda s=source: _CovalentRegistration(adapter_class(load_plugin(s))), unchecked)
        infos.append(info)
    return infos


def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager, loading plugins on first use."""
    global _manager, _infos, _unchecked
    with _lock:
        if _manager is None:
            pm = pluggy.PluginManager(PROJECT_NAME)
            pm.add_hookspecs(CovalentSpec)
            unchecked: list[tuple[PluginInfo, object]] = []
            _infos = _load(pm, unchecked)
            _unchecked = unchecked
            _manager = pm
        return _manager


def plugin_infos() -> list[PluginInfo]:
    """What loaded and what failed to load (executors checked), in load order."""
    check_executors(get_plugin_manager())
    return list(_infos)


def executor_distributions() -> dict[str, str]:
    """Which installed distribution provides each loaded executor: ``{"dask": "bondflow-dask", ...}``."""
    out: dict[str, str] = {}
    for info in plugin_infos():
        for name in info.executors:
            out.setdefault(name, info.distribution)
    return out


def call_each(pm: pluggy.PluginManager, hook_name: str, /, **kwargs: Any) -> list[tuple[str, Exception]]:
    """Call a hook through pluggy one plugin at a time, so one that raises cannot stop the others.

    Plugins are called in pluggy's order (the last registered first,
    ``tryfirst``/``trylast`` honoured), each with its own wrappers.  Returns
    the failures as ``(plugin name, exception)``, in call order.
    """
    impls = getattr(pm.hook, hook_name).get_hookimpls()
    if _unchecked and pm is _manager:  # a plugin's executors are checked before any of its hooks is called
        check_executors(pm, {impl.plugin for impl in impls})
        impls = getattr(pm.hook, hook_name).get_hookimpls()
    failures: list[tuple[str, Exception]] = []
    for impl in reversed(impls):  # get_hookimpls lists them in the reverse of call order
        if impl.hookwrapper or impl.wrapper:
            continue
        try:
            call_one(pm, impl.plugin, hook_name, **kwargs)
        except Exception as exc:
            failures.append((impl.plugin_name, exc))
    return failures


def call_one(pm: pluggy.PluginManager, plugin: object, hook_name: str, /, **kwargs: Any) -> Any:
    """Call one registered plugin's implementation of a hook, through pluggy (its wrappers apply)."""
    others = [impl.plugin for impl in getattr(pm.hook, hook_name).get_hookimpls() if impl.plugin is not plugin]
    return pm.subset_hook_caller(hook_name, remove_plugins=others)(**kwargs)


def reset_plugins() -> None:
    """Forget loaded plugins (the next use loads them again)."""
    global _manager, _infos, _unchecked
    with _lock:
        _manager = None
        _infos = []
        _unchecked = []
