"""Finding executors written for Covalent, as Covalent found them, and checking their contract.

Two sources, Covalent's own: modules named by the entry-point group
``covalent.executor.executor_plugins`` (what ``pip install
covalent-ssh-plugin`` registers), and every ``*.py`` file in the folders of
the ``sdk.executor_dir`` setting and ``COVALENT_EXECUTOR_DIR`` (colon
separated).  A module names its executor class in ``executor_plugin_name``
(or ``EXECUTOR_PLUGIN_NAME``) and may give default constructor arguments in
``_EXECUTOR_PLUGIN_DEFAULTS``; the executor's name is the module's last
component (``covalent_ssh_plugin.ssh`` is "ssh"), as in Covalent.

:func:`load_plugin` imports one source and checks it: the class exists,
follows Covalent's contract (a subclass of
``covalent.executor.base.BaseExecutor`` or ``AsyncBaseExecutor`` whose
``run`` takes ``function, args, kwargs, task_metadata``), and can be built
from its defaults and the user's ``[executors.<name>]`` section (as
``executor="<name>"`` builds it).  Anything wrong raises
:class:`CovalentPluginError` saying what, and the loader lists the plugin
with that error.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
import os
import sys
from dataclasses import asdict, dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any

from covalent.executor.legacy.classes import AsyncBaseExecutor, CovalentExecutor

__all__ = [
    "ENTRY_POINT_GROUP",
    "NAME_PREFIX",
    "CovalentPluginError",
    "LegacyPlugin",
    "PluginSource",
    "executor_dirs",
    "find_sources",
    "load_plugin",
]

#: Covalent's entry-point group for executor plugins.
ENTRY_POINT_GROUP = "covalent.executor.executor_plugins"
#: Our name of a Covalent-contract executor is this prefix and Covalent's name ("covalent:ssh").
NAME_PREFIX = "covalent:"
_RUN_PARAMETERS = ("function", "args", "kwargs", "task_metadata")


class CovalentPluginError(Exception):
    """A Covalent plugin that cannot be used: it failed to import, names no class, breaks the contract..."""


@dataclass(frozen=True)
class PluginSource:
    """Where a Covalent plugin comes from: an importable module, or a file of an executor folder."""

    module: str = ""
    file: str = ""
    distribution: str = ""
    version: str = ""

    @property
    def label(self) -> str:
        return self.module or self.file

    def load(self) -> ModuleType:
        """Import the module (a file under Covalent's module name for it: its path without ``.py``)."""
        if self.module:
            return importlib.import_module(self.module)
        name = self.file[:-3]
        if name in sys.modules:
            return sys.modules[name]
        spec = importlib.util.spec_from_file_location(name, self.file)
        if spec is None or spec.loader is None:
            raise CovalentPluginError(f"{self.file} cannot be imported")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(name, None)
            raise
        return module


@dataclass(frozen=True)
class LegacyPlugin:
    """A checked Covalent plugin: its executor's name and class, where it comes from, its defaults."""

    name: str  # Covalent's name, "ssh"
    class_name: str
    source: PluginSource
    kind: str  # "BaseExecutor" (synchronous) or "AsyncBaseExecutor"
    defaults: dict[str, Any] = field(default_factory=dict)

    @property
    def executor_name(self) -> str:
        """Our name for it: ``covalent:<name>``."""
        return NAME_PREFIX + self.name

    def load_class(self) -> type[CovalentExecutor]:
        cls = getattr(self.source.load(), self.class_name)
        assert isinstance(cls, type) and issubclass(cls, CovalentExecutor)
        return cls

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LegacyPlugin:
        return cls(**{**data, "source": PluginSource(**data["source"])})


def executor_dirs() -> list[str]:
    """The executor folders: the ``sdk.executor_dir`` setting, then ``COVALENT_EXECUTOR_DIR`` (``:``-separated)."""
    from covalent import config

    raw = [str(config.get("sdk.executor_dir", "") or ""), os.environ.get("COVALENT_EXECUTOR_DIR", "")]
    folders: list[str] = []
    for value in raw:
        for folder in value.split(":"):
            folder = os.path.abspath(os.path.expanduser(folder)) if folder else ""
            if folder and folder not in folders:
                folders.append(folder)
    return folders


def find_sources(installed: Any = None) -> list[tuple[str, PluginSource]]:
    """``(label, source)`` of every Covalent plugin: the entry points first, then the executor folders' files.

    ``installed``: every entry point (``importlib.metadata.entry_points()``) when
    the caller has them already (scanning the distributions again costs as much).
    """
    found: list[tuple[str, PluginSource]] = []
    seen: set[str] = set()
    group = (
        installed.select(group=ENTRY_POINT_GROUP) if installed is not None else entry_points(group=ENTRY_POINT_GROUP)
    )
    for ep in sorted(group, key=lambda e: e.name):
        if ep.value in seen:
            continue
        seen.add(ep.value)
        dist = getattr(ep, "dist", None)
        module = ep.value.partition(":")[0]
        source = PluginSource(
            module=module, distribution=getattr(dist, "name", "") or "", version=getattr(dist, "version", "") or ""
        )
        found.append((ep.name, source))
    for folder in executor_dirs():
        for path in sorted(Path(folder).glob("*.py")):
            if path.name == "__init__.py" or str(path) in seen:
                continue
            seen.add(str(path))
            found.append((path.stem, PluginSource(file=str(path))))
    return found


def _json_defaults(name: str, defaults: Any) -> dict[str, Any]:
    if not isinstance(defaults, dict):
        raise CovalentPluginError(f"_EXECUTOR_PLUGIN_DEFAULTS of {name!r} is a {type(defaults).__name__}, not a dict")
    clean: dict[str, Any] = {}
    for key, value in defaults.items():
        if isinstance(value, os.PathLike):
            value = os.fspath(value)
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            continue  # a default that cannot be written to covalent.conf stays the class's own
        clean[str(key)] = value
    return clean


def _check_contract(name: str, cls: Any) -> str:
    from covalent.executor.jobs import JobExecutor

    if isinstance(cls, type) and issubclass(cls, JobExecutor):
        raise CovalentPluginError(
            f"{cls.__name__} is a bondflow executor (covalent.executor.JobExecutor), not one of Covalent's "
            "contract: register it through the entry-point group 'covalent' (docs/writing-an-executor-plugin.md)"
        )
    if not (isinstance(cls, type) and issubclass(cls, CovalentExecutor)):
        raise CovalentPluginError(
            f"{getattr(cls, '__name__', cls)!r} is not an executor: it must subclass "
            "covalent.executor.base.BaseExecutor or AsyncBaseExecutor"
        )
    if inspect.isabstract(cls):
        missing = ", ".join(sorted(getattr(cls, "__abstractmethods__", ())))
        raise CovalentPluginError(f"{cls.__name__} does not implement {missing}")
    run = cls.__dict__.get("run") or next(c.__dict__["run"] for c in cls.__mro__ if "run" in c.__dict__)
    parameters = list(inspect.signature(run).parameters)[1:]
    if tuple(parameters[:4]) != _RUN_PARAMETERS and len(parameters) < 4:
        raise CovalentPluginError(
            f"{cls.__name__}.run takes ({', '.join(parameters)}); Covalent's contract is "
            "run(function, args, kwargs, task_metadata)"
        )
    asynchronous = inspect.iscoroutinefunction(run)
    if issubclass(cls, AsyncBaseExecutor) != asynchronous:
        base = "AsyncBaseExecutor" if issubclass(cls, AsyncBaseExecutor) else "BaseExecutor"
        raise CovalentPluginError(
            f"{cls.__name__} subclasses {base} but its run is {'' if asynchronous else 'not '}async"
        )
    return "AsyncBaseExecutor" if issubclass(cls, AsyncBaseExecutor) else "BaseExecutor"


def load_plugin(source: PluginSource) -> LegacyPlugin:
    """Import and check one Covalent plugin; :class:`CovalentPluginError` (or its own exception) if it is unusable."""
    try:
        module = source.load()
    except Exception as exc:
        raise CovalentPluginError(f"importing {source.label} raised {type(exc).__name__}: {exc}") from exc
    class_name = getattr(module, "executor_plugin_name", None) or getattr(module, "EXECUTOR_PLUGIN_NAME", None)
    if not class_name:
        raise CovalentPluginError(
            f"{source.label} names no executor class: set executor_plugin_name = '<class name>' in it"
        )
    name = module.__name__.split("/")[-1].split(".")[-1]
    cls = getattr(module, str(class_name), None)
    if cls is None or getattr(cls, "__module__", None) != module.__name__:
        raise CovalentPluginError(f"{source.label} names executor class {class_name!r}, which it does not define")
    kind = _check_contract(name, cls)
    defaults = _json_defaults(name, getattr(module, "_EXECUTOR_PLUGIN_DEFAULTS", {}) or {})
    plugin = LegacyPlugin(name=name, class_name=str(class_name), source=source, kind=kind, defaults=defaults)
    try:
        build(plugin, cls)
    except Exception as exc:
        raise CovalentPluginError(
            f"{cls.__name__}(**defaults) raised {type(exc).__name__}: {exc} (executor={name!r} builds it that way)"
        ) from exc
    return plugin


def options(plugin: LegacyPlugin) -> dict[str, Any]:
    """The constructor arguments ``executor="<name>"`` uses: the plugin's defaults, then ``[executors.<name>]``."""
    from covalent import config

    return {**plugin.defaults, **config.executor_config(plugin.name)}


def build(plugin: LegacyPlugin, cls: type[CovalentExecutor] | None = None, **overrides: Any) -> CovalentExecutor:
    """An instance as Covalent's ``get_executor(name)`` made it."""
    cls = cls or plugin.load_class()
    return cls(**{**options(plugin), **overrides})
