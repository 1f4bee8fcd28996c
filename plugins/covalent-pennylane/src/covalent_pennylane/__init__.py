"""PennyLane executor for covalent: electrons evaluate QNodes on the executor's device.

``executor="pennylane"`` or ``PennyLaneExecutor(device="lightning.qubit", shots=1000)``.
Inside a task, :func:`device`, :func:`shots` and the :func:`qnode` decorator
use the device of the executor running it (``default.qubit`` elsewhere).

Names are loaded on first use: the server imports every plugin's entry point at
start-up and registers its executor classes only when they are first needed.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "PennyLaneExecutor",
    "TaskQNode",
    "current_config",
    "device",
    "qnode",
    "shots",
]

_WHERE = {
    "PennyLaneExecutor": "covalent_pennylane.executor",
    "TaskQNode": "covalent_pennylane.context",
    "current_config": "covalent_pennylane.context",
    "device": "covalent_pennylane.context",
    "qnode": "covalent_pennylane.context",
    "shots": "covalent_pennylane.context",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(__all__)
