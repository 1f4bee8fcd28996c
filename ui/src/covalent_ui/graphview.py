"""The transport graph as the dashboard draws it: full, or collapsed into groups when large.

The full view has one box per node.  Above :data:`COLLAPSE_THRESHOLD` nodes
the dashboard draws a collapsed view: parameter nodes are hidden and the
task nodes of one name in one layer become a single box that counts its
members by status; any group can be *expanded* in place (its members drawn
as boxes of their own, the rest of the graph still collapsed).  Either view
is laid out by :mod:`covalent_ui.layout` (layered, crossings reduced, top-down
or left-right) and drawn as SVG on the server, so a page shows its graph
without JavaScript; the page's script adds pan, zoom, search and live colours.

Drawn boxes are keyed ``n<id>`` (a node) or ``g<index>`` (a group), as the
``data-key`` of their element and the ``data-source``/``data-target`` of
the edges between them.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from html import escape
from typing import Any, Literal
from urllib.parse import urlencode

from covalent.graph.draw import KIND_COLOURS, STATUS_COLOURS
from covalent.status import Status
from covalent_ui.layout import Box, Direction, Drawing, Placed, layered, longest_path_layers

__all__ = [
    "AGGREGATE_RULES",
    "COLLAPSE_THRESHOLD",
    "GraphView",
    "Group",
    "ViewOptions",
    "aggregate_status",
    "build_view",
    "collapsed_view",
    "full_view",
    "group_nodes",
]

#: Graphs with more nodes than this are drawn collapsed unless the full view is asked for.
COLLAPSE_THRESHOLD = 300

Mode = Literal["full", "collapsed"]
NODE_W, NODE_H = 150, 36
PARAM_W, PARAM_H = 120, 22
GROUP_W, GROUP_H = 164, 46
CELL_W, CELL_H = 76, 24
#: An expanded group of this many members or more draws them in rows inside one box.
GRID_FROM = 25
_LABEL_CHARS = 21


@dataclass(frozen=True)
class ViewOptions:
    """How to draw a graph: which view, which direction, parameters or not, which groups expanded."""

    mode: Mode = "full"
    direction: Direction = "TB"
    parameters: bool = True
    expanded: frozenset[int] = frozenset()

    @classmethod
    def from_query(cls, query: Mapping[str, str], node_count: int, threshold: int = COLLAPSE_THRESHOLD) -> ViewOptions:
        """Options from a page's query string (``view``, ``dir``, ``params``, ``expand``); lenient."""
        requested = query.get("view")
        mode: Mode = "collapsed" if node_count > threshold else "full"
        if requested in ("full", "collapsed"):
            mode = "full" if requested == "full" else "collapsed"
        direction: Direction = "LR" if query.get("dir") == "LR" else "TB"
        parameters = query.get("params", "1") not in ("0", "hide", "false")
        expanded = frozenset(int(p) for p in query.get("expand", "").split(",") if p.strip().isdigit())
        return cls(mode, direction, parameters, expanded)

    def query(self, **changes: Any) -> str:
        """The query string of these options with ``changes`` (``expanded=...``) applied."""
        options = replace(self, **changes)
        items: dict[str, str] = {"view": options.mode, "dir": options.direction}
        if not options.parameters:
            items["params"] = "0"
        if options.mode == "collapsed" and options.expanded:
            items["expand"] = ",".join(str(i) for i in sorted(options.expanded))
        return "?" + urlencode(items)

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "direction": self.direction,
            "parameters": self.parameters,
            "expanded": sorted(self.expanded),
        }


@dataclass(frozen=True)
class Group:
    """Task nodes of one name in one layer (the collapsed view's box)."""

    index: int
    name: str
    kind: str
    layer: int
    members: tuple[int, ...]


@dataclass
class GraphView:
    """A drawn graph and what the page's script needs to keep it current."""

    options: ViewOptions
    svg: str
    node_count: int
    task_count: int
    width: float = 0.0
    height: float = 0.0
    #: collapsed view only: every group (expanded or not)
    groups: list[Group] = field(default_factory=list)
    #: task node id -> status when drawn
    statuses: dict[int, str] = field(default_factory=dict)

    @property
    def mode(self) -> Mode:
        return self.options.mode

    def script_data(self) -> dict[str, Any]:
        """The JSON the page embeds for its script (groups, statuses at drawing time, options)."""
        statuses = {str(n): s for n, s in self.statuses.items()}
        data: dict[str, Any] = {"options": self.options.to_json(), "statuses": statuses}
        if self.options.mode == "collapsed":
            data["groups"] = [{"name": g.name, "members": list(g.members)} for g in self.groups]
        return data


