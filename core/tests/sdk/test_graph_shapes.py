"""Graph behaviours: each builds the expected shape and runs to the expected value."""

from __future__ import annotations

from typing import Any

import pytest

import covalent as ct
from covalent.testing.local_run import run_manifest


def run(lattice: Any, *args: Any, **kwargs: Any) -> Any:
    return run_manifest(lattice.build_manifest(*args, **kwargs))["result"]


def kinds(lattice: Any, *args: Any, **kwargs: Any) -> list[tuple[str, str]]:
    graph = lattice.build_graph(*args, **kwargs)
    return [(n["kind"], n["name"]) for n in graph.nodes()]


@ct.electron
def add(x, y):
    return x + y


@ct.electron
def identity(x):
    return x


@ct.electron
def pair(x) -> tuple[int, int]:
    return x, x + 1


@ct.electron
def pair_unannotated(x):
    return x, x * 10


@ct.electron
def total(items):
    return sum(items)


class Box:
    def __init__(self, value):
        self.value = value


@ct.electron
def boxed(x):
    return Box(x)


def test_simple_chain_shape_and_value():
    @ct.lattice
    def wf(a, b):
        return add(add(a, b), 1)

    assert kinds(wf, 1, 2) == [
        ("electron", "add"),
        ("parameter", ":parameter:x"),
        ("parameter", ":parameter:y"),
        ("electron", "add"),
        ("parameter", ":parameter:y"),
        ("postprocess", ":postprocess:"),
    ]
    graph = wf.build_graph(1, 2)
    edges = {(e.source, e.target, e.param) for e in graph.edges()}
    assert edges == {(1, 0, "x"), (2, 0, "y"), (0, 3, "x"), (4, 3, "y"), (3, 5, "return")}
    assert run(wf, 1, 2) == 4


def test_node_ids_are_deterministic():
    @ct.lattice
    def wf(a):
        return [add(a, i) for i in range(3)]

    first = wf.build_graph(5).to_dict()
    second = wf.build_graph(5).to_dict()
    assert first == second


def test_outputs_in_lists_tuples_dicts_nested():
    @ct.lattice
    def wf(a):
        x, y = identity(a), identity(a + 1)
        return total([x, y]), total((x, y, 10)), identity({"k": [x, (y, {"deep": x})]})

    # Tuples holding outputs arrive as lists, as in Covalent (namedtuples keep their type).
    assert run(wf, 1) == [3, 13, {"k": [1, [2, {"deep": 1}]]}]
    names = [name for _, name in kinds(wf, 1)]
    assert ":list:" in names and ":dict:" in names


def test_namedtuples_and_sets_of_outputs():
    import collections

    Point = collections.namedtuple("Point", "x y")

    @ct.lattice
    def wf(a):
        x, y = identity(a), identity(a + 1)
        return identity(Point(x, y)), total({x, y}), {x, y}

    point, summed, items = run(wf, 1)
    assert point == Point(1, 2) and type(point) is Point and summed == 3 and sorted(items) == [1, 2]
    assert wf.build_graph(1).to_dict() == wf.build_graph(1).to_dict()


def test_indexing_and_attribute_access():
    @ct.lattice
    def wf(a):
        p = pair(a)
        return p[0], p[1], boxed(a).value

    assert run(wf, 3) == [3, 4, 3]
    names = [name for _, name in kinds(wf, 3)]
    assert ":getitem:0" in names and ":getattr:value" in names


def test_unpacking_numbers_items_as_covalent_does():
    @ct.lattice
    def wf(a):
        p, q = pair(a)
        return [p, q]

    # pair, its parameter, then each item with its index as a parameter node, as Covalent numbers them
    assert kinds(wf, 1)[:6] == [
        ("electron", "pair"),
        ("parameter", ":parameter:x"),
        ("operation", ":getitem:0"),
        ("parameter", ":parameter:[1]"),
        ("operation", ":getitem:1"),
        ("parameter", ":parameter:[1]"),
    ]
    assert run(wf, 1) == [1, 2]


def test_unpacking_with_annotation_and_without():
    @ct.lattice
    def wf(a):
        p, q = pair(a)  # length from the return annotation
        r, s = pair_unannotated(a)  # length from the unpacking site
        return [p, q, r, s]

    assert run(wf, 2) == [2, 3, 2, 20]


def test_iterating_unknown_length_yields_nothing_and_says_why():
    @ct.lattice
    def wf(a):
        return [x for x in identity(a)], list(identity(a)), dict(identity(a)), tuple(identity(a))

    with pytest.warns(ct.GraphBuildWarning, match="length is unknown"):
        assert run(wf, [1, 2]) == ([], [], {}, ())


def test_len_of_an_unknown_length_is_a_clear_error():
    @ct.lattice
    def wf(a):
        return len(identity(a))

    with pytest.raises(ct.GraphBuildError, match="length of electron 'identity'"):
        wf.build_graph([1, 2])


