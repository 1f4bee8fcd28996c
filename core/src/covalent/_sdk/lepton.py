"""``ct.Lepton`` and ``ct.leptons.bash``: tasks written in another language, as Covalent defines them.

A lepton is an electron whose function is a :class:`~covalent.runtime.lepton.LeptonCall`:
a shell command, a function of a C shared library (called through ctypes
with the declared ``argtypes``) or a function of a Python module, named here
and called where the task runs, on any executor.

    add = ct.Lepton("C", library_name="/opt/lib/libmath.so", function_name="add",
                    argtypes=[(ctypes.c_int, ct.Lepton.INPUT), (ctypes.c_int, ct.Lepton.INPUT),
                              (ctypes.POINTER(ctypes.c_int), ct.Lepton.OUTPUT)])

    @ct.leptons.bash
    def archive(folder):
        return f"tar czf {folder}.tgz {folder}"

As in Covalent, ``DepsCall(..., retval_keyword=...)`` is refused for leptons
(the foreign function could not take the value).  ``files=`` transfers run
before and after the lepton as for any electron, but the lepton does not
receive the ``files`` argument (the command or foreign function could not
take it).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from covalent._sdk.deps import DepsCall, as_deps_list
from covalent._sdk.electron import Electron
from covalent.runtime.lepton import Direction, LeptonCall, LeptonSpec

__all__ = ["Lepton", "bash"]


def _refuse_retval_keywords(call_before: Any, call_after: Any) -> None:
    for dep in [*as_deps_list(call_before, DepsCall), *as_deps_list(call_after, DepsCall)]:
        if dep.retval_keyword:
            raise ValueError(
                f"DepsCall retval_keyword {dep.retval_keyword!r} is not supported for leptons: the foreign "
                "function cannot take the value; remove retval_keyword from the DepsCall"
            )


class Lepton(Electron):
    """A task whose body is a shell command, a C function or a Python function named by module."""

    INPUT = Direction.INPUT
    OUTPUT = Direction.OUTPUT
    INPUT_OUTPUT = Direction.INPUT_OUTPUT
    takes_files = False

    def __init__(
        self,
        language: str = "python",
        *,
        library_name: str = "",
        function_name: str = "",
        argtypes: Sequence[Any] | None = None,
        command: str | Sequence[str] = "",
        named_outputs: str | Sequence[str] | None = None,
        display_name: str = "",
        restype: Any = None,
        executor: Any = None,
        files: Any = None,
        deps_bash: Any = None,
        deps_pip: Any = None,
        call_before: Any = None,
        call_after: Any = None,
        retries: int = 0,
        time_limit: float | None = None,
        _command_from: Callable[..., Any] | None = None,
    ) -> None:
        _refuse_retval_keywords(call_before, call_after)
        if _command_from is None:
            spec = LeptonSpec.build(
                language,
                library_name=library_name,
                function_name=function_name,
                argtypes=argtypes or (),
                command=command,
                named_outputs=named_outputs or (),
                display_name=display_name,
                restype=restype,
            )
        else:
            spec = LeptonSpec("bash", display_name=display_name or _command_from.__name__)
        super().__init__(
            LeptonCall(spec, _command_from),
            executor=executor,
            files=files,
            deps_bash=deps_bash,
            deps_pip=deps_pip,
            call_before=call_before,
            call_after=call_after,
            retries=retries,
            time_limit=time_limit,
        )
        self.spec = spec

    # Covalent's attribute names, read from the spec.
    @property
    def language(self) -> str:
        return self.spec.language

    @property
    def library_name(self) -> str:
        return self.spec.library_name

    @property
    def function_name(self) -> str:
        return self.spec.function_name

    @property
    def argtypes(self) -> list[tuple[str, int]]:
        return [(name, int(direction)) for name, direction in self.spec.argtypes]

    @property
    def command(self) -> str:
        return self.spec.command

    @property
    def named_outputs(self) -> list[str]:
        return list(self.spec.named_outputs)

    @property
    def display_name(self) -> str:
        return self.spec.display_name

    def __repr__(self) -> str:
        return f"<lepton {self.name} ({self.spec.language})>"


def bash(
    _func: Callable[..., str] | None = None,
    *,
    display_name: str = "",
    executor: Any = None,
    files: Any = None,
    deps_bash: Any = None,
    deps_pip: Any = None,
    call_before: Any = None,
    call_after: Any = None,
) -> Any:
    """Make a function that returns a shell command into a task that runs that command.

    The function is called where the task runs, with the task's arguments
    (so they may be other electrons' outputs); the command's stdout and
    stderr become the node's, and a non-zero exit fails the node.
    """

    def decorate(func: Callable[..., str]) -> Callable[..., Any]:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            task = Lepton(
                "bash",
                display_name=display_name,
                executor=executor,
                files=files,
                deps_bash=deps_bash,
                deps_pip=deps_pip,
                call_before=call_before,
                call_after=call_after,
                _command_from=func,
            )
            return task(*args, **kwargs)

        return wrapper

    return decorate(_func) if _func is not None else decorate
