"""An example Covalent executor plugin: each job in a fresh Python process."""

from covalent_example_executor.executor import SubprocessExecutor

__all__ = ["SubprocessExecutor"]
