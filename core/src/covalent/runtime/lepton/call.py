"""The function of a lepton's node: a picklable object that runs its :class:`LeptonSpec`.

It is what the worker unpickles and calls, so it holds plain data (and, for
``ct.leptons.bash``, the user's function that writes the command from the
task's arguments, called where the task runs).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from covalent.runtime.lepton.c import call_c
from covalent.runtime.lepton.python import call_python
from covalent.runtime.lepton.shell import run_shell
from covalent.runtime.lepton.spec import LeptonError, LeptonSpec

__all__ = ["LeptonCall"]

_RUNNERS: dict[str, Callable[[LeptonSpec, tuple[Any, ...], dict[str, Any]], Any]] = {
    "bash": run_shell,
    "c": call_c,
    "python": call_python,
}


class LeptonCall:
    """Call the foreign function or command ``spec`` names with the task's arguments.

    With ``command_from``, the command is ``command_from(*args, **kwargs)``
    (a string) and runs with no arguments of its own, as Covalent's
    ``ct.leptons.bash`` does; ``spec`` then only names the task.
    """

    def __init__(self, spec: LeptonSpec, command_from: Callable[..., Any] | None = None) -> None:
        self.spec = spec
        self.command_from = command_from
        self.__name__ = spec.name
        self.__qualname__ = f"Lepton.{self.__name__}"
        self.__doc__ = f"Lepton calling {spec.language} {spec.function_name or 'command'}"
        if command_from is not None:
            self.__signature__ = inspect.signature(command_from)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        spec = self.spec
        if self.command_from is not None:
            command = self.command_from(*args, **kwargs)
            if not isinstance(command, str) or not command.strip():
                raise LeptonError(
                    f"bash lepton {self.__name__!r}: the decorated function must return the command as a "
                    f"non-empty string, got {command!r}"
                )
            spec = LeptonSpec.build("bash", command=command, display_name=self.__name__)
            args, kwargs = (), {}
        return _RUNNERS[spec.language](spec, args, kwargs)

    def __repr__(self) -> str:
        return f"<lepton {self.__name__} ({self.spec.language})>"
