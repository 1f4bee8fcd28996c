"""The graph builder active while a lattice body runs (a context variable)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from covalent._sdk.building import GraphBuilder

__all__ = ["active_builder", "building"]

_builder: ContextVar[GraphBuilder | None] = ContextVar("covalent_graph_builder", default=None)


def active_builder() -> GraphBuilder | None:
    return _builder.get()


@contextmanager
def building(builder: GraphBuilder) -> Iterator[GraphBuilder]:
    token = _builder.set(builder)
    try:
        yield builder
    finally:
        _builder.reset(token)
