"""Executor classes by name, and turning ``executor=`` specs into instances."""

from __future__ import annotations

import logging
import threading
from typing import Any

from covalent.errors import ExecutorNotFoundError, ExecutorOptionsError
from covalent.executor.jobs import JobExecutor

__all__ = [
    "KNOWN_PACKAGES",
    "ExecutorNames",
    "build_executor",
    "clear_cache",
    "default_executor_name",
    "executor_classes",
    "executor_defaults",
    "install_hint",
]

log = logging.getLogger(__name__)

#: The distribution of this project that provides each executor, for install
#: hints (one line per executor; never a name this project does not publish:
#: a hint naming a free registry name invites a stranger's package).
KNOWN_PACKAGES = {
    "dask": "bondflow-dask",
    "slurm": "bondflow-slurm",
    "slurm_pool": "bondflow-slurm",
    "ssh": "bondflow-ssh",
    "awsbatch": "bondflow-aws",
    "awslambda": "bondflow-aws",
    "qiskit": "bondflow-qiskit",
    "pennylane": "bondflow-pennylane",
}

_lock = threading.Lock()
#: The classes found, and the plugin manager they were asked of (a new manager asks again).
_classes: tuple[object, dict[str, type[JobExecutor]]] | None = None


def clear_cache() -> None:
    global _classes
    with _lock:
        _classes = None


def executor_classes() -> dict[str, type[JobExecutor]]:
    """Every registered executor class, by short name (the first plugin registered wins a name).

    A Covalent plugin's adapter is there as ``covalent:<name>`` and, when no
    native executor is called so, as Covalent's plain ``<name>`` too.
    """
    global _classes
    from covalent.plugins.manager import call_each, get_plugin_manager

    pm = get_plugin_manager()
    with _lock:
        if _classes is not None and _classes[0] is pm:
            return dict(_classes[1])
    found: dict[str, type[JobExecutor]] = {}

    def register(cls: type[JobExecutor]) -> None:
        if isinstance(cls, type) and issubclass(cls, JobExecutor) and cls.short_name:
            found[cls.short_name] = cls  # pluggy calls the last registered first

    for plugin, exc in call_each(pm, "register_executors", register=register):
        log.warning("plugin %s failed to register executors: %s: %s", plugin, type(exc).__name__, exc)
    for cls in list(found.values()):  # a Covalent plugin's own name, "ssh", unless a native executor has it
        covalent_name = getattr(cls, "covalent_name", "")
        if covalent_name and covalent_name not in found:
            found[covalent_name] = cls
    with _lock:
        _classes = (pm, found)
    return dict(found)


def executor_defaults(name: str) -> dict[str, Any]:
    """Plugin defaults for ``name``, overridden by the user's config section."""
    from covalent import config
    from covalent.plugins.manager import get_plugin_manager

    merged: dict[str, Any] = {}
    for result in reversed(get_plugin_manager().hook.executor_defaults()):
        if result and isinstance(result.get(name), dict):
            merged.update(result[name])
    merged.update(config.executor_config(name))
    return merged


def default_executor_name() -> str:
    from covalent import config

    configured = str(config.get("dispatcher.default_executor", "") or "")
    if configured:
        return configured
    return "dask" if "dask" in executor_classes() else "local"


def _core_extras() -> set[str]:
    from importlib.metadata import PackageNotFoundError, metadata

    from covalent._version import DISTRIBUTION

    try:
        return set(metadata(DISTRIBUTION).get_all("Provides-Extra") or [])
    except PackageNotFoundError:
        return set()


def install_hint(name: str) -> str:
    """How to install executor ``name``: ``pip install "bondflow[dask]"``, or ``""`` if not ours.

    The core's extra when its metadata has one of that name (``bondflow-dask``
    is the extra ``dask``), else the plugin distribution itself.
    """
    from covalent._version import DISTRIBUTION

    package = KNOWN_PACKAGES.get(name)
    if not package:
        return ""
    extra = package.removeprefix(f"{DISTRIBUTION}-")
    if extra in _core_extras():
        return f'pip install "{DISTRIBUTION}[{extra}]" (distribution {package})'
    return f"pip install {package}"


def build_executor(spec: dict[str, Any] | None) -> JobExecutor:
    """An executor instance from its serialized form (``None``: the default)."""
    name = (spec or {}).get("name") or default_executor_name()
    classes = executor_classes()
    cls = classes.get(name)
    if cls is None:
        hint = install_hint(name)
        hint = f" Install it with: {hint}." if hint else ""
        installed = ", ".join(sorted(classes)) or "none"
        raise ExecutorNotFoundError(f"executor {name!r} is not installed (installed: {installed}).{hint}")
    if spec and "pickled_kwargs" in spec:
        raise ExecutorOptionsError(
            f"executor {name!r} has pickled options (from an older covalent), which the server no longer "
            "reads; dispatch the workflow again"
        )
    data = {"name": name, "kwargs": {**executor_defaults(name), **((spec or {}).get("kwargs") or {})}}
    return cls.from_dict(data)


class ExecutorNames:
    """The installed executors by name, as Covalent's ``covalent.executor._executor_manager`` lists them."""

    def list_executors(self, regenerate: bool = False, print_names: bool = True) -> list[str]:
        """The short names of every installed executor, the default first; printed, numbered, if asked."""
        if regenerate:
            clear_cache()
        default = default_executor_name()
        names = sorted(executor_classes(), key=lambda name: (name != default, name))
        if print_names:
            for number, name in enumerate(names, start=1):
                print(f"{number}. {name}")
        return names
