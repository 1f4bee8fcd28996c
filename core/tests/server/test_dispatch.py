"""Dispatching to a real server process and reading results back."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import time

import pytest

import covalent as ct


@ct.electron
def add(x, y):
    return x + y


@ct.electron
def shout(text):
    print(f"stdout:{text}")
    print(f"stderr:{text}", file=sys.stderr)
    return text.upper()


@ct.electron
def fail(x):
    raise ValueError(f"failing on {x}")


@ct.electron
def wait_for_file(path):
    import os
    import time as _time

    while not os.path.exists(path):
        _time.sleep(0.05)
    return "released"


@ct.lattice
def arithmetic(a, b):
    s = add(a, b)
    return [add(s, i) for i in range(4)]


def test_dispatch_and_result(server):
    dispatch_id = ct.dispatch(arithmetic)(1, 2)
    result = ct.get_result(dispatch_id, wait=True)
    assert result.status == ct.status.COMPLETED == "COMPLETED"
    assert result.result == [3, 4, 5, 6]
    assert result.dispatch_id == dispatch_id
    assert result.inputs == {"args": (1, 2), "kwargs": {}}
    assert result.inputs.get_deserialized() == {"args": (1, 2), "kwargs": {}}  # Covalent's way of reading them
    assert result.start_time <= result.end_time
    assert result.error is None
    assert result.lattice.name == "arithmetic"
    node = result.get_node_result(0)
    assert node["node_name"] == "add" and node["output"] == 3 and node["status"] == "COMPLETED"
    assert node["output"].get_deserialized() == 3 and node["output"] + 1 == 4
    assert set(node) >= {
        "node_id",
        "node_name",
        "start_time",
        "end_time",
        "status",
        "output",
        "error",
        "stdout",
        "stderr",
        "sublattice_result",
    }
    outputs = result.get_all_node_outputs()
    assert outputs["add(0)"] == 3
    assert len(result.get_all_node_results()) == len([k for k in outputs])
    assert "COMPLETED" in str(result) and "<table>" in result._repr_html_()


def test_dispatch_sync_and_status_only(server):
    result = ct.dispatch_sync(arithmetic)(2, 2)
    assert result.result == [4, 5, 6, 7]
    status = ct.get_result(result.dispatch_id, status_only=True)
    assert status["status"] == "COMPLETED"


def test_stdout_and_stderr_are_captured_per_node(server):
    @ct.lattice
    def wf(text):
        return shout(text)

    result = ct.dispatch_sync(wf)("hi")
    node = result.get_node_result(0)
    assert result.result == "HI"
    assert "stdout:hi" in node["stdout"] and "stderr:hi" in node["stderr"]


def test_failure_keeps_traceback_and_independent_branch_finishes(server):
    @ct.lattice
    def wf(a):
        bad = fail(a)
        good = add(a, 1)
        return add(bad, good), good

    result = ct.dispatch_sync(wf)(5)
    assert result.status == "FAILED"
    assert "fail (node 0)" in result.error
    failed = result.get_node_result(0)
    assert failed["status"] == "FAILED" and "ValueError: failing on 5" in failed["error"]
    good = next(r for r in result.get_all_node_results() if r["node_name"] == "add" and r["status"] == "COMPLETED")
    assert good["output"] == 6
    downstream = [r for r in result.get_all_node_results() if r["status"] == "NEW_OBJECT"]
    assert downstream, "the descendant of the failed node must not run"
    assert result.result is None


def test_sublattice_runs_as_a_child_dispatch(server):
    @ct.lattice
    def inner(x):
        return add(x, 100)

    @ct.lattice
    def outer(a):
        return add(ct.electron(inner)(add(a, 1)), 1)

    result = ct.dispatch_sync(outer)(1)
    assert result.status == "COMPLETED" and result.result == 103
    sub_node = next(r for r in result.get_all_node_results() if r["kind"] == "sublattice")
    assert sub_node["output"] == 102
    child = sub_node["sublattice_result"]
    assert child.result == 102 and child.root_dispatch_id == result.dispatch_id


def test_partial_results_while_running(server, tmp_path):
    gate = tmp_path / "gate"

    @ct.lattice
    def wf(path):
        first = add(1, 2)
        return add(first, ct.wait(wait_for_file(path), [first]))

    dispatch_id = ct.dispatch(wf)(str(gate))
    deadline = time.monotonic() + 30
    while True:
        partial = ct.get_result(dispatch_id, wait=False)
        if partial.get_node_result(0)["status"] == "COMPLETED":
            break
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert partial.status == "RUNNING"
    assert partial.get_node_result(0)["output"] == 3
    assert partial.result is None
    gate.write_text("go")
    assert ct.get_result(dispatch_id, wait=True).status == "FAILED"  # add(3, "released") raises


def test_dispatch_from_a_process_that_exits_at_once(server, tmp_path):
    script = tmp_path / "client.py"
    script.write_text(
        textwrap.dedent("""
        import covalent as ct

        @ct.electron
        def mul(x, y):
            return x * y

        @ct.lattice
        def wf(a):
            return mul(a, 7)

        print(ct.dispatch(wf)(6))
    """)
    )
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True, cwd=tmp_path)
    dispatch_id = out.stdout.strip()
    result = ct.get_result(dispatch_id, wait=True)
    assert result.result == 42  # defined in a script the server never saw


def test_disable_run_then_start(server):
    import httpx

    from covalent.testing import CLIENT_HEADERS

    dispatch_id = ct.dispatch(arithmetic, disable_run=True)(1, 1)
    assert ct.get_result(dispatch_id).status == "NEW_OBJECT"
    httpx.post(f"{server.address}/api/v1/dispatches/{dispatch_id}/start", headers=CLIENT_HEADERS).raise_for_status()
    assert ct.get_result(dispatch_id, wait=True).result == [2, 3, 4, 5]


def test_unknown_dispatch_id_is_a_clear_error(server):
    with pytest.raises(ct.DispatchNotFoundError, match="no dispatch with id nope"):
        ct.get_result("nope")


def test_no_server_is_a_clear_error(monkeypatch):
    from covalent.testing import free_port

    monkeypatch.setenv("COVALENT_DISPATCHER_ADDR", f"http://127.0.0.1:{free_port()}")
    with pytest.raises(ct.ServerUnavailableError, match="covalent start"):
        ct.dispatch(arithmetic)(1, 2)


def test_unknown_executor_fails_its_node_and_runs_the_rest(server):
    @ct.electron(executor="nosuchexecutor")
    def task(x):
        return x

    @ct.electron
    def other(x):
        return x * 2

    @ct.lattice
    def wf(a):
        task(a)
        return other(a)

    result = ct.dispatch_sync(wf)(1)
    assert result.status == "FAILED"
    failed = result.get_node_result(0)
    assert failed["status"] == "FAILED"
    assert re.search(r"'nosuchexecutor'.*not installed.*installed: .*local", failed["error"])
    assert result.get_node_result(2)["output"] == 2  # the rest ran


def test_unknown_executor_is_rejected_by_the_api_unless_asked(server):
    """Other clients of the HTTP API get a 422 naming the executor (the SDK asks for Covalent's way)."""
    from covalent.client.connection import Connection
    from covalent.graph.bundle import write_bundle

    @ct.electron(executor="nosuchexecutor")
    def task(x):
        return x

    @ct.lattice
    def wf(a):
        return task(a)

    manifest = wf.build_manifest(1)
    files = [
        ("manifest", ("manifest.json", json.dumps(manifest.to_json()).encode(), "application/json")),
        ("blobs", ("blobs.bin", write_bundle(manifest.blobs.items()), "application/octet-stream")),
    ]
    with Connection() as conn, pytest.raises(ct.ServerError, match=r"'nosuchexecutor'.*not installed") as raised:
        conn.request("POST", "/dispatches", files=files)
    assert raised.value.status_code == 422


def test_output_text_with_nul_characters_is_recorded(server):
    @ct.electron
    def binary_talk():
        print("before\x00after")
        return "ok"

    @ct.lattice
    def wf():
        return binary_talk()

    result = ct.dispatch_sync(wf)()
    assert result.result == "ok"
    assert "before" in result.get_node_result(0)["stdout"] and "after" in result.get_node_result(0)["stdout"]


def test_an_executor_that_cannot_be_built_fails_its_node_within_its_retries(server):
    """Each failed build counts as an attempt: the node fails with the error instead of retrying forever."""
    broken = {"name": "local", "kwargs": {"workers": "many"}}  # the server's LocalExecutor(workers="many") raises

    @ct.electron(executor=broken, retries=2)
    def never(x):
        return x

    @ct.lattice
    def flow(x):
        return never(x)

    started = time.monotonic()
    result = ct.dispatch_sync(flow)(1)
    assert time.monotonic() - started < 30
    assert result.status == "FAILED"
    node = next(n for n in result.get_all_node_results() if n["node_name"] == "never")
    assert "executor could not be started" in node["error"] and "many" in node["error"]
    import httpx

    row = httpx.get(f"{server.address}/api/v1/dispatches/{result.dispatch_id}/nodes/{node['node_id']}").json()
    assert row["attempts"] == 3 and row["status"] == "FAILED"
