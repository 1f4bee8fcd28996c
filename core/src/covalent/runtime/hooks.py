"""What runs around a task where it runs: deps_bash, deps_pip, call_before, call_after."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = ["Dependency", "TaskHooks"]


class Dependency(Protocol):
    """What the runtime needs of a dependency (``ct.DepsBash``, ``DepsPip``, ``DepsCall``)."""

    retval_keyword: str

    def apply(self) -> Any: ...


@dataclass
class TaskHooks:
    deps_bash: Sequence[Dependency] = field(default_factory=list)
    deps_pip: Sequence[Dependency] = field(default_factory=list)
    call_before: Sequence[Dependency] = field(default_factory=list)
    call_after: Sequence[Dependency] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.deps_bash or self.deps_pip or self.call_before or self.call_after)

    def before(self) -> dict[str, Any]:
        """Run the dependencies; return the keyword arguments to inject."""
        self.install()
        return self.call()

    def install(self) -> None:
        """The environment's dependencies: ``deps_bash``, then ``deps_pip``."""
        for dep in [*self.deps_bash, *self.deps_pip]:
            dep.apply()

    def call(self) -> dict[str, Any]:
        """The ``call_before`` functions; returns the keyword arguments to inject.

        Several with the same ``retval_keyword`` give the task the list of
        their values, in order (as Covalent does); one gives its value.
        """
        values: dict[str, list[Any]] = {}
        for dep in self.call_before:
            value = dep.apply()
            if dep.retval_keyword:
                values.setdefault(dep.retval_keyword, []).append(value)
        return {key: found[0] if len(found) == 1 else found for key, found in values.items()}

    def after(self) -> None:
        for dep in self.call_after:
            dep.apply()
