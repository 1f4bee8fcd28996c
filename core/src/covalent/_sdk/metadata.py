"""Electrons' and lattices' settings in the shape Covalent keeps them (``.metadata``).

Covalent code reads ``electron.metadata["executor"]``, ``["executor_data"]``
and ``["hooks"]`` (``{"deps": {"bash": ..., "pip": ...}, "call_before": [...],
"call_after": [...]}``, each dependency in its ``to_dict()`` form), and a
lattice's also ``workflow_executor``.  This module builds that dict from
this project's own attributes; nothing is stored twice.
"""

from __future__ import annotations

from typing import Any

from covalent._sdk.deps import Deps, DepsBash, DepsPip

__all__ = ["executor_metadata", "hooks_metadata"]


def executor_metadata(executor: Any, key: str = "executor") -> dict[str, Any]:
    """``{key: short name, key_data: Covalent's description}`` of an ``executor=`` argument."""
    from covalent._sdk.executors import executor_spec

    spec = executor_spec(executor)
    if spec is None:
        return {key: None, f"{key}_data": None}
    data: dict[str, Any] = {}
    if not isinstance(executor, str | dict):
        data = {"type": type(executor).__name__, "short_name": spec["name"], "attributes": dict(spec["kwargs"])}
    return {key: spec["name"], f"{key}_data": data}


def _merged(deps: list[Deps], kind: type[Deps]) -> dict[str, Any] | None:
    """One dependency of ``kind`` in Covalent's form, merging several of the same kind."""
    if not deps:
        return None
    if len(deps) == 1:
        return deps[0].to_dict()
    if kind is DepsBash:
        return DepsBash([c for d in deps if isinstance(d, DepsBash) for c in d.commands]).to_dict()
    return DepsPip([p for d in deps if isinstance(d, DepsPip) for p in d.packages]).to_dict()


def hooks_metadata(
    deps_bash: list[Deps], deps_pip: list[Deps], call_before: list[Deps], call_after: list[Deps]
) -> dict[str, Any] | None:
    """Covalent's ``hooks`` entry; None when there are no dependencies at all."""
    if not (deps_bash or deps_pip or call_before or call_after):
        return None
    hooks: dict[str, Any] = {}
    merged = {"bash": _merged(deps_bash, DepsBash), "pip": _merged(deps_pip, DepsPip)}
    deps = {name: value for name, value in merged.items() if value is not None}
    if deps:
        hooks["deps"] = deps
    if call_before:
        hooks["call_before"] = [d.to_dict() for d in call_before]
    if call_after:
        hooks["call_after"] = [d.to_dict() for d in call_after]
    return hooks
