"""The dashboard's drawings of a transport graph: full, collapsed, groups expanded, parameters, direction."""

from __future__ import annotations

import json
import re
from pathlib import Path

from covalent_ui.graphview import (
    AGGREGATE_RULES,
    COLLAPSE_THRESHOLD,
    ViewOptions,
    aggregate_status,
    build_view,
    collapsed_view,
    full_view,
)


def fan(width: int) -> dict:
    """x (parameter) -> prep_i -> work_i for each i -> total."""
    nodes = [{"id": 0, "kind": "parameter", "name": ":parameter:x"}]
    edges = []
    for i in range(width):
        prep, work = 1 + 2 * i, 2 + 2 * i
        nodes += [{"id": prep, "kind": "electron", "name": "prep"}, {"id": work, "kind": "electron", "name": "work"}]
        edges += [{"source": 0, "target": prep, "param": "x"}, {"source": prep, "target": work, "param": "y"}]
    total = 1 + 2 * width
    nodes.append({"id": total, "kind": "electron", "name": "total"})
    edges += [{"source": 2 + 2 * i, "target": total, "param": f"p{i}"} for i in range(width)]
    return {"nodes": nodes, "edges": edges}


def boxes(svg: str) -> list[str]:
    return re.findall(r'data-key="([ngb]\d+)"', svg)


def test_aggregate_status_of_a_box() -> None:
    assert aggregate_status({"COMPLETED": 3}, 3) == "COMPLETED"
    assert aggregate_status({"COMPLETED": 2, "NEW_OBJECT": 1}, 3) == "NEW_OBJECT"
    assert aggregate_status({"COMPLETED": 2, "RUNNING": 1}, 3) == "RUNNING"
    assert aggregate_status({"RUNNING": 1, "FAILED": 1}, 2) == "FAILED"
    assert aggregate_status({"CANCELLED": 1, "COMPLETED": 1}, 2) == "CANCELLED"


STATUS_JS = Path(__file__).resolve().parents[1] / "frontend" / "src" / "graph" / "status.js"


def test_the_page_s_script_gets_the_aggregate_rule_from_the_server() -> None:
    """One source for a group's status: the page's data carries AGGREGATE_RULES, and the
    script's ``aggregate`` names no status of its own (only the fallback for an empty list)."""
    from covalent_ui.views.graph import graph_script

    view = collapsed_view(fan(4), {})
    data = json.loads(graph_script(view))
    assert data["aggregate"] == [[test, str(status)] for test, status in AGGREGATE_RULES]
    source = STATUS_JS.read_text()
    body = source[source.index("export function aggregate(") : source.index("export class StatusBoard")]
    named = set(re.findall(r'"([A-Z_]+)"', body))
    assert named == {"NEW_OBJECT"}, named
    assert "aggregate(this.rules," in source


def test_collapsed_view_groups_by_name_and_layer_and_counts_statuses() -> None:
    graph = fan(50)
    statuses = {1 + 2 * i: "COMPLETED" for i in range(50)} | {2: "RUNNING", 4: "COMPLETED"}
    view = collapsed_view(graph, statuses)
    assert view.mode == "collapsed" and view.task_count == 101
    assert [(g.name, len(g.members)) for g in view.groups] == [("prep", 50), ("work", 50), ("total", 1)]
    assert ":parameter:" not in view.svg
    pattern = r'<g class="group" data-key="g(\d)" data-group="\d" data-count="(\d+)" data-status="(\w+)"'
    found = re.findall(pattern, view.svg)
    assert found == [("0", "50", "COMPLETED"), ("1", "50", "RUNNING"), ("2", "1", "NEW_OBJECT")]
    assert "50/50 done" in view.svg and "1/50 done" in view.svg
    assert f'data-node-id="{1 + 2 * 50}"' in view.svg  # a box of one node opens that node
    assert view.svg.count('class="edge"') == 2  # prep -> work -> total, once each
    assert 'href="?view=collapsed&amp;dir=TB&amp;params=0&amp;expand=0"' in view.svg  # expands without JavaScript
    data = view.script_data()
    assert data["groups"][1]["members"][:2] == [2, 4] and data["statuses"]["2"] == "RUNNING"


