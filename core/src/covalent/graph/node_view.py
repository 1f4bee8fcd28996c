"""A node as the dispatcher reads it: the typed, read-only view of its shared attributes.

The dispatcher asks a node's kind, function, executor, retries, time limit,
files and name many times per task.  :class:`NodeView` answers them as
attributes; a :class:`~covalent.graph.compact.CompactGraph` makes one per
*shape* (the attributes nodes share: a map of one function has one for all
its task nodes) and hands out the same view for every node of it, so a read
builds nothing (a node's dict, which the view replaces there, was built
afresh at every read).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

__all__ = ["NodeView"]


class NodeView(NamedTuple):
    """What the dispatcher reads of a node (its id, value and preview are the graph's own columns)."""

    kind: str
    name: str
    #: The key of the node's pickled function ("": a parameter, which has none).
    function: str = ""
    #: The executor spec: a name, a JSON description, or None (the workflow's default).
    executor: Any = None
    retries: int | None = None
    time_limit: float | None = None
    #: File transfers, as JSON specs (none: empty).
    files: Sequence[dict[str, Any]] = ()

    @classmethod
    def of(cls, shape: Mapping[str, Any]) -> NodeView:
        """The view of a node's shared attributes (its JSON without id, value and preview)."""
        return cls(
            str(shape["kind"]),
            str(shape.get("name", "")),
            shape.get("function") or "",
            shape.get("executor"),
            shape.get("retries"),
            shape.get("time_limit"),
            shape.get("files") or (),
        )
