"""Dependencies that run around a task, where the task runs.

``DepsBash`` runs shell commands, ``DepsPip`` installs packages, and
``DepsCall`` calls a function; with ``retval_keyword`` the function's return
value is passed to the task as that keyword argument.
"""

from __future__ import annotations

import importlib
import importlib.util
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

__all__ = ["Deps", "DepsBash", "DepsCall", "DepsModule", "DepsPip"]


class Deps:
    """Base of every dependency: ``apply()`` runs it and returns a value.

    ``to_dict()``/``from_dict()`` read and write Covalent's form
    (``{"type", "short_name", "attributes"}``), which Covalent code finds in a
    node's ``metadata["hooks"]``.
    """

    retval_keyword: str = ""

    def apply(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def short_name(self) -> str:
        return type(self).__name__.lower()

    def _attributes(self) -> dict[str, Any]:
        return {"retval_keyword": self.retval_keyword}

    def _load(self, attributes: dict[str, Any]) -> None:
        self.retval_keyword = str(attributes.get("retval_keyword") or "")

    def to_dict(self) -> dict[str, Any]:
        return {"type": type(self).__name__, "short_name": self.short_name(), "attributes": self._attributes()}

    def from_dict(self, object_dict: dict[str, Any] | None) -> Any:
        """Take the attributes of ``object_dict`` (Covalent's form); returns self."""
        if object_dict:
            self._load(dict(object_dict.get("attributes") or {}))
        return self


@dataclass
class DepsBash(Deps):
    """Shell commands run, in order, before the task; a failing one fails the task."""

    commands: list[str] = field(default_factory=list)

    def __init__(self, commands: str | Iterable[str] = ()) -> None:
        self.commands = [commands] if isinstance(commands, str) else list(commands)

    def _attributes(self) -> dict[str, Any]:
        return {"commands": list(self.commands), **super()._attributes()}

    def _load(self, attributes: dict[str, Any]) -> None:
        super()._load(attributes)
        commands = attributes.get("commands") or []
        self.commands = [commands] if isinstance(commands, str) else list(commands)

    def apply(self) -> str:
        out = []
        for command in self.commands:
            proc = subprocess.run(command, shell=True, capture_output=True, text=True, check=False)
            out.append(proc.stdout)
            if proc.stderr:
                sys.stderr.write(proc.stderr)
            if proc.returncode:
                raise RuntimeError(f"DepsBash command {command!r} exited with {proc.returncode}: {proc.stderr.strip()}")
        text = "".join(out)
        if text:
            sys.stdout.write(text)
        return text


@dataclass
class DepsPip(Deps):
    """Packages installed with pip where the task runs, before it runs."""

    packages: list[str] = field(default_factory=list)
    reqs_path: str = ""

    def __init__(self, packages: str | Iterable[str] = (), reqs_path: str = "") -> None:
        self.packages = [packages] if isinstance(packages, str) else list(packages)
        self.reqs_path = reqs_path

    def _attributes(self) -> dict[str, Any]:
        return {"packages": list(self.packages), "reqs_path": self.reqs_path, **super()._attributes()}

    def _load(self, attributes: dict[str, Any]) -> None:
        super()._load(attributes)
        packages = attributes.get("packages") or []
        self.packages = [packages] if isinstance(packages, str) else list(packages)
        self.reqs_path = str(attributes.get("reqs_path") or "")

    def apply(self) -> None:
        wanted = (["-r", self.reqs_path] if self.reqs_path else []) + self.packages
        if not wanted:
            return
        if importlib.util.find_spec("pip") is not None:
            base = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        elif shutil.which("uv"):  # environments made by uv have no pip
            base = ["uv", "pip", "install", "--quiet", "--python", sys.executable]
        else:
            raise RuntimeError("DepsPip: neither pip nor uv is available where the task runs")
        proc = subprocess.run(base + wanted, capture_output=True, text=True, check=False)
        if proc.returncode:
            raise RuntimeError(f"DepsPip could not install {' '.join(map(shlex.quote, wanted))}: {proc.stderr.strip()}")


@dataclass
class DepsCall(Deps):
    """Call ``func(*args, **kwargs)``; pass its result as ``retval_keyword`` if set."""

    func: Callable[..., Any] | None = None
    args: Sequence[Any] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    retval_keyword: str = ""

    def __init__(
        self,
        func: Callable[..., Any] | None = None,
        args: Sequence[Any] | None = None,
        kwargs: dict[str, Any] | None = None,
        *,
        retval_keyword: str = "",
    ) -> None:
        self.func = func
        self.args = list(args or ())
        self.kwargs = dict(kwargs or {})
        self.retval_keyword = retval_keyword

    def apply(self) -> Any:
        if self.func is None:
            return None
        return self.func(*self.args, **self.kwargs)

    def _attributes(self) -> dict[str, Any]:
        from covalent.graph.transportable import TransportableObject

        return {
            "apply_fn": TransportableObject(self.func)._to_dict(),
            "apply_args": TransportableObject(list(self.args))._to_dict(),
            "apply_kwargs": TransportableObject(dict(self.kwargs))._to_dict(),
            **super()._attributes(),
        }

    def _load(self, attributes: dict[str, Any]) -> None:
        super()._load(attributes)
        self.func = _unwrapped(attributes.get("apply_fn"))
        self.args = list(_unwrapped(attributes.get("apply_args")) or ())
        self.kwargs = dict(_unwrapped(attributes.get("apply_kwargs")) or {})


class DepsModule(DepsCall):
    """A module of the user's that tasks need: it travels with the workflow, pickled by value.

    Covalent used this to send an installed-on-the-client module to workers
    that lack it.  Here a workflow's own modules travel by value already
    (:mod:`covalent.graph.serialize`); naming one, even an installed one,
    makes it travel by value too.  Where the task runs there is nothing left
    to do.
    """

    def __init__(self, module: str | ModuleType) -> None:
        super().__init__()
        from covalent.graph.serialize import register_by_value

        loaded = importlib.import_module(module) if isinstance(module, str) else module
        register_by_value(loaded)
        self.module_name = loaded.__name__

    def apply(self) -> None:
        return None

    def _attributes(self) -> dict[str, Any]:
        return {"module_name": self.module_name, **super()._attributes()}


def _unwrapped(value: Any) -> Any:
    """A value from Covalent's dict form (a TransportableObject's dict, or the value itself)."""
    if isinstance(value, dict) and value.get("type") == "TransportableObject":
        from covalent.graph.transportable import TransportableObject

        return TransportableObject.from_dict(value).get_deserialized()
    return value


def as_deps_list(value: Any, kind: type[Deps]) -> list[Deps]:
    """Normalise the forms users pass (None, a Deps, strings, lists of either)."""
    if value is None:
        return []
    if isinstance(value, Deps):
        return [value]
    if isinstance(value, str):
        return [kind(value)] if kind in (DepsBash, DepsPip) else []
    items = list(value)
    if kind in (DepsBash, DepsPip) and all(isinstance(v, str) for v in items):
        return [kind(items)] if items else []
    result: list[Deps] = []
    for item in items:
        if isinstance(item, Deps):
            result.append(item)
        elif callable(item):
            result.append(DepsCall(item))
        else:
            raise TypeError(f"expected a Deps object or a callable, got {item!r}")
    return result
