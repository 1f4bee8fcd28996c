"""``PennyLaneExecutor`` ("pennylane"): electrons evaluate QNodes on the executor's device.

Importing this module does not import PennyLane: that happens in the worker
processes, which keep it loaded between jobs.
"""

from __future__ import annotations

from typing import Any, ClassVar

from covalent.executor.pool import WorkerPools
from covalent.executor.pooled import PooledExecutor
from covalent_pennylane.config import DeviceConfig

__all__ = ["PennyLaneExecutor"]

_POOLS = WorkerPools(warm_modules=("pennylane", "covalent_pennylane.worker"))


class PennyLaneExecutor(PooledExecutor):
    """Run electrons that evaluate PennyLane QNodes on the device this executor chooses.

    The same electron moves to another device by changing only its executor:
    it either declares keyword parameters ``device=None`` (a fresh device of
    this executor's configuration) and ``shots=None``, or builds its QNodes
    with :func:`covalent_pennylane.qnode` / :func:`covalent_pennylane.device`,
    which bind to this executor's device while the task runs.  Gradients
    (``qml.grad``, optimisers) work inside the electron as usual.

    Args:
        device: PennyLane device name: ``"default.qubit"`` (default),
            ``"lightning.qubit"``, ``"qiskit.aer"`` (pennylane-qiskit), ...
        wires: wires of the device (None: sized by the circuit, where the
            device allows it; Qiskit devices need a number).
        shots: shots per QNode evaluation (None: exact on simulators).
        seed: seed of the device's random numbers.
        device_options: more keyword arguments of ``qml.device``.
        qnode_options: keyword arguments of ``qml.QNode`` for QNodes made with
            :func:`covalent_pennylane.qnode` (``diff_method``, ...).
        plain_results: turn PennyLane tensors and numpy scalars in outputs into
            plain numpy arrays and Python numbers (default True).
        workers: worker processes (jobs run at once).
    """

    short_name = "pennylane"
    pools: ClassVar[WorkerPools] = _POOLS
    worker_target: ClassVar[str] = "covalent_pennylane.worker:run_job"

    def __init__(
        self,
        device: str = "default.qubit",
        wires: int | list[Any] | None = None,
        shots: int | None = None,
        seed: int | None = None,
        device_options: dict[str, Any] | None = None,
        qnode_options: dict[str, Any] | None = None,
        plain_results: bool = True,
        workers: int = 1,
        **kwargs: Any,
    ) -> None:
        super().__init__(workers=workers, **kwargs)
        self.config = DeviceConfig(
            device=device,
            wires=wires,
            shots=shots,
            seed=seed,
            device_options=dict(device_options or {}),
            qnode_options=dict(qnode_options or {}),
        )
        self.plain_results = bool(plain_results)

    def worker_config(self) -> dict[str, Any]:
        return {**self.config.to_dict(), "plain_results": self.plain_results}

    def describe(self) -> dict[str, Any]:
        config = self.config
        return {
            "device": config.device,
            "wires": config.wires,
            "shots": config.shots,
            "seed": config.seed,
            "workers": self.workers,
        }
