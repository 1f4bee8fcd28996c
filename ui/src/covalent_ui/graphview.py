"""The transport graph as the dashboard draws it: full, or collapsed when large.

The full view is core's :func:`covalent.graph.draw.render_svg` (one box per
node, ``data-node-id`` on each).  Above a node threshold the dashboard draws
a collapsed view instead: parameter nodes are hidden, and the task nodes of
one name in one layer become a single box that counts its members by
status.  Both are laid out in Python; the browser only patches colours and
counts in place as status events arrive.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from html import escape
from typing import Any, Literal

import networkx as nx

from covalent.graph.draw import STATUS_COLOURS, X_GAP, Y_GAP, layout, render_svg
from covalent.status import Status

__all__ = [
    "COLLAPSE_THRESHOLD",
    "GraphView",
    "aggregate_status",
    "build_view",
    "collapsed_view",
    "full_view",
]

#: Graphs with more nodes than this are drawn collapsed unless the full view is asked for.
COLLAPSE_THRESHOLD = 300

GROUP_W, GROUP_H = 136, 40
Mode = Literal["full", "collapsed"]


@dataclass
class GraphView:
    """A drawn graph and what the page's script needs to keep it current."""

    mode: Mode
    svg: str
    node_count: int
    task_count: int
    #: collapsed view only: task node id -> index of the box that holds it
    members: dict[int, int] = field(default_factory=dict)
    #: collapsed view only: one entry per box (name, layer, member ids)
    groups: list[dict[str, Any]] = field(default_factory=list)
    #: collapsed view only: task node id -> status when drawn
    statuses: dict[int, str] = field(default_factory=dict)

    def script_data(self) -> dict[str, Any]:
        """The JSON the page embeds for its live-update script."""
        if self.mode == "full":
            return {"mode": "full"}
        return {
            "mode": "collapsed",
            "groups": [{"name": g["name"], "members": g["members"]} for g in self.groups],
            "statuses": {str(n): s for n, s in self.statuses.items()},
        }


def aggregate_status(counts: dict[str, int], total: int) -> str:
    """The one status a box of several nodes shows (mirrored in the page's script)."""
    if counts.get(Status.FAILED):
        return Status.FAILED
    if counts.get(Status.RUNNING):
        return Status.RUNNING
    if total and counts.get(Status.COMPLETED, 0) == total:
        return Status.COMPLETED
    if counts.get(Status.CANCELLED):
        return Status.CANCELLED
    return Status.NEW_OBJECT


def _task_statuses(graph: dict[str, Any], statuses: dict[int, str]) -> dict[int, str]:
    """Statuses of task nodes only, so parameter nodes keep their own colour."""
    return {
        int(n["id"]): statuses[int(n["id"])]
        for n in graph["nodes"]
        if n["kind"] != "parameter" and int(n["id"]) in statuses
    }


def full_view(graph: dict[str, Any], statuses: dict[int, str]) -> GraphView:
    """Every node and edge, drawn by core's renderer."""
    tasks = sum(1 for n in graph["nodes"] if n["kind"] != "parameter")
    svg = render_svg(graph, _task_statuses(graph, statuses))
    return GraphView("full", svg, len(graph["nodes"]), tasks)


def _groups(
    graph: dict[str, Any],
) -> tuple[list[dict[str, Any]], dict[int, int], set[tuple[int, int]]]:
    tasks = {int(n["id"]): n for n in graph["nodes"] if n["kind"] != "parameter"}
    g = nx.DiGraph()
    g.add_nodes_from(tasks)
    g.add_edges_from(
        (int(e["source"]), int(e["target"]))
        for e in graph["edges"]
        if int(e["source"]) in tasks and int(e["target"]) in tasks
    )
    groups: list[dict[str, Any]] = []
    members: dict[int, int] = {}
    for layer, generation in enumerate(nx.topological_generations(g)):
        index: dict[str, int] = {}
        for node_id in sorted(generation):
            name = str(tasks[node_id]["name"])
            if name not in index:
                index[name] = len(groups)
                groups.append({"name": name, "layer": layer, "kind": tasks[node_id]["kind"], "members": []})
            groups[index[name]]["members"].append(node_id)
            members[node_id] = index[name]
    edges = {(members[s], members[t]) for s, t in g.edges if members[s] != members[t]}
    return groups, members, edges


