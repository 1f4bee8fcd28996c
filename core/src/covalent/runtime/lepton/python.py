"""Calling a python lepton: ``library_name.function_name`` imported where the task runs."""

from __future__ import annotations

import importlib
from typing import Any

from covalent.runtime.lepton.spec import LeptonError, LeptonSpec

__all__ = ["call_python"]


def call_python(spec: LeptonSpec, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    try:
        module = importlib.import_module(spec.library_name)
    except ImportError as exc:
        raise LeptonError(f"python lepton {spec.name!r}: cannot import module {spec.library_name!r}: {exc}") from None
    function = getattr(module, spec.function_name, None)
    if not callable(function):
        raise LeptonError(
            f"python lepton {spec.name!r}: module {spec.library_name!r} has no function {spec.function_name!r}"
        )
    return function(*args, **kwargs)
