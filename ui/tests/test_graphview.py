"""The collapsed and full drawings of a transport graph."""

from __future__ import annotations

import re

from covalent_ui.graphview import COLLAPSE_THRESHOLD, aggregate_status, build_view, collapsed_view, full_view


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


def test_aggregate_status_of_a_box() -> None:
    assert aggregate_status({"COMPLETED": 3}, 3) == "COMPLETED"
    assert aggregate_status({"COMPLETED": 2, "NEW_OBJECT": 1}, 3) == "NEW_OBJECT"
    assert aggregate_status({"COMPLETED": 2, "RUNNING": 1}, 3) == "RUNNING"
    assert aggregate_status({"RUNNING": 1, "FAILED": 1}, 2) == "FAILED"
    assert aggregate_status({"CANCELLED": 1, "COMPLETED": 1}, 2) == "CANCELLED"


def test_collapsed_view_groups_by_name_and_layer_and_counts_statuses() -> None:
    graph = fan(50)
    statuses = {1 + 2 * i: "COMPLETED" for i in range(50)} | {2: "RUNNING", 4: "COMPLETED"}
    view = collapsed_view(graph, statuses)
    assert view.mode == "collapsed" and view.task_count == 101
    assert [(g["name"], len(g["members"])) for g in view.groups] == [("prep", 50), ("work", 50), ("total", 1)]
    assert ":parameter:" not in view.svg
    boxes = re.findall(r'<g class="group" data-group="(\d)" data-count="(\d+)" data-status="(\w+)"', view.svg)
    assert boxes == [("0", "50", "COMPLETED"), ("1", "50", "RUNNING"), ("2", "1", "NEW_OBJECT")]
    assert "50/50 done" in view.svg and "1/50 done" in view.svg
    assert f'data-node-id="{1 + 2 * 50}"' in view.svg  # a box of one node opens that node
    assert view.svg.count("<line") == 2  # prep -> work -> total, once each
    data = view.script_data()
    assert data["groups"][1]["members"][:2] == [2, 4] and data["statuses"]["2"] == "RUNNING"


def test_full_view_draws_every_node_and_leaves_parameters_uncoloured() -> None:
    graph = fan(3)
    view = full_view(graph, {0: "COMPLETED", 1: "FAILED"})
    assert view.svg.count('class="node"') == len(graph["nodes"])
    assert re.search(r'data-node-id="0" data-status=""', view.svg)
    assert re.search(r'data-node-id="1" data-status="FAILED"', view.svg)
    assert view.script_data() == {"mode": "full"}


def test_build_view_collapses_above_the_threshold_unless_asked() -> None:
    small, big = fan(3), fan(COLLAPSE_THRESHOLD)
    assert build_view(small, {}).mode == "full"
    assert build_view(small, {}, "collapsed").mode == "collapsed"
    assert build_view(big, {}).mode == "collapsed"
    assert build_view(big, {}, "full").mode == "full"
    assert build_view(big, {}, "nonsense").mode == "collapsed"
