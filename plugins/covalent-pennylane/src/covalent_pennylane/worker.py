"""The worker side of the PennyLane executor: run one job on the executor's device.

Electrons receive, if they declare them (with a default, e.g. ``device=None``):

* ``device``: a fresh device of the executor's configuration,
* ``shots``: the executor's shots (None: the device's default),

and :func:`covalent_pennylane.device`, :func:`covalent_pennylane.qnode` use the
same configuration while the job runs.  Outputs are made plain
(:mod:`covalent_pennylane.values`) unless ``plain_results`` is off.
"""

from __future__ import annotations

from typing import Any

from covalent.runtime.execute import execute_payload
from covalent.runtime.spec import NodeSpec
from covalent_pennylane.config import DeviceConfig
from covalent_pennylane.context import activate
from covalent_pennylane.values import plain_output

__all__ = ["INJECTED", "run_job"]

#: Keyword arguments offered to electrons that declare them.
INJECTED = ("device", "shots")


def _postprocess(node: NodeSpec, value: Any) -> Any:
    return plain_output(value)


def run_job(payload: bytes, options: dict[str, Any]) -> bytes:
    """Run a job payload with ``options`` (a :class:`DeviceConfig` plus ``plain_results``)."""
    options = dict(options)
    plain_results = bool(options.pop("plain_results", True))
    config = DeviceConfig(**options)
    try:
        device = config.make_device()
    except Exception as exc:
        raise ValueError(
            f"cannot create PennyLane device {config.device!r} (wires={config.wires!r}, "
            f"options={config.device_options!r}): {exc!r}"
        ) from exc
    with activate(config):
        inject = {"device": device, "shots": config.shots}
        outcome = execute_payload(payload, inject=inject, postprocess=_postprocess if plain_results else None)
    return outcome.to_bytes()
