"""Electrons, lattices and dependencies as Covalent code uses them, run on a real server."""

from __future__ import annotations

import covalent as ct
from covalent._shared_files.utils import get_serialized_function_str
from covalent._workflow.lattice import Lattice


@ct.electron
def where():
    import os

    return os.getpid()


@ct.electron(executor="local")
def pinned():
    return "pinned"


def _note(path):
    with open(path, "a") as f:
        f.write("before\n")


def test_sublattice_electrons_inherit_the_outer_executor_and_deps(server, tmp_path):
    log = tmp_path / "calls.log"

    @ct.electron
    def inner_task():
        return "done"

    @ct.lattice
    def inner():
        return inner_task()

    @ct.lattice(executor="local", call_before=[ct.DepsCall(_note, args=[str(log)])])
    def outer():
        return ct.electron(inner)()

    result = ct.dispatch_sync(outer)()
    assert result.result == "done"
    # once before the sublattice node built the inner graph, once before the inner electron
    assert log.read_text().count("before") == 2
    child = result.get_node_result(0)["sublattice_result"]
    assert child.get_node_result(0)["executor"] == "local"


def test_several_deps_calls_with_one_keyword_give_a_list(server):
    def one():
        return 1

    def two():
        return 2

    @ct.electron(call_before=[ct.DepsCall(one, retval_keyword="y"), ct.DepsCall(two, retval_keyword="y")])
    def both(y=None):
        return y

    @ct.electron(call_before=ct.DepsCall(two, retval_keyword="y"))
    def single(y=None):
        return y

    @ct.lattice
    def wf():
        return [both(), single()]

    assert ct.dispatch_sync(wf)().result == [[1, 2], 2]


def test_get_context_inside_a_task(server):
    @ct.electron
    def who():
        context = ct.get_context()
        return context.dispatch_id, context.task_id, context.node_id

    @ct.lattice
    def wf():
        return who()

    result = ct.dispatch_sync(wf)()
    assert result.result == (result.dispatch_id, 0, 0)
    assert ct.get_context().dispatch_id is None  # outside a task


def test_electron_object_and_metadata():
    executor = ct.executor.LocalExecutor(workers=1)

    @ct.electron(executor=executor, deps_pip=["numpy"])
    def task(x):
        return x

    assert task.electron_object is task and task.electron_object.function(4) == 4
    meta = task.electron_object.metadata
    assert meta["executor"] == "local" and meta["executor_data"]["attributes"] == {"workers": 1}
    assert ct.DepsPip().from_dict(meta["hooks"]["deps"]["pip"]).packages == ["numpy"]
    assert pinned.metadata["executor"] == "local" and where.metadata["hooks"] is None

    @ct.lattice(workflow_executor="local")
    def wf(x):
        return task(x)

    assert wf.metadata["workflow_executor"] == "local" and wf.workflow_function.get_deserialized()(3) == 3
    wf.build_graph(3)
    assert wf.inputs.get_deserialized() == {"args": (3,), "kwargs": {}}


def test_function_source_with_its_decorators():
    assert (
        get_serialized_function_str(where)
        == "@ct.electron\ndef where():\n    import os\n\n    return os.getpid()\n\n\n"
    )
    wrapped = Lattice(ct.electron(ct.lattice(where.function)))
    assert get_serialized_function_str(wrapped).startswith("@ct.electron\ndef where():")
    assert get_serialized_function_str(len).startswith("# len was not inspectable")


def test_deps_module_sends_a_module_by_value(server, tmp_path, monkeypatch):
    package = tmp_path / "helpers_for_deps_module.py"
    package.write_text("def triple(x):\n    return 3 * x\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import helpers_for_deps_module

    @ct.electron(deps_module=helpers_for_deps_module)
    def use(x):
        return helpers_for_deps_module.triple(x)

    @ct.lattice
    def wf(x):
        return use(x)

    assert ct.dispatch_sync(wf)(2).result == 6
