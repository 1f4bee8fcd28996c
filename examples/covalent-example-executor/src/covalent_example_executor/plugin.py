"""The entry point: registers the executor through covalent's hook."""

from __future__ import annotations

from collections.abc import Callable

from covalent.plugins import hookimpl


@hookimpl
def register_executors(register: Callable[[type], None]) -> None:
    from covalent_example_executor.executor import SubprocessExecutor  # on first need, not at load

    register(SubprocessExecutor)