#: How a box of several nodes gets its one status: the first rule that holds gives it.
#: ``("any", S)``: some member is S; ``("all", S)``: every member is (and there is one);
#: ``("else", S)``: otherwise.  The one source of this rule: :func:`aggregate_status` applies it
#: here and the page's script (``graph/status.js``) applies the same list, sent in the page's data.
AGGREGATE_RULES: tuple[tuple[str, Status], ...] = (
    ("any", Status.FAILED),
    ("any", Status.RUNNING),
    ("all", Status.COMPLETED),
    ("any", Status.CANCELLED),
    ("else", Status.NEW_OBJECT),
)


def aggregate_status(counts: Mapping[str, int], total: int) -> str:
    """The one status a box of several nodes shows (by :data:`AGGREGATE_RULES`)."""
    for test, status in AGGREGATE_RULES:
        n = counts.get(status, 0)
        if test == "else" or (n and (test == "any" or n == total)):
            return status
    return Status.NEW_OBJECT


# -- the graph's parts -------------------------------------------------------------------


def _task_statuses(nodes: Mapping[int, dict[str, Any]], statuses: Mapping[int, str]) -> dict[int, str]:
    """Statuses of task nodes only, so parameter nodes keep their own colour."""
    return {n: statuses[n] for n, node in nodes.items() if node["kind"] != "parameter" and n in statuses}


def _edges(graph: dict[str, Any]) -> list[tuple[int, int]]:
    return [(int(e["source"]), int(e["target"])) for e in graph["edges"]]


def group_nodes(graph: dict[str, Any]) -> list[Group]:
    """The task nodes grouped by name within each layer (parameters left out)."""
    tasks = {int(n["id"]): n for n in graph["nodes"] if n["kind"] != "parameter"}
    task_edges = [(s, t) for s, t in _edges(graph) if s in tasks and t in tasks]
    layers = longest_path_layers(sorted(tasks), task_edges)
    index: dict[tuple[int, str], list[int]] = {}
    for node_id in sorted(tasks, key=lambda n: (layers[n], n)):
        index.setdefault((layers[node_id], str(tasks[node_id]["name"])), []).append(node_id)
    return [
        Group(i, name, str(tasks[members[0]]["kind"]), layer, tuple(members))
        for i, ((layer, name), members) in enumerate(index.items())
    ]


def _parameter_layers(
    nodes: Mapping[int, dict[str, Any]], edges: list[tuple[int, int]], task_layer: Mapping[int, int]
) -> dict[int, int]:
    """A parameter sits in the layer just above its first consumer (-1 above a first layer's task)."""
    first: dict[int, int] = {}
    for s, t in edges:
        if nodes[s]["kind"] == "parameter" and t in task_layer:
            first[s] = min(first.get(s, 1 << 30), task_layer[t])
    return {p: layer - 1 for p, layer in first.items()}


# -- drawing -----------------------------------------------------------------------------


