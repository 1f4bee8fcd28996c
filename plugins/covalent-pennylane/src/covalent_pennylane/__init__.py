"""PennyLane executor for covalent: electrons evaluate QNodes on the executor's device.

``executor="pennylane"`` or ``PennyLaneExecutor(device="lightning.qubit", shots=1000)``.
Inside a task, :func:`device`, :func:`shots` and the :func:`qnode` decorator
use the device of the executor running it (``default.qubit`` elsewhere).

Names are loaded on first use: the server imports every plugin's entry point at
start-up and registers its executor classes only when they are first needed.
"""

from __future__ import annotations

from covalent.lazy import lazy_names

__all__ = [
    "PennyLaneExecutor",
    "TaskQNode",
    "current_config",
    "device",
    "qnode",
    "shots",
]

__getattr__, __dir__ = lazy_names(
    __name__,
    {
        "PennyLaneExecutor": "covalent_pennylane.executor",
        "TaskQNode": "covalent_pennylane.context",
        "current_config": "covalent_pennylane.context",
        "device": "covalent_pennylane.context",
        "qnode": "covalent_pennylane.context",
        "shots": "covalent_pennylane.context",
    },
)
