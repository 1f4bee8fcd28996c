"""Results read the way Covalent code reads them, against a real server (and ours keep working)."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest

import covalent as ct
from covalent._dispatcher_plugins.local import LocalDispatcher
from covalent._results_manager import Result
from covalent._results_manager import results_manager as rm
from covalent._shared_files.exceptions import MissingLatticeRecordError


@ct.electron
def add(a, b):
    return a + b


@ct.electron
def fails(x):
    import sys

    print("about to fail", file=sys.stderr)
    raise RuntimeError(f"no {x}")


@ct.lattice
def flow(a, b):
    return add(add(a, b), b)


def test_covalent_reads_of_a_completed_result(server):
    result = rm.get_result(ct.dispatch(flow)(1, 2), wait=True)
    assert result.status == Result.COMPLETED and result.error is None and result.result == 5
    assert result.inputs.get_deserialized() == {"args": (1, 2), "kwargs": {}} == result.inputs
    assert result.encoded_result.get_deserialized() == 5 and result.root_dispatch_id == result.dispatch_id
    node = result.get_node_result(0)
    assert node["output"].get_deserialized() == 3 and node["output"] == 3  # Covalent's and ours
    graph = result.lattice.transport_graph
    assert list(graph._graph.nodes) == list(range(len(graph)))
    assert graph.get_node_value(0, "status") == Result.COMPLETED and graph.get_node_value(0, "name") == "add"
    assert graph.get_node_value(0, "output").get_deserialized() == 3
    assert graph.get_node_value(1, "value").get_deserialized() == 1
    assert graph.get_node_value(0, "function")(2, 3) == 5
    assert graph.get_node_value(0, "start_time") <= graph.get_node_value(0, "end_time")
    assert graph.get_node_value(0, "error") is None and graph.get_node_value(0, "sub_dispatch_id") is None
    assert graph.get_node_value(0, "metadata")["executor"] is None
    last = max(graph._graph.nodes)
    assert graph.get_node_value(last, "name") == ":postprocess:"
    assert graph.get_node_value(last, "start_time") == graph.get_node_value(last, "end_time")
    with pytest.raises(KeyError):
        graph.get_node_value(0, "no such key")
    assert result.lattice.workflow_function.get_deserialized()(1, 2) == 5


def test_a_failed_task_keeps_its_traceback_in_error_and_stderr(server):
    @ct.lattice
    def wf(x):
        fails(x)
        return add(x, 1)

    result = ct.get_result(ct.dispatch(wf)(7), wait=True)
    assert result.status == Result.FAILED and "fails" in result.error
    graph = result.lattice.transport_graph
    stderr = graph.get_node_value(0, "stderr")
    assert stderr.startswith("about to fail\n") and "RuntimeError: no 7" in stderr
    assert "RuntimeError: no 7" in graph.get_node_value(0, "error")
    assert graph.get_node_value(2, "output") == 8  # the rest ran


def test_get_result_options(server, tmp_path):
    @ct.lattice
    def outer(a, b):
        return add(ct.electron(ct.lattice(lambda x, y: add(x, y), name="inner"))(a, b), 0)

    dispatch_id = ct.dispatch(outer)(1, 2)
    nothing = ct.get_result(
        dispatch_id, wait=True, workflow_output=False, intermediate_outputs=False, sublattice_results=False
    )
    assert nothing.result is None and nothing.get_node_result(0)["output"] is None
    assert nothing.get_node_result(0)["sublattice_result"] is None
    full = ct.get_result(dispatch_id, results_dir=str(tmp_path))
    assert full.get_node_result(0)["sublattice_result"].result == 3 and full.get_node_result(0)["output"] == 3
    copy = tmp_path / dispatch_id
    assert (copy / "result.json").exists() and full.results_dir == str(copy)
    rm._delete_result(dispatch_id, results_dir=str(tmp_path))
    assert not copy.exists() and ct.get_result(dispatch_id).result == 3  # the server's record stays
    assert ct.get_result(dispatch_id, status_only=True)["id"] == dispatch_id
    with pytest.raises(MissingLatticeRecordError):
        ct.get_result("nonexistent")


def test_redispatch_in_covalents_positional_order_reuses_with_no_time_taken(server):
    dispatch_id = ct.dispatch(flow)(1, 2)
    assert ct.get_result(dispatch_id, wait=True).result == 5
    again = ct.redispatch(dispatch_id, server.address, {"add": add}, True)()
    reused = ct.get_result(again, wait=True)
    assert reused.result == 5
    for node in reused.get_all_node_results():
        assert node["start_time"] == node["end_time"], node
    ours = ct.redispatch(dispatch_id, None, True)(3, 4)  # our order: replace_electrons, reuse_previous_results
    assert ct.get_result(ours, wait=True).result == 11


def test_local_dispatcher_steps(server):
    assert LocalDispatcher.dispatch_sync(flow)(2, 2).result == 6
    flow.build_graph(5, 1)
    with tempfile.TemporaryDirectory() as staging:
        staged = LocalDispatcher.prepare_manifest(flow, staging)
        assert (Path(staging) / "manifest.json").exists()
        registered = LocalDispatcher.register_manifest(staged, push_assets=False)
        dispatch_id = registered.metadata.dispatch_id
        assert ct.get_result(dispatch_id).status == "NEW_OBJECT"
        LocalDispatcher.start(dispatch_id)
        assert rm.get_result(dispatch_id, wait=True).result == 7
    manager = rm.get_result_manager(dispatch_id)
    manager.download_node_asset(0, "output")
    assert manager.result_object.result == 7


def test_unknown_executor_fails_the_node_naming_it(server):
    @ct.electron(executor="nonexistent")
    def task():
        return 1

    @ct.lattice
    def wf():
        task()

    result = ct.get_result(ct.dispatch(wf)(), wait=True)
    assert result.status == Result.FAILED
    assert re.search(r"'nonexistent' is not installed", result.lattice.transport_graph.get_node_value(0, "error"))


def test_dependency_metadata_in_covalents_form(server):
    @ct.electron(deps_bash=ct.DepsBash(["ls"]))
    def first():
        return 1

    @ct.electron
    def second():
        return 2

    @ct.lattice(deps_bash=["ls -l"])
    def wf():
        first()
        second()

    graph = ct.get_result(ct.dispatch(wf)(), wait=True).lattice.transport_graph
    own = ct.DepsBash().from_dict(graph.get_node_value(0, "metadata")["hooks"]["deps"]["bash"])
    inherited = ct.DepsBash().from_dict(graph.get_node_value(1, "metadata")["hooks"]["deps"]["bash"])
    assert own.commands == ["ls"] and inherited.commands == ["ls -l"]


def test_cancelling_a_sublattice_node_ends_once_its_child_is_cancelled(server, tmp_path):
    import os
    import time

    from covalent.testing import wait_until

    marker = tmp_path / "started"

    @ct.electron
    def sleepy(path):
        open(path, "w").close()
        time.sleep(30)

    @ct.electron
    @ct.lattice
    def child(path):
        return sleepy(path)

    @ct.lattice
    def parent(path):
        return child(path)

    dispatch_id = ct.dispatch(parent)(str(marker))
    wait_until(lambda: os.path.exists(marker), what="the child's task to start")
    ct.cancel(dispatch_id, task_ids=[0])
    result = ct.get_result(dispatch_id, wait=True)
    sub_id = result.lattice.transport_graph.get_node_value(0, "sub_dispatch_id")
    assert result.status == ct.status.CANCELLED and sub_id
    assert ct.get_result(sub_id).status == ct.status.CANCELLED  # already, not later