def test_number_conversions_give_zero_while_building_as_covalent_does():
    @ct.lattice
    def wf(a):
        out = identity(a)
        return int(out), float(out), complex(out), isinstance(int(out), int)

    with pytest.warns(ct.GraphBuildWarning, match="zero"):
        assert run(wf, 7) == (0, 0.0, 0j, True)


def test_outputs_as_dict_keys():
    @ct.electron
    def names():
        return {"dir_name": "run-1"}

    @ct.lattice
    def wf():
        out = names()
        return identity({out["dir_name"]: "opt.*", "fixed": out["dir_name"]})

    assert run(wf) == {"run-1": "opt.*", "fixed": "run-1"}


def test_numbering_follows_covalent():
    @ct.lattice
    def check(a, b):
        return identity(add(x=a, y=b))

    @ct.electron
    def split(s, n):
        return s[:n], s[n:]

    @ct.lattice
    def midword(a, b, n):
        first, last = split(a, n)
        return first + b + last

    # add, its two parameters, identity, the postprocessing node
    assert len(check.build_graph(1, 2)) == 5
    # split + 2 parameters, two items + their index parameters, two additions + one parameter, postprocessing
    assert len(midword.build_graph("hello world", "beautiful", 6)) == 11
    assert run(midword, "hello world", "beautiful", 6) == "hello beautifulworld"


def test_wait_for_on_an_output():
    @ct.lattice
    def wf(a):
        first = identity(a)
        return identity(a + 1).wait_for([first])

    graph = wf.build_graph(1)
    assert any(e.wait and e.source == 0 for e in graph.edges())
    assert run(wf, 1) == 2


def test_arithmetic_between_outputs_and_constants():
    @ct.lattice
    def wf(a, b):
        return identity(a) * 2 + identity(b), 10 - identity(a), -identity(b), 2 ** identity(a), identity(a) / 4

    assert run(wf, 3, 5) == [11, 7, -5, 8, 0.75]


def test_sublattice():
    @ct.lattice
    def inner(x):
        return add(x, 100)

    @ct.lattice
    def outer(a):
        return add(ct.electron(inner)(identity(a)), 1)

    graph = outer.build_graph(1)
    assert [n["kind"] for n in graph.nodes()].count("sublattice") == 1
    assert run(outer, 1) == 102


def test_wait_adds_ordering_edge_without_data():
    @ct.lattice
    def wf(a):
        first = identity(a)
        second = ct.wait(identity(a + 1), [first])
        return second

    graph = wf.build_graph(1)
    waits = [e for e in graph.edges() if e.wait]
    assert len(waits) == 1 and waits[0].source == 0
    assert run(wf, 1) == 2


def test_parameter_kinds():
    @ct.electron
    def sig(a, /, b, *args, c, d=4, **kwargs):
        return (a, b, args, c, d, kwargs)

    @ct.lattice
    def wf(x):
        return sig(identity(x), 2, 3, identity(x), c=5, e=identity(x))

    assert run(wf, 1) == (1, 2, (3, 1), 5, 4, {"e": 1})
    params = {e.param for e in wf.build_graph(1).edges()}
    assert {"a", "b", "args[0]", "args[1]", "c", "e"} <= params


def test_lattice_with_keyword_only_and_var_kwargs():
    @ct.lattice
    def wf(a, *rest, scale, **extra):
        return add(a, sum(rest)) * scale + len(extra)

    assert run(wf, 1, 2, 3, scale=2, x=1, y=2) == 14


def test_outside_a_dispatch_both_are_plain_calls():
    @ct.lattice
    def wf(a):
        p, q = pair(a)
        return add(p, q)

    assert add(1, 2) == 3
    assert wf(2) == 5


def test_lattice_returning_a_constant():
    @ct.lattice
    def wf(a):
        identity(a)
        return "done"

    assert run(wf, 1) == "done"


def test_executor_inherited_from_lattice_and_per_electron():
    @ct.electron(executor="local")
    def on_local(x):
        return x

    @ct.lattice(executor="dask")
    def wf(a):
        return on_local(identity(a))

    nodes = {n["name"]: n for n in wf.build_graph(1).nodes() if n["kind"] == "electron"}
    assert nodes["identity"]["executor"] == {"name": "dask", "kwargs": {}}
    assert nodes["on_local"]["executor"] == {"name": "local", "kwargs": {}}


def test_executor_instance_is_serialized():
    @ct.electron(executor=ct.executor.LocalExecutor(workers=3))
    def task(x):
        return x

    @ct.lattice
    def wf(a):
        return task(a)

    node = wf.build_graph(1).node(0)
    assert node["executor"] == {"name": "local", "kwargs": {"workers": 3}}


def test_retries_and_time_limit_recorded():
    @ct.electron(retries=2, time_limit=5)
    def task(x):
        return x

    @ct.lattice
    def wf(a):
        return task(a)

    node = wf.build_graph(1).node(0)
    assert node["retries"] == 2 and node["time_limit"] == 5.0


def test_workflow_executor_is_accepted():
    @ct.lattice(workflow_executor="local", executor="local")
    def wf(a):
        return identity(a)

    assert run(wf, 7) == 7
