"""``@ct.electron``: a function that becomes a task when called in a lattice."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from covalent._sdk.context import active_builder
from covalent._sdk.deps import DepsBash, DepsCall, DepsPip, as_deps_list
from covalent._sdk.executors import executor_spec
from covalent._sdk.lattice import Lattice
from covalent._sdk.transfer.file_transfer import FileTransfer, as_transfers
from covalent.errors import GraphBuildError
from covalent.runtime.hooks import TaskHooks

if TYPE_CHECKING:
    from covalent._sdk.building import NodeOutput

__all__ = ["Electron", "electron", "wait"]


class Electron:
    """A task: ``function`` plus where and how it runs."""

    #: Whether the task receives its transfers' paths as the ``files`` keyword (leptons do not).
    takes_files = True

    def __init__(
        self,
        function: Callable[..., Any],
        *,
        executor: Any = None,
        files: FileTransfer | Sequence[FileTransfer] | None = None,
        deps_bash: DepsBash | Sequence[str] | str | None = None,
        deps_pip: DepsPip | Sequence[str] | None = None,
        call_before: DepsCall | Sequence[Any] | None = None,
        call_after: DepsCall | Sequence[Any] | None = None,
        retries: int = 0,
        time_limit: float | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        if not callable(function):
            raise TypeError(f"@electron needs a callable, got {function!r}")
        if retries < 0:
            raise ValueError("retries must be 0 or more")
        if time_limit is not None and time_limit <= 0:
            raise ValueError("time_limit must be a positive number of seconds")
        executor_spec(executor)  # fail now, not at dispatch, on a bad executor argument
        self.function = function
        self.executor = executor
        self.files = as_transfers(files)
        self.deps_bash = as_deps_list(deps_bash, DepsBash)
        self.deps_pip = as_deps_list(deps_pip, DepsPip)
        self.call_before = as_deps_list(call_before, DepsCall)
        self.call_after = as_deps_list(call_after, DepsCall)
        self.retries = int(retries)
        self.time_limit = float(time_limit) if time_limit is not None else None
        self.metadata = dict(metadata or {})
        functools.update_wrapper(self, function)  # type: ignore[arg-type]

    @property
    def name(self) -> str:
        return getattr(self.function, "__name__", type(self.function).__name__)

    def hooks(self, lattice: Lattice | None) -> TaskHooks | None:
        """This electron's dependencies; a kind it leaves unset comes from the lattice."""
        hooks = TaskHooks(
            deps_bash=self.deps_bash or (lattice.deps_bash if lattice else []),
            deps_pip=self.deps_pip or (lattice.deps_pip if lattice else []),
            call_before=self.call_before or (lattice.call_before if lattice else []),
            call_after=self.call_after or (lattice.call_after if lattice else []),
        )
        return hooks or None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        builder = active_builder()
        if builder is None:
            return self.function(*args, **kwargs)
        func = self.function
        replacement = builder.replacements.get(self.name)
        if replacement is not None:
            func = replacement.function if isinstance(replacement, Electron) else replacement
        return builder.add_call(self, func, isinstance(func, Lattice), args, kwargs)

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        if instance is None:
            return self
        return functools.partial(self.__call__, instance)

    def __repr__(self) -> str:
        return f"<electron {self.name}>"


def electron(
    _func: Callable[..., Any] | None = None,
    *,
    executor: Any = None,
    files: Any = None,
    deps_bash: Any = None,
    deps_pip: Any = None,
    call_before: Any = None,
    call_after: Any = None,
    retries: int = 0,
    time_limit: float | None = None,
    metadata: dict[str, Any] | None = None,
    backend: Any = None,
) -> Any:
    """Make ``_func`` a task; usable as ``@electron`` or ``@electron(executor=...)``.

    ``files``: :class:`ct.fs.FileTransfer <covalent._sdk.transfer.FileTransfer>`
    objects, run where the task runs, before or after it; the task receives
    their ``(from, to)`` paths as its ``files`` keyword argument.
    ``backend`` is Covalent's old name for ``executor`` and is accepted.
    Wrapping a lattice (``electron(my_lattice)``) makes it a sublattice.
    """
    options = {
        "executor": executor if executor is not None else backend,
        "files": files,
        "deps_bash": deps_bash,
        "deps_pip": deps_pip,
        "call_before": call_before,
        "call_after": call_after,
        "retries": retries,
        "time_limit": time_limit,
        "metadata": metadata,
    }

    def decorate(func: Callable[..., Any]) -> Electron:
        return Electron(func, **options)

    if _func is not None:
        return decorate(_func)
    return decorate


def wait(child: NodeOutput, parents: Any) -> NodeOutput:
    """Make ``child`` wait for ``parents`` (one output or a list) without taking their values."""
    from covalent._sdk.building import NodeOutput

    builder = active_builder()
    if builder is None:
        return child
    if not isinstance(child, NodeOutput):
        raise GraphBuildError("ct.wait(child, parents): child must be an electron's output")
    items = parents if isinstance(parents, list | tuple) else [parents]
    for parent in items:
        if not isinstance(parent, NodeOutput):
            raise GraphBuildError(f"ct.wait(child, parents): every parent must be an electron's output, got {parent!r}")
        builder.wait_edge(child, parent)
    return child
