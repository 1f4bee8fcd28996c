"""``@ct.electron``: a function that becomes a task when called in a lattice."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from covalent._sdk.context import active_builder
from covalent._sdk.deps import DepsBash, DepsCall, DepsModule, DepsPip, as_deps_list
from covalent._sdk.executors import executor_spec
from covalent._sdk.lattice import Lattice
from covalent._sdk.metadata import executor_metadata, hooks_metadata
from covalent._sdk.transfer.file_transfer import FileTransfer, as_transfers
from covalent.errors import GraphBuildError
from covalent.runtime.hooks import TaskHooks

if TYPE_CHECKING:
    from covalent._sdk.building import Inherited, NodeOutput

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
        #: The ``metadata=`` given (free-form, recorded with the node).
        self.user_metadata = dict(metadata or {})
        # Name, docstring and __wrapped__ of the function, not its attributes: a
        # wrapped lattice's executor must not become this electron's.
        functools.update_wrapper(self, function, updated=())  # type: ignore[arg-type]

    @property
    def name(self) -> str:
        return getattr(self.function, "__name__", type(self.function).__name__)

    @property
    def electron_object(self) -> Electron:
        """This electron (Covalent's decorator returned a function holding it here)."""
        return self

    @property
    def metadata(self) -> dict[str, Any]:
        """Covalent's view of the settings: ``executor``, ``executor_data``, ``hooks`` (plus ``metadata=``)."""
        return {
            **self.user_metadata,
            **executor_metadata(self.executor),
            "hooks": hooks_metadata(self.deps_bash, self.deps_pip, self.call_before, self.call_after),
        }

    def hooks(self, lattice: Lattice | None, inherited: Inherited | None = None) -> TaskHooks | None:
        """This electron's dependencies; a kind it leaves unset comes from the lattice, then from ``inherited``."""

        def pick(name: str) -> list[Any]:
            own = getattr(self, name)
            if own:
                return list(own)
            from_lattice = getattr(lattice, name) if lattice is not None else []
            return list(from_lattice or (getattr(inherited, name) if inherited is not None else []))

        hooks = TaskHooks(
            deps_bash=pick("deps_bash"),
            deps_pip=pick("deps_pip"),
            call_before=pick("call_before"),
            call_after=pick("call_after"),
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
    deps_module: Any = None,
) -> Any:
    """Make ``_func`` a task; usable as ``@electron`` or ``@electron(executor=...)``.

    ``files``: :class:`ct.fs.FileTransfer <covalent._sdk.transfer.FileTransfer>`
    objects, run where the task runs, before or after it; the task receives
    their ``(from, to)`` paths as its ``files`` keyword argument.
    ``backend`` is Covalent's old name for ``executor`` and is accepted, and so
    is Covalent's ``deps_module`` (modules, module names or ``ct.DepsModule``s
    sent by value with the task). Wrapping a lattice
    (``electron(my_lattice)``) makes it a sublattice.
    """
    if deps_module is not None:
        modules = deps_module if isinstance(deps_module, list | tuple) else [deps_module]
        made = [m if isinstance(m, DepsModule) else DepsModule(m) for m in modules]
        call_before = [*made, *as_deps_list(call_before, DepsCall)]
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