def _label(text: str, limit: int = _LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _node_svg(
    node: dict[str, Any], placed: Any, status: str, link: str | None, extra: str = "", *, compact: bool = False
) -> str:
    node_id = int(node["id"])
    kind = str(node["kind"])
    name = str(node["name"])
    x, y = placed.x - placed.width / 2, placed.y - placed.height / 2
    fill = STATUS_COLOURS.get(status) or KIND_COLOURS.get(kind, "#4098d7")
    head = (
        f'<g class="node" data-key="n{node_id}" data-node-id="{node_id}"{extra} '
        f'data-kind="{escape(kind)}" data-status="{escape(status)}" data-name="{escape(name)}" '
        f'transform="translate({x:.0f},{y:.0f})">'
    )
    if link is not None:  # without JavaScript a click opens the node's page
        head = f'<a href="{escape(link)}{node_id}" tabindex="-1">{head}'
    tail = "</g></a>" if link is not None else "</g>"
    if kind == "parameter":
        shown = name.removeprefix(":parameter:")
        return (
            f"{head}<title>parameter {escape(shown)} (node {node_id})</title>"
            f'<rect class="box" width="{placed.width:.0f}" height="{placed.height:.0f}" rx="11" fill="{fill}"/>'
            f'<text x="{placed.width / 2:.0f}" y="15" text-anchor="middle">{escape(_label(shown, 17))}</text>{tail}'
        )
    title = f"<title>{escape(name)} (node {node_id}, {escape(kind)}){' — ' + status if status else ''}</title>"
    if compact:  # a cell of an expanded group: its members share the name shown on the group's box
        return (
            f"{head}{title}"
            f'<rect class="box" width="{placed.width:.0f}" height="{placed.height:.0f}" rx="4" fill="{fill}"/>'
            f'<text class="id" x="{placed.width / 2:.0f}" y="16" text-anchor="middle">#{node_id}</text>{tail}'
        )
    return (
        f"{head}{title}"
        f'<rect class="box" width="{placed.width:.0f}" height="{placed.height:.0f}" rx="6" fill="{fill}"/>'
        f'<text class="name" x="{placed.width / 2:.0f}" y="16" text-anchor="middle">{escape(_label(name))}</text>'
        f'<text class="id" x="{placed.width / 2:.0f}" y="29" text-anchor="middle">#{node_id}'
        f"{' · ' + escape(kind) if kind != 'electron' else ''}</text>{tail}"
    )


def _group_svg(group: Group, placed: Any, statuses: Mapping[int, str], expand_link: str) -> str:
    ids = group.members
    counts = Counter(statuses.get(n, Status.NEW_OBJECT) for n in ids)
    status = aggregate_status(counts, len(ids))
    done = counts.get(Status.COMPLETED, 0)
    title = f"{group.name}: {len(ids)} node(s), " + ", ".join(f"{n} {s.lower()}" for s, n in sorted(counts.items()))
    single = f' data-node-id="{ids[0]}"' if len(ids) == 1 else ""
    bar = GROUP_W - 16
    stroke = ' stroke="#334e68" stroke-width="2"' if len(ids) > 1 else ""
    times = f" \N{MULTIPLICATION SIGN}{len(ids)}" if len(ids) > 1 else ""
    x, y = placed.x - GROUP_W / 2, placed.y - GROUP_H / 2
    box = (
        f'<g class="group" data-key="g{group.index}" data-group="{group.index}" data-count="{len(ids)}" '
        f'data-status="{status}" data-name="{escape(group.name)}"{single} transform="translate({x:.0f},{y:.0f})">'
        f"<title>{escape(title)}</title>"
        f'<rect class="box" width="{GROUP_W}" height="{GROUP_H}" rx="6" fill="{STATUS_COLOURS[status]}"{stroke}/>'
        f'<text class="name" x="{GROUP_W / 2}" y="16" text-anchor="middle">'
        f"{escape(_label(group.name, 16))}{times}</text>"
        f'<text class="counts" x="{GROUP_W / 2}" y="30" text-anchor="middle">{done}/{len(ids)} done</text>'
        f'<rect x="8" y="35" width="{bar}" height="4" rx="2" fill="#f0f4f8"/>'
        f'<rect class="bar" x="8" y="35" width="{bar * done / max(1, len(ids)):.1f}" height="4" rx="2" fill="#27ab83"/>'
        "</g>"
    )
    return f'<a href="{escape(expand_link)}" tabindex="-1">{box}</a>' if len(ids) > 1 else box


def _path(points: tuple[tuple[float, float], ...], direction: Direction) -> str:
    """Cubic segments between consecutive points, leaving and entering along the layer axis."""
    (x0, y0), *rest = points
    parts = [f"M{x0:.0f},{y0:.0f}"]
    for x1, y1 in rest:
        if direction == "TB":
            mid = (y0 + y1) / 2
            parts.append(f"C{x0:.0f},{mid:.0f} {x1:.0f},{mid:.0f} {x1:.0f},{y1:.0f}")
        else:
            mid = (x0 + x1) / 2
            parts.append(f"C{mid:.0f},{y0:.0f} {mid:.0f},{y1:.0f} {x1:.0f},{y1:.0f}")
        x0, y0 = x1, y1
    return "".join(parts)


def _svg(drawing: Drawing, boxes: list[str], waits: set[tuple[str, str]]) -> str:
    w, h = drawing.width, drawing.height
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="tg" width="{w:.0f}" height="{h:.0f}" '
        f'viewBox="0 0 {w:.0f} {h:.0f}" data-width="{w:.0f}" data-height="{h:.0f}" '
        f'data-direction="{drawing.direction}" font-family="sans-serif" font-size="11">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#829ab1"/></marker></defs>',
        '<g class="viewport"><g class="edges">',
    ]
    for route in drawing.routes:
        dash = ' stroke-dasharray="4 3"' if (str(route.source), str(route.target)) in waits else ""
        parts.append(
            f'<path class="edge" d="{_path(route.points, drawing.direction)}" data-source="{route.source}" '
            f'data-target="{route.target}"{dash}/>'
        )
    parts.append('</g><g class="boxes">')
    parts.extend(boxes)
    parts.append("</g></g></svg>")
    return "".join(parts)


