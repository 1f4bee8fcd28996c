"""The device an executor chooses, as plain data (no PennyLane import)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["DeviceConfig"]


@dataclass
class DeviceConfig:
    """Which PennyLane device tasks run on, and how.

    ``device`` is any name ``qml.device`` knows: ``"default.qubit"``,
    ``"lightning.qubit"`` (pennylane-lightning), ``"qiskit.aer"`` or
    ``"qiskit.basicsim"`` (pennylane-qiskit), ...  ``wires`` None lets
    devices that support it size themselves from the circuit.  ``shots``
    None keeps the device's default (exact results on the simulators);
    shots are applied per QNode, as PennyLane's device API wants.
    """

    device: str = "default.qubit"
    wires: int | list[Any] | None = None
    shots: int | None = None
    seed: int | None = None
    device_options: dict[str, Any] = field(default_factory=dict)
    qnode_options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.device, str) or not self.device:
            raise ValueError("device must be the name of a PennyLane device, e.g. 'default.qubit'")
        if self.shots is not None:
            if int(self.shots) < 1:
                raise ValueError("shots must be a positive number or None (exact)")
            self.shots = int(self.shots)
        if isinstance(self.wires, tuple):
            self.wires = list(self.wires)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def seed_keyword(self) -> str:
        """The device keyword that takes the seed (Qiskit devices pass it to Aer)."""
        return "seed_simulator" if self.device.startswith("qiskit.") else "seed"

    def make_device(self, wires: int | list[Any] | None = None) -> Any:
        """A fresh device of this configuration (``wires`` overrides the configured ones)."""
        import pennylane as qml

        options = dict(self.device_options)
        if self.seed is not None:
            options.setdefault(self.seed_keyword(), self.seed)
        chosen = wires if wires is not None else self.wires
        if chosen is not None:
            options["wires"] = chosen
        return qml.device(self.device, **options)
