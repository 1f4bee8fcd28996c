"""What the dispatch and preview pages share about their graph: the drawing, its caption, its JSON.

``GET .../graph`` (:func:`graph_fragment`) answers a drawing for other options
(a group expanded in place, the other direction, parameters hidden) as JSON,
which the page's script puts in place without reloading the page.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from covalent.graph.draw import STATUS_COLOURS
from covalent_ui.graphview import AGGREGATE_RULES, COLLAPSE_THRESHOLD, GraphView, ViewOptions, build_view
from covalent_ui.templating import render

__all__ = ["caption", "draw", "graph_fragment", "graph_script", "script_json"]


def script_json(data: Any) -> str:
    """JSON safe to embed in a ``<script>`` element (no ``<``, ``>`` or ``&`` left raw)."""
    return json.dumps(data).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def draw(request: Request, graph: dict[str, Any], statuses: dict[int, str], node_link: str | None) -> GraphView:
    """The drawing the request's query asks for (``view``, ``dir``, ``params``, ``expand``)."""
    options = ViewOptions.from_query(request.query_params, len(graph["nodes"]), COLLAPSE_THRESHOLD)
    return build_view(graph, statuses, options, node_link=node_link)


def caption(view: GraphView) -> str:
    text = f"{view.node_count} nodes ({view.task_count} tasks)."
    if view.mode == "collapsed":
        text += " Collapsed: parameters hidden, nodes of one name in one layer grouped (click a group to expand it)."
    return text


def graph_script(view: GraphView, **extra: Any) -> str:
    """The page's embedded JSON: colours, how a group's status is decided (:data:`AGGREGATE_RULES`),
    the drawing's options, groups and statuses, and ``extra``."""
    rules = [list(rule) for rule in AGGREGATE_RULES]
    return script_json({"colours": STATUS_COLOURS, "aggregate": rules, **view.script_data(), **extra})


def graph_fragment(request: Request, view: GraphView) -> Response:
    """The drawing as JSON: SVG, options, groups, the caption and the option links for the toolbar."""
    return JSONResponse(
        {
            **view.script_data(),
            "svg": view.svg,
            "caption": caption(view),
            "options_html": render(request, "_graph_options.html", {"view": view}),
        }
    )