def full_view(
    graph: dict[str, Any],
    statuses: Mapping[int, str],
    options: ViewOptions | None = None,
    node_link: str | None = None,
) -> GraphView:
    """Every node (parameters unless hidden) and every edge between them."""
    options = replace(options or ViewOptions(), mode="full", expanded=frozenset())
    nodes = {int(n["id"]): n for n in graph["nodes"]}
    edges = _edges(graph)
    tasks = [n for n, node in nodes.items() if node["kind"] != "parameter"]
    task_set = set(tasks)
    task_layer = longest_path_layers(tasks, [(s, t) for s, t in edges if s in task_set and t in task_set])
    layers: dict[int, int] = {}
    if options.parameters:
        params = _parameter_layers(nodes, edges, task_layer)
        shift = -min(0, *params.values()) if params else 0
        layers.update({n: layer + shift for n, layer in [*params.items(), *task_layer.items()]})
    else:
        layers.update(task_layer)
    keys = sorted(layers)
    boxes = [
        Box(
            f"n{n}",
            PARAM_W if nodes[n]["kind"] == "parameter" else NODE_W,
            PARAM_H if nodes[n]["kind"] == "parameter" else NODE_H,
            layers[n],
        )
        for n in keys
    ]
    shown = [(s, t) for s, t in edges if s in layers and t in layers]
    drawing = layered(boxes, [(f"n{s}", f"n{t}") for s, t in shown], options.direction)
    task_statuses = _task_statuses(nodes, statuses)
    parts = [_node_svg(nodes[n], drawing.boxes[f"n{n}"], task_statuses.get(n, ""), node_link) for n in keys]
    waits = {(f"n{int(e['source'])}", f"n{int(e['target'])}") for e in graph["edges"] if e.get("wait")}
    svg = _svg(drawing, parts, waits)
    return GraphView(options, svg, len(nodes), len(tasks), drawing.width, drawing.height, statuses=task_statuses)


