"""Large outputs kept where they were made, handed to the next task by reference.

An executor that can keep values between jobs (the Dask workers do) gives
the runtime a :class:`ValueHolder`.  A node's output at least
``JobSpec.hold_bytes`` large is then not pickled into the job's outcome: the
holder keeps it under a fresh key (:func:`held_key`), and the outcome names
the key, the size and the holder (``NodeOutcome.held``).  The next task on the
same executor receives it from the holder without a copy where the value
allows (:func:`consumer_value`); the server persists it to its object store
later, off the critical path, from :func:`persisted_stream` (a plain pickle,
as every other stored value).

Zero copy, by kind of value:

- ``bytes`` and ``str`` are immutable: the consumer receives the very object;
  the persisted stream is the pickle opcodes around the same buffer.
- Values whose pickle has out-of-band buffers (protocol 5: numpy arrays,
  ``bytearray``, ``PickleBuffer``): pickled once without copying the buffers;
  the consumer receives a **read-only** view of the same memory (so a task
  can never change a value another task or the store still reads).
- Anything else is pickled once in-band, and the consumer unpickles its own
  copy, as for a value that came through the store.
"""

from __future__ import annotations

import hashlib
import pickle
import struct
from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = [
    "HeldValue",
    "HeldValueLost",
    "MemoryHolder",
    "ValueHolder",
    "consumer_value",
    "held_key",
    "hold",
    "persisted_stream",
]

_PROTOCOL = 5


class HeldValueLost(Exception):
    """A value kept by reference is not where it was kept (its worker died or restarted)."""

    def __init__(self, key: str, where: str = "") -> None:
        super().__init__(key, where)
        self.key = key
        self.where = where

    def __str__(self) -> str:
        place = f" on {self.where}" if self.where else ""
        return f"value {self.key} is no longer held{place} (its worker went away before the value was persisted)"


@dataclass(eq=False)
class HeldValue:
    """One kept output: the object, and its pickle when one was made (header, out-of-band buffers)."""

    value: Any
    size: int
    header: bytes | None = None
    buffers: list[pickle.PickleBuffer] = field(default_factory=list)


class ValueHolder(Protocol):
    """Where an executor keeps outputs between jobs (one per worker process)."""

    name: str  # how the executor finds this holder again (a Dask worker's address, say)

    def keep(self, key: str, held: HeldValue) -> None: ...


class MemoryHolder:
    """Values kept in this process's memory, by key."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.values: dict[str, HeldValue] = {}

    def keep(self, key: str, held: HeldValue) -> None:
        self.values[key] = held

    def get(self, key: str) -> HeldValue:
        held = self.values.get(key)
        if held is None:
            raise HeldValueLost(key, self.name)
        return held

    def drop(self, keys: list[str]) -> int:
        return sum(1 for key in keys if self.values.pop(key, None) is not None)


def held_key(job_key: str, node_id: int) -> str:
    """A fresh 64-hex key for one output of one run of a job (not a content hash: none is computed)."""
    return hashlib.sha256(f"covalent-held:{job_key}:{node_id}".encode()).hexdigest()


def hold(value: Any, threshold: int) -> tuple[HeldValue | None, bytes | None]:
    """Decide how an output travels: ``(held, None)`` to keep it, or ``(None, pickle)`` for the outcome.

    Raises what pickling raises (the caller falls back to cloudpickle).
    """
    if type(value) in (bytes, str):
        size = len(value)
        if size >= threshold:
            return HeldValue(value, size), None
        return None, pickle.dumps(value, protocol=_PROTOCOL)
    buffers: list[pickle.PickleBuffer] = []
    header = pickle.dumps(value, protocol=_PROTOCOL, buffer_callback=buffers.append)
    size = len(header) + sum(memoryview(b).nbytes for b in buffers)
    if size >= threshold:
        return HeldValue(value, size, header, buffers), None
    if buffers:  # small after all: the ordinary in-band pickle
        return None, pickle.dumps(value, protocol=_PROTOCOL)
    return None, header


def consumer_value(held: HeldValue) -> Any:
    """The value as the next task receives it (see the module's notes on copies)."""
    if held.header is None:
        return held.value
    if held.buffers:
        return pickle.loads(held.header, buffers=[memoryview(b).toreadonly() for b in held.buffers])
    return pickle.loads(held.header)


_BINBYTES8 = b"\x8e"
_BINUNICODE8 = b"\x8d"


def persisted_stream(held: HeldValue) -> list[bytes | memoryview]:
    """The value's plain (in-band) pickle, as parts to write one after the other."""
    value = held.value
    if held.header is None:  # bytes or str: the opcodes around the buffer, no copy
        data = value if type(value) is bytes else value.encode("utf-8", "surrogatepass")
        opcode = _BINBYTES8 if type(value) is bytes else _BINUNICODE8
        return [b"\x80\x05" + opcode + struct.pack("<Q", len(data)), data, b"."]
    if not held.buffers:
        return [held.header]
    return [pickle.dumps(value, protocol=_PROTOCOL)]
