"""The layered layout (igraph's Sugiyama): layers, crossings, routes through control points, directions."""

from __future__ import annotations

import itertools

import pytest

from covalent_ui.layout import Box, layered, longest_path_layers

Point = tuple[float, float]


def crossings(routes: list) -> list[tuple]:
    """Pairs of routes (sharing no end) whose polylines properly intersect."""

    def orient(a: Point, b: Point, c: Point) -> float:
        return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])

    def cross(p1: Point, p2: Point, q1: Point, q2: Point) -> bool:
        d1, d2 = orient(q1, q2, p1), orient(q1, q2, p2)
        d3, d4 = orient(p1, p2, q1), orient(p1, p2, q2)
        return d1 * d2 < 0 and d3 * d4 < 0

    found = []
    for a, b in itertools.combinations(routes, 2):
        if {a.source, a.target} & {b.source, b.target}:
            continue
        segments_a = list(itertools.pairwise(a.points))
        segments_b = list(itertools.pairwise(b.points))
        if any(cross(*sa, *sb) for sa in segments_a for sb in segments_b):
            found.append((a.source, a.target, b.source, b.target))
    return found


def fan_in_out(width: int) -> tuple[list[str], list[tuple[str, str]]]:
    """source -> w0..wN -> sink, a side input into the sink and a long edge source -> sink."""
    keys = ["source", *(f"w{i}" for i in range(width)), "sink", "side"]
    edges = [("source", f"w{i}") for i in range(width)] + [(f"w{i}", "sink") for i in range(width)]
    edges += [("side", "sink"), ("source", "sink")]
    return keys, edges


def test_longest_path_layers_and_cycles() -> None:
    keys, edges = fan_in_out(3)
    layers = longest_path_layers(keys, edges)
    assert layers == {"source": 0, "w0": 1, "w1": 1, "w2": 1, "sink": 2, "side": 0}
    with pytest.raises(ValueError, match="cycle"):
        longest_path_layers(["a", "b"], [("a", "b"), ("b", "a")])


@pytest.mark.parametrize("direction", ["TB", "LR"])
def test_fan_in_fan_out_is_drawn_without_crossings(direction: str) -> None:
    keys, edges = fan_in_out(5)
    layers = longest_path_layers(keys, edges)
    drawing = layered([Box(k, 150, 36, layers[k]) for k in keys], edges, direction)  # type: ignore[arg-type]
    assert len(drawing.routes) == len(edges)
    assert crossings(drawing.routes) == []
    along = (lambda p: p.y) if direction == "TB" else (lambda p: p.x)
    across = (lambda p: p.x) if direction == "TB" else (lambda p: p.y)
    for s, t in edges:  # every edge goes forward along the main axis
        assert along(drawing.boxes[s]) < along(drawing.boxes[t])
    long_edge = next(r for r in drawing.routes if (r.source, r.target) == ("source", "sink"))
    assert len(long_edge.points) == 3  # through one control point in the middle layer
    workers = sorted(across(drawing.boxes[f"w{i}"]) for i in range(5))
    gap = 150 if direction == "TB" else 36
    assert all(b - a >= gap for a, b in itertools.pairwise(workers))
    assert workers[0] < across(drawing.boxes["sink"]) < workers[-1]  # not pushed to one side (issue 22)
    assert workers[0] < across(drawing.boxes["source"]) < workers[-1]


def test_boxes_do_not_overlap_and_fit_in_the_drawing() -> None:
    keys = [f"n{i}" for i in range(40)]
    edges = [(f"n{i}", f"n{j}") for i in range(40) for j in (2 * i + 1, 2 * i + 2) if j < 40]  # a binary tree
    layers = longest_path_layers(keys, edges)
    drawing = layered([Box(k, 150, 36, layers[k]) for k in keys], edges)
    placed = list(drawing.boxes.values())
    for a, b in itertools.combinations(placed, 2):
        assert abs(a.x - b.x) >= 150 or abs(a.y - b.y) >= 36
    assert all(p.x >= 75 and p.x + 75 <= drawing.width and 18 <= p.y <= drawing.height - 18 for p in placed)
    assert crossings(drawing.routes) == []


def test_an_edge_against_the_layers_is_refused() -> None:
    with pytest.raises(ValueError, match="later layer"):
        layered([Box("a", 10, 10, 1), Box("b", 10, 10, 0)], [("a", "b")])