def collapsed_view(
    graph: dict[str, Any],
    statuses: Mapping[int, str],
    options: ViewOptions | None = None,
    node_link: str | None = None,
) -> GraphView:
    """Parameters hidden; nodes of one name in one layer drawn as one box, unless their group is expanded."""
    options = replace(options or ViewOptions(), mode="collapsed", parameters=False)
    nodes = {int(n["id"]): n for n in graph["nodes"]}
    groups = group_nodes(graph)
    expanded = frozenset(i for i in options.expanded if i < len(groups))
    options = replace(options, expanded=expanded)
    unit: dict[int, str] = {}
    boxes: list[Box] = []
    grids: dict[int, _Grid] = {}
    for group in groups:
        if group.index in expanded and len(group.members) >= GRID_FROM:
            grids[group.index] = grid = _Grid(len(group.members))
            for n in group.members:
                unit[n] = f"b{group.index}"
            boxes.append(Box(f"b{group.index}", grid.width, grid.height, group.layer))
        elif group.index in expanded:
            for n in group.members:
                unit[n] = f"n{n}"
                boxes.append(Box(f"n{n}", NODE_W, NODE_H, group.layer))
        else:
            for n in group.members:
                unit[n] = f"g{group.index}"
            boxes.append(Box(f"g{group.index}", GROUP_W, GROUP_H, group.layer))
    links = {(unit[s], unit[t]) for s, t in _edges(graph) if s in unit and t in unit and unit[s] != unit[t]}
    drawing = layered(boxes, sorted(links), options.direction)
    task_statuses = _task_statuses(nodes, statuses)
    parts: list[str] = []
    for group in groups:
        member = f' data-group="{group.index}"'
        collapse = options.query(expanded=expanded - {group.index})
        if group.index in grids:
            block = drawing.boxes[f"b{group.index}"]
            parts.append(_block_svg(group, block, collapse))
            for n, cell in zip(group.members, grids[group.index].cells(block), strict=True):
                parts.append(_node_svg(nodes[n], cell, task_statuses.get(n, ""), node_link, member, compact=True))
        elif group.index in expanded:
            parts.extend(
                _node_svg(nodes[n], drawing.boxes[f"n{n}"], task_statuses.get(n, ""), node_link, member)
                for n in group.members
            )
        else:
            link = options.query(expanded=expanded | {group.index})
            parts.append(_group_svg(group, drawing.boxes[f"g{group.index}"], task_statuses, link))
    svg = _svg(drawing, parts, set())
    return GraphView(
        options, svg, len(nodes), len(unit), drawing.width, drawing.height, groups=groups, statuses=task_statuses
    )


class _Grid:
    """The members of a large expanded group, in rows inside one box (their edges drawn to the box)."""

    HEADER = 24
    PAD = 6

    def __init__(self, count: int) -> None:
        self.count = count
        self.columns = max(5, min(40, math.ceil(math.sqrt(count * 2.5))))
        self.rows = math.ceil(count / self.columns)
        self.width = self.PAD + self.columns * (CELL_W + self.PAD)
        self.height = self.HEADER + self.rows * (CELL_H + self.PAD) + self.PAD

    def cells(self, block: Placed) -> list[Placed]:
        left = block.x - block.width / 2 + self.PAD + CELL_W / 2
        top = block.y - block.height / 2 + self.HEADER + CELL_H / 2
        return [
            Placed(
                left + (i % self.columns) * (CELL_W + self.PAD),
                top + (i // self.columns) * (CELL_H + self.PAD),
                CELL_W,
                CELL_H,
            )
            for i in range(self.count)
        ]


def _block_svg(group: Group, placed: Placed, collapse_link: str) -> str:
    x, y = placed.x - placed.width / 2, placed.y - placed.height / 2
    label = f"{group.name} \N{MULTIPLICATION SIGN}{len(group.members)}"
    return (
        f'<g class="block" data-key="b{group.index}" data-group="{group.index}" data-name="{escape(group.name)}" '
        f'data-count="{len(group.members)}" transform="translate({x:.0f},{y:.0f})">'
        f"<title>{escape(label)} (expanded)</title>"
        f'<rect class="box" width="{placed.width:.0f}" height="{placed.height:.0f}" rx="8" fill="#f8fafc"/>'
        f'<text class="name" x="8" y="16">{escape(_label(label, 60))}</text>'
        f'<a href="{escape(collapse_link)}" class="collapse" data-collapse-group="{group.index}">'
        f'<text x="{placed.width - 8:.0f}" y="16" text-anchor="end">collapse ✕</text></a></g>'
    )


def build_view(
    graph: dict[str, Any],
    statuses: Mapping[int, str],
    requested: str | ViewOptions | None = None,
    threshold: int = COLLAPSE_THRESHOLD,
    node_link: str | None = None,
) -> GraphView:
    """The view ``requested`` (options, or ``full``/``collapsed``), else collapsed above ``threshold`` nodes.

    ``node_link``: the URL prefix of a node's page (the node id is appended); None draws no links.
    """
    if isinstance(requested, ViewOptions):
        options = requested
    else:
        options = ViewOptions.from_query({"view": requested or ""}, len(graph["nodes"]), threshold)
    draw = collapsed_view if options.mode == "collapsed" else full_view
    return draw(graph, statuses, options, node_link)
