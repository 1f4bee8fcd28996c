"""An SVG drawing of a transport graph, laid out in Python (layered by depth).

Used by ``lattice.draw()`` (inline SVG in a notebook) and by the dashboard.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

from covalent.status import Status

if TYPE_CHECKING:
    from covalent.graph.manifest import Manifest

__all__ = ["GraphPreview", "STATUS_COLOURS", "layout", "render_svg"]

STATUS_COLOURS: dict[str, str] = {
    Status.NEW_OBJECT: "#9aa5b1",
    Status.PENDING_REUSE: "#9aa5b1",
    Status.RUNNING: "#f0b429",
    Status.COMPLETED: "#3ebd93",
    Status.FAILED: "#e12d39",
    Status.CANCELLED: "#7b8794",
}
KIND_COLOURS = {
    "electron": "#4098d7",
    "sublattice": "#8662c7",
    "parameter": "#cbd2d9",
    "collection": "#9fb3c8",
    "operation": "#9fb3c8",
    "postprocess": "#9fb3c8",
}
X_GAP, Y_GAP, NODE_W, NODE_H = 150, 70, 130, 30


def layout(graph: dict[str, Any]) -> dict[int, tuple[float, float]]:
    """Node id -> (x, y): one row per topological generation."""
    import networkx as nx

    g = nx.DiGraph()
    g.add_nodes_from(int(n["id"]) for n in graph["nodes"])
    g.add_edges_from((int(e["source"]), int(e["target"])) for e in graph["edges"])
    positions: dict[int, tuple[float, float]] = {}
    for row, generation in enumerate(nx.topological_generations(g)):
        for column, node_id in enumerate(sorted(generation)):
            positions[node_id] = (column * X_GAP + X_GAP / 2, row * Y_GAP + Y_GAP / 2)
    return positions


def render_svg(
    graph: dict[str, Any],
    statuses: dict[int, str] | None = None,
    *,
    hide_parameters: bool = False,
) -> str:
    """Standalone SVG; each node is a ``<g class="node" data-node-id=...>``."""
    if hide_parameters:
        keep = {int(n["id"]) for n in graph["nodes"] if n["kind"] != "parameter"}
        graph = {
            "nodes": [n for n in graph["nodes"] if int(n["id"]) in keep],
            "edges": [e for e in graph["edges"] if e["source"] in keep and e["target"] in keep],
        }
    statuses = statuses or {}
    pos = layout(graph)
    width = max((x for x, _ in pos.values()), default=0) + X_GAP
    height = max((y for _, y in pos.values()), default=0) + Y_GAP
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="tg" width="{width:.0f}" '
        f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
        'font-family="sans-serif" font-size="11">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" '
        'markerHeight="6" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#829ab1"/></marker></defs>',
    ]
    for edge in graph["edges"]:
        (x1, y1), (x2, y2) = pos[int(edge["source"])], pos[int(edge["target"])]
        dash = ' stroke-dasharray="4 3"' if edge.get("wait") else ""
        parts.append(
            f'<line x1="{x1:.0f}" y1="{y1 + NODE_H / 2:.0f}" x2="{x2:.0f}" '
            f'y2="{y2 - NODE_H / 2:.0f}" stroke="#829ab1" marker-end="url(#arrow)"{dash}>'
            f"<title>{escape(str(edge.get('param', '')))}</title></line>"
        )
    for node in graph["nodes"]:
        node_id = int(node["id"])
        x, y = pos[node_id]
        status = statuses.get(node_id, "")
        fill = STATUS_COLOURS.get(status) or KIND_COLOURS.get(node["kind"], "#4098d7")
        label = str(node["name"])
        short = label if len(label) <= 18 else label[:17] + "…"
        parts.append(
            f'<g class="node" data-node-id="{node_id}" data-status="{escape(status)}" '
            f'data-kind="{escape(node["kind"])}" transform="translate({x - NODE_W / 2:.0f},'
            f'{y - NODE_H / 2:.0f})"><title>{node_id}: {escape(label)}</title>'
            f'<rect width="{NODE_W}" height="{NODE_H}" rx="6" fill="{fill}"/>'
            f'<text x="{NODE_W / 2}" y="{NODE_H / 2 + 4}" text-anchor="middle" fill="#102a43">'
            f"{escape(short)}</text></g>"
        )
    parts.append("</svg>")
    return "".join(parts)


class GraphPreview:
    """What ``lattice.draw()`` returns: shows itself as SVG in a notebook."""

    def __init__(self, manifest: Manifest) -> None:
        self.manifest = manifest
        self.svg = render_svg(manifest.graph.to_dict())

    def _repr_svg_(self) -> str:
        return self.svg

    def save(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.svg)

    def __repr__(self) -> str:
        return f"<graph preview of {self.manifest.name}: {len(self.manifest.graph)} nodes>"