def _group_svg(index: int, group: dict[str, Any], x: float, y: float, statuses: dict[int, str]) -> str:
    ids = group["members"]
    counts = Counter(statuses.get(n, Status.NEW_OBJECT) for n in ids)
    status = aggregate_status(counts, len(ids))
    done = counts.get(Status.COMPLETED, 0)
    label = group["name"] if len(group["name"]) <= 16 else group["name"][:15] + "…"
    title = f"{group['name']}: {len(ids)} node(s), " + ", ".join(f"{n} {s.lower()}" for s, n in sorted(counts.items()))
    single = f' data-node-id="{ids[0]}"' if len(ids) == 1 else ""
    bar = GROUP_W - 16
    stroke = ' stroke="#334e68" stroke-width="2"' if len(ids) > 1 else ""
    times = f" \N{MULTIPLICATION SIGN}{len(ids)}" if len(ids) > 1 else ""
    return (
        f'<g class="group" data-group="{index}" data-count="{len(ids)}" '
        f'data-status="{status}"{single} '
        f'transform="translate({x - GROUP_W / 2:.0f},{y - GROUP_H / 2:.0f})">'
        f"<title>{escape(title)}</title>"
        f'<rect class="box" width="{GROUP_W}" height="{GROUP_H}" rx="6" '
        f'fill="{STATUS_COLOURS[status]}"{stroke}/>'
        f'<text x="{GROUP_W / 2}" y="15" text-anchor="middle" fill="#102a43">{escape(label)}'
        f"{times}</text>"
        f'<text class="counts" x="{GROUP_W / 2}" y="28" text-anchor="middle" '
        'fill="#102a43" font-size="10">'
        f"{done}/{len(ids)} done</text>"
        f'<rect x="8" y="32" width="{bar}" height="4" rx="2" fill="#f0f4f8"/>'
        f'<rect class="bar" x="8" y="32" width="{bar * done / max(1, len(ids)):.1f}" '
        'height="4" rx="2" fill="#27ab83"/>'
        "</g>"
    )


def collapsed_view(graph: dict[str, Any], statuses: dict[int, str]) -> GraphView:
    """Parameters hidden; nodes of one name in one layer drawn as one box with counts."""
    groups, members, edges = _groups(graph)
    pos = layout(
        {
            "nodes": [{"id": i} for i in range(len(groups))],
            "edges": [{"source": s, "target": t} for s, t in edges],
        }
    )
    width = max((x for x, _ in pos.values()), default=0) + X_GAP
    height = max((y for _, y in pos.values()), default=0) + Y_GAP
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" class="tg collapsed" '
        f'width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="sans-serif" font-size="11">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="6" markerHeight="6" '
        'orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#829ab1"/></marker></defs>',
    ]
    for s, t in sorted(edges):
        (x1, y1), (x2, y2) = pos[s], pos[t]
        parts.append(
            f'<line x1="{x1:.0f}" y1="{y1 + GROUP_H / 2:.0f}" '
            f'x2="{x2:.0f}" y2="{y2 - GROUP_H / 2:.0f}" '
            'stroke="#829ab1" marker-end="url(#arrow)"/>'
        )
    task_statuses = _task_statuses(graph, statuses)
    for i, group in enumerate(groups):
        x, y = pos[i]
        parts.append(_group_svg(i, group, x, y, task_statuses))
    parts.append("</svg>")
    return GraphView(
        "collapsed",
        "".join(parts),
        len(graph["nodes"]),
        len(members),
        members,
        groups,
        task_statuses,
    )


def build_view(
    graph: dict[str, Any],
    statuses: dict[int, str],
    requested: str | None = None,
    threshold: int = COLLAPSE_THRESHOLD,
) -> GraphView:
    """The view ``requested`` (``full``/``collapsed``), else collapsed above ``threshold`` nodes."""
    mode = (
        requested
        if requested in ("full", "collapsed")
        else ("collapsed" if len(graph["nodes"]) > threshold else "full")
    )
    return collapsed_view(graph, statuses) if mode == "collapsed" else full_view(graph, statuses)
