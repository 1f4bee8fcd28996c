"""The transport graph, its JSON manifest, and pickling of its contents."""

from covalent.graph.manifest import Manifest
from covalent.graph.transport_graph import Edge, NodeKind, TransportGraph

__all__ = ["Edge", "Manifest", "NodeKind", "TransportGraph"]
