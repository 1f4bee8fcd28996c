"""Inside a task: the executor's device, and QNodes that run on it.

While a :class:`~covalent_pennylane.PennyLaneExecutor` runs a job, its device
configuration is *active* in the worker.  Code in the task reaches it with

* :func:`device` -- a device of the executor's choice (``qml.qnode(device())``),
* :func:`shots` -- the executor's shots (None: the device default),
* :func:`qnode` -- a decorator like ``qml.qnode`` without a device: the QNode
  is bound, when called, to the device of the executor running the task.

Outside any executor (an electron called as a plain function, a notebook),
the same calls use ``default.qubit`` with exact results, so the code runs
unchanged everywhere.
"""

from __future__ import annotations

import functools
import itertools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from covalent_pennylane.config import DeviceConfig

__all__ = ["TaskQNode", "activate", "current_config", "device", "qnode", "shots"]

_DEFAULT = DeviceConfig()
_lock = threading.Lock()
_active: DeviceConfig | None = None
_generation = itertools.count(1)
_active_generation = 0


@contextmanager
def activate(config: DeviceConfig) -> Iterator[DeviceConfig]:
    """Make ``config`` the device configuration of the code run inside the block."""
    global _active, _active_generation
    with _lock:
        previous = (_active, _active_generation)
        _active, _active_generation = config, next(_generation)
    try:
        yield config
    finally:
        with _lock:
            _active, _active_generation = previous


def current_config() -> DeviceConfig:
    """The active executor's device configuration, or ``default.qubit`` (exact) outside one."""
    return _active if _active is not None else _DEFAULT


def device(wires: int | list[Any] | None = None) -> Any:
    """A new device as the running executor configures it (``wires`` overrides its wires)."""
    return current_config().make_device(wires)


def shots() -> int | None:
    """The running executor's shots (None: the device's default)."""
    return current_config().shots


class TaskQNode:
    """A QNode whose device is chosen by the executor that runs the task.

    Calling it evaluates ``qml.QNode(func, device(wires), shots=shots(), ...)``;
    the bound QNode is reused while the same executor job runs, so
    optimisation loops do not rebuild the device.  Gradients work as for any
    QNode (``qml.grad(circuit)(params)``).  :attr:`bound` is the QNode for the
    current device (for ``qml.draw`` and friends).
    """

    def __init__(self, func: Callable[..., Any], wires: int | list[Any] | None, qnode_kwargs: dict[str, Any]) -> None:
        self.func = func
        self.wires = wires
        self.qnode_kwargs = qnode_kwargs
        self._bound: tuple[int, Any] | None = None
        functools.update_wrapper(self, func)

    @property
    def bound(self) -> Any:
        """The ``qml.QNode`` on the current executor's device."""
        generation = _active_generation
        cached = self._bound
        if cached is not None and cached[0] == generation:
            return cached[1]
        import pennylane as qml

        config = current_config()
        kwargs = {**config.qnode_options, **self.qnode_kwargs}
        if config.shots is not None:
            kwargs.setdefault("shots", config.shots)
        node = qml.QNode(self.func, config.make_device(self.wires), **kwargs)
        self._bound = (generation, node)
        return node

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.bound(*args, **kwargs)

    def __getstate__(self) -> dict[str, Any]:
        import cloudpickle

        state = dict(self.__dict__)
        state["_bound"] = None  # devices stay where they were made
        # The module attribute of the decorated name is this object, not the
        # function, so the function cannot travel by reference: cloudpickle
        # sends it by value.
        state["func"] = cloudpickle.dumps(self.func)
        state.pop("__wrapped__", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        import pickle

        state = dict(state)
        state["func"] = pickle.loads(state["func"])
        state["__wrapped__"] = state["func"]
        self.__dict__.update(state)


def qnode(
    func: Callable[..., Any] | None = None,
    *,
    wires: int | list[Any] | None = None,
    **qnode_kwargs: Any,
) -> Any:
    """Decorator: a QNode on the device of whichever executor runs the task.

    ``@qnode`` or ``@qnode(wires=2, diff_method="parameter-shift")``; keyword
    arguments are those of ``qml.QNode`` (they override the executor's
    ``qnode_options``).
    """
    if func is None:
        return lambda f: TaskQNode(f, wires, qnode_kwargs)
    return TaskQNode(func, wires, qnode_kwargs)