def test_a_large_expanded_group_draws_its_members_in_rows_in_one_box() -> None:
    graph = fan(60)
    view = collapsed_view(graph, {4: "COMPLETED"}, ViewOptions(mode="collapsed", expanded=frozenset({1})))
    keys = boxes(view.svg)
    assert "b1" in keys and "g1" not in keys and "g0" in keys
    assert view.svg.count('data-group="1"') == 61  # the block and its 60 members
    assert re.search(r'data-node-id="4" data-group="1" data-kind="electron" data-status="COMPLETED"', view.svg)
    assert view.svg.count('class="edge"') == 2  # prep -> block -> total
    y = {int(v) for v in re.findall(r'data-group="1" data-kind="electron".*?translate\(\d+,(\d+)\)', view.svg)}
    assert len(y) > 1  # in rows, not one long line
    assert 'href="?view=collapsed&amp;dir=TB&amp;params=0"' in view.svg  # collapse without JavaScript


def test_a_group_expands_in_place_among_the_collapsed_others() -> None:
    graph = fan(20)
    view = collapsed_view(graph, {}, ViewOptions(mode="collapsed", expanded=frozenset({1, 99})))
    assert view.options.expanded == frozenset({1})  # an unknown group is ignored
    keys = boxes(view.svg)
    assert keys.count("g0") == 1 and "g1" not in keys and "g2" in keys
    assert {k for k in keys if k.startswith("n")} == {f"n{2 + 2 * i}" for i in range(20)}
    assert view.svg.count('data-group="1"') == 20  # the members know their group
    assert view.svg.count('class="edge"') == 40  # group prep -> each work -> group total
    assert view.script_data()["options"]["expanded"] == [1]


def test_full_view_draws_every_node_and_leaves_parameters_uncoloured() -> None:
    graph = fan(3)
    view = full_view(graph, {0: "COMPLETED", 1: "FAILED"}, node_link="/dispatches/d/nodes/")
    assert view.svg.count('class="node"') == len(graph["nodes"])
    assert re.search(r'data-node-id="0" data-kind="parameter" data-status=""', view.svg)
    assert re.search(r'data-node-id="1" data-kind="electron" data-status="FAILED"', view.svg)
    assert '<a href="/dispatches/d/nodes/1" tabindex="-1">' in view.svg
    assert view.script_data()["statuses"] == {"1": "FAILED"}
    hidden = full_view(graph, {}, ViewOptions(parameters=False))
    assert "n0" not in boxes(hidden.svg) and len(boxes(hidden.svg)) == len(graph["nodes"]) - 1


def test_parameters_sit_just_above_their_first_consumer() -> None:
    nodes = [
        {"id": 0, "kind": "electron", "name": "a"},
        {"id": 1, "kind": "electron", "name": "b"},
        {"id": 2, "kind": "electron", "name": "c"},
        {"id": 3, "kind": "parameter", "name": ":parameter:late"},
    ]
    edges = [{"source": 0, "target": 1}, {"source": 1, "target": 2}, {"source": 3, "target": 2}]
    svg = full_view({"nodes": nodes, "edges": edges}, {}).svg
    y = {k: float(v) for k, v in re.findall(r'data-key="(n\d)".*?translate\([\d.]+,([\d.]+)\)', svg)}
    assert y["n0"] < y["n1"] < y["n2"] and y["n1"] < y["n3"] < y["n2"]


def test_left_right_swaps_the_axes() -> None:
    chain = {
        "nodes": [{"id": i, "kind": "electron", "name": f"step{i}"} for i in range(4)],
        "edges": [{"source": i, "target": i + 1} for i in range(3)],
    }
    tb = full_view(chain, {})
    lr = full_view(chain, {}, ViewOptions(direction="LR"))
    assert 'data-direction="LR"' in lr.svg and 'data-direction="TB"' in tb.svg
    assert tb.height > tb.width and lr.width > lr.height


def test_options_from_a_query_and_back() -> None:
    small, big = fan(3), fan(COLLAPSE_THRESHOLD)
    assert build_view(small, {}).mode == "full"
    assert build_view(small, {}, "collapsed").mode == "collapsed"
    assert build_view(big, {}).mode == "collapsed"
    assert build_view(big, {}, "full").mode == "full"
    assert build_view(big, {}, "nonsense").mode == "collapsed"
    options = ViewOptions.from_query({"view": "collapsed", "dir": "LR", "expand": "3,x,1"}, 10)
    assert options == ViewOptions("collapsed", "LR", True, frozenset({1, 3}))
    assert options.query(expanded=frozenset()) == "?view=collapsed&dir=LR"
    assert ViewOptions.from_query({"params": "0", "dir": "sideways"}, 10) == ViewOptions("full", "TB", False)
