"""The entry point: registers the executor through covalent's hook."""

from __future__ import annotations

from collections.abc import Callable

from covalent.plugins import hookimpl
from covalent_example_executor.executor import SubprocessExecutor


@hookimpl
def register_executors(register: Callable[[type], None]) -> None:
    register(SubprocessExecutor)
