"""The store's reads and the server's public read interface hand out typed records, never loose dicts.

A *read* is every public function or method of a ``covalent.server.store``
module that takes a ``Connection`` and returns something, and every public
method of ``covalent.server.view.Snapshot``.  Its annotated return type may be
a typed record (a dataclass or a named tuple, whatever its fields hold: JSON
documents such as a manifest are fields), a plain value, or containers of
those; a ``dict`` or ``Mapping`` whose values are ``Any``/``object`` (a loose
record), a bare ``dict`` or a bare ``Any`` anywhere outside a record fails.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from sqlalchemy import Connection

import covalent.server.store
from covalent.server.store.models import DispatchRecord, NodeBrief, NodeRecord, NodeTiming
from covalent.server.view import Snapshot

LOOSE = (Any, object)


def _is_record(tp: Any) -> bool:
    return isinstance(tp, type) and (dataclasses.is_dataclass(tp) or (issubclass(tp, tuple) and hasattr(tp, "_fields")))


def loose_parts(tp: Any) -> list[str]:
    """What in a return annotation is a loose record (empty: none)."""
    if tp in LOOSE:
        return [repr(tp)]
    if tp in (dict, Mapping) or tp is typing.Dict:  # noqa: UP006 - the bare alias, checked for
        return [f"bare {tp!r}"]
    if _is_record(tp) or tp is type(None) or isinstance(tp, type):
        return []
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    mapping = origin in (dict, Mapping) or (isinstance(origin, type) and issubclass(origin, Mapping))
    if mapping and args and args[-1] in LOOSE:
        return [repr(tp)]
    if origin is typing.Literal:
        return []
    return [part for arg in args if arg is not Ellipsis for part in loose_parts(arg)]


def _store_modules() -> Iterator[types.ModuleType]:
    for info in pkgutil.iter_modules(covalent.server.store.__path__):
        yield importlib.import_module(f"covalent.server.store.{info.name}")


def _takes_connection(fn: Callable[..., Any], hints: dict[str, Any]) -> bool:
    for name in list(inspect.signature(fn).parameters)[:2]:
        hint = hints.get(name)
        if hint is Connection or Connection in typing.get_args(hint):
            return True
    return False


def store_reads() -> Iterator[tuple[str, Callable[..., Any]]]:
    for module in _store_modules():
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            members = [(name, obj)] if inspect.isfunction(obj) else []
            if inspect.isclass(obj):
                members = [(f"{name}.{m}", f) for m, f in vars(obj).items() if inspect.isfunction(f) and m[0] != "_"]
            for label, fn in members:
                hints = typing.get_type_hints(fn)
                if _takes_connection(fn, hints) and hints.get("return", type(None)) is not type(None):
                    yield f"{module.__name__}.{label}", fn


def test_the_check_finds_loose_records_and_accepts_typed_ones() -> None:
    assert loose_parts(dict[str, Any]) and loose_parts(list[dict[str, Any]]) and loose_parts(dict)
    assert loose_parts(tuple[list[dict[str, object]], int]) and loose_parts(DispatchRecord | dict[str, Any])
    assert loose_parts(dict[str, dict[str, Any]]) and loose_parts(Any)
    assert not loose_parts(DispatchRecord | None) and not loose_parts(tuple[list[NodeBrief], int])
    assert not loose_parts(dict[str, dict[str, int]]) and not loose_parts(list[NodeRecord] | list[NodeTiming])
    assert not loose_parts(dict[str, tuple[int, str | None]]) and not loose_parts(list[str])


def test_store_reads_return_typed_records() -> None:
    reads = dict(store_reads())
    # the check sees the reads it is about (a rename would not slip past it)
    expected = {"read_dispatch", "read_nodes", "read_node", "read_timeline", "list_dispatches", "overview"}
    assert {f"covalent.server.store.records.{name}" for name in expected} <= set(reads)
    assert "covalent.server.store.blobs.BlobStore.held_rows" in reads
    assert "covalent.server.store.triggers.recent_runs" in reads
    loose = {name: parts for name, fn in reads.items() if (parts := loose_parts(typing.get_type_hints(fn)["return"]))}
    assert loose == {}


def test_the_public_read_interface_returns_typed_records() -> None:
    methods = {name: fn for name, fn in vars(Snapshot).items() if inspect.isfunction(fn) and not name.startswith("_")}
    assert {"dispatch", "nodes", "node", "timeline", "dispatches", "overview", "triggers"} <= set(methods)
    loose = {}
    for name, fn in methods.items():
        parts = loose_parts(typing.get_type_hints(fn)["return"])
        if parts:
            loose[name] = parts
    assert loose == {}
