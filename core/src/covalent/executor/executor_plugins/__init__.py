"""Covalent's ``covalent.executor.executor_plugins`` import path (a face; docs/covalent-plugins.md)."""
