"""PennyLane executor for covalent: electrons evaluate QNodes on the executor's device.

``executor="pennylane"`` or ``PennyLaneExecutor(device="lightning.qubit", shots=1000)``.
Inside a task, :func:`device`, :func:`shots` and the :func:`qnode` decorator
use the device of the executor running it (``default.qubit`` elsewhere).
"""

from covalent_pennylane.context import TaskQNode, current_config, device, qnode, shots
from covalent_pennylane.executor import PennyLaneExecutor

__all__ = ["PennyLaneExecutor", "TaskQNode", "current_config", "device", "qnode", "shots"]
