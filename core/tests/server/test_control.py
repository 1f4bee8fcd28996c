"""Cancel, retries, time limits and redispatch against a real server."""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx

import covalent as ct
from covalent.testing import CLIENT_HEADERS, wait_until


@ct.electron
def add(x, y):
    return x + y


@ct.electron
def slow(seconds, marker):
    import time as _time

    with open(marker, "w") as f:
        f.write("started")
    _time.sleep(seconds)
    return seconds


def _note(log, word):
    """What a task of these tests appends to its run log when it runs."""
    with open(log, "a") as f:
        f.write(word + "\n")


def _wait_for(path, timeout=60):
    wait_until(lambda: os.path.exists(path), timeout, what=f"{path} to appear")


def test_cancel_whole_dispatch_stops_running_and_queued(server, tmp_path):
    marker = tmp_path / "started"

    @ct.lattice
    def wf(path):
        return add(slow(600, path), 1)

    dispatch_id = ct.dispatch(wf)(str(marker))
    _wait_for(marker)
    ct.cancel(dispatch_id)
    result = ct.get_result(dispatch_id, wait=True)
    assert result.status == "CANCELLED"
    statuses = {r["node_name"]: r["status"] for r in result.get_all_node_results()}
    assert statuses == {"slow": "CANCELLED", "add": "CANCELLED"}


def test_cancel_some_task_ids_lets_the_rest_finish(server, tmp_path):
    marker = tmp_path / "started"

    @ct.lattice
    def wf(path):
        return slow(600, path), add(1, 2)

    dispatch_id = ct.dispatch(wf)(str(marker))
    _wait_for(marker)
    ct.cancel(dispatch_id, task_ids=[0])
    result = ct.get_result(dispatch_id, wait=True)
    assert result.status == "CANCELLED"
    assert result.get_node_result(0)["status"] == "CANCELLED"
    add_node = next(r for r in result.get_all_node_results() if r["node_name"] == "add")
    assert add_node["status"] == "COMPLETED" and add_node["output"] == 3


def test_retries_are_enforced(server, tmp_path):
    counter = tmp_path / "attempts"

    @ct.electron(retries=2)
    def flaky(path):
        n = int(Path(path).read_text()) + 1 if os.path.exists(path) else 1
        with open(path, "w") as f:
            f.write(str(n))
        if n < 3:
            raise RuntimeError(f"attempt {n} fails")
        return n

    @ct.lattice
    def wf(path):
        return flaky(path)

    result = ct.dispatch_sync(wf)(str(counter))
    assert result.status == "COMPLETED" and result.result == 3
    assert result.get_node_result(0)["attempts"] == 3


def test_each_attempt_is_kept_with_its_times_worker_and_error(server, tmp_path):
    """What the dashboard's timeline and node panel show: every attempt of a retried node."""
    import httpx

    counter = tmp_path / "attempts"

    @ct.electron(retries=2)
    def flaky(path):
        n = int(Path(path).read_text()) + 1 if os.path.exists(path) else 1
        Path(path).write_text(str(n))
        if n < 3:
            raise RuntimeError(f"attempt {n} fails")
        return os.getpid()

    @ct.lattice
    def wf(path):
        return flaky(path)

    dispatch_id = ct.dispatch(wf)(str(counter))
    result = ct.get_result(dispatch_id, wait=True)
    assert result.status == "COMPLETED"
    timeline = httpx.get(f"{server.address}/api/v1/dispatches/{dispatch_id}/timeline").json()
    assert timeline["status"] == "COMPLETED" and len(timeline["nodes"]) == 1
    node = timeline["nodes"][0]
    assert node["attempts"] == 3 and node["executor"] == "local"
    assert node["worker"].endswith(f":{result.result}")  # host:pid of the process it ran in
    assert node["submitted_at"] <= node["start_time"] <= node["end_time"]
    earlier = node["history"]
    assert [a["attempt"] for a in earlier] == [1, 2] and all(a["status"] == "FAILED" for a in earlier)
    assert "RuntimeError: attempt 1 fails" in earlier[0]["error"] and "attempt 2 fails" in earlier[1]["error"]
    for a in earlier:
        assert a["submitted_at"] <= a["start_time"] <= a["end_time"] <= node["submitted_at"] and a["worker"]
    one = httpx.get(f"{server.address}/api/v1/dispatches/{dispatch_id}/nodes/0").json()
    assert one["history"] == earlier and one["worker"] == node["worker"]
    assert (
        httpx.get(f"{server.address}/api/v1/dispatches/{dispatch_id}/timeline", params={"nodes": "x"}).status_code
        == 422
    )
    assert httpx.get(f"{server.address}/api/v1/dispatches/nope/timeline").status_code == 404


def test_retries_exhausted_fail_with_last_traceback(server, tmp_path):
    @ct.electron(retries=1)
    def always_fails():
        raise RuntimeError("still broken")

    @ct.lattice
    def wf():
        return always_fails()

    result = ct.dispatch_sync(wf)()
    node = result.get_node_result(0)
    assert result.status == "FAILED" and node["attempts"] == 2
    assert "RuntimeError: still broken" in node["error"]


def test_time_limit_is_enforced(server, tmp_path):
    marker = tmp_path / "started"

    @ct.electron(time_limit=1)
    def too_slow(path):
        return slow.function(600, path)

    @ct.lattice
    def wf(path):
        return too_slow(path)

    started = time.monotonic()
    result = ct.dispatch_sync(wf)(str(marker))
    assert result.status == "FAILED"
    node = result.get_node_result(0)
    assert "time limit of 1 s exceeded" in node["error"]
    assert node["end_time"] is not None and (node["end_time"] - node["start_time"]).total_seconds() < 60
    assert time.monotonic() - started < 120


def test_redispatch_with_new_arguments_and_replaced_electron(server):
    @ct.electron
    def double(x):
        return x * 2

    @ct.lattice
    def wf(a):
        return add(double(a), 1)

    first = ct.dispatch_sync(wf)(5)
    assert first.result == 11

    def triple(x):
        return x * 3

    again = ct.get_result(ct.redispatch(first.dispatch_id)(), wait=True)
    assert again.result == 11
    changed = ct.get_result(ct.redispatch(first.dispatch_id, replace_electrons={"double": triple})(5), wait=True)
    assert changed.result == 16
    new_args = ct.get_result(ct.redispatch(first.dispatch_id)(10), wait=True)
    assert new_args.result == 21


def test_reuse_previous_results_only_where_code_and_inputs_are_unchanged(server, tmp_path):
    log = tmp_path / "runs.log"

    @ct.electron
    def stage_one(x):
        _note(log, "one")
        return x + 1

    @ct.electron
    def stage_two(x):
        _note(log, "two")
        return x * 10

    @ct.lattice
    def wf(a):
        return stage_two(stage_one(a))

    first = ct.dispatch_sync(wf)(1)
    assert first.result == 20
    log.write_text("")

    reused = ct.get_result(ct.redispatch(first.dispatch_id, reuse_previous_results=True)(), wait=True)
    assert reused.result == 20
    assert log.read_text() == ""  # nothing ran again

    def stage_two_changed(x):
        _note(log, "two-changed")
        return x * 100

    changed = ct.get_result(
        ct.redispatch(
            first.dispatch_id, replace_electrons={"stage_two": stage_two_changed}, reuse_previous_results=True
        )(),
        wait=True,
    )
    assert changed.result == 200
    assert log.read_text().split() == ["two-changed"]  # stage_one reused, stage_two re-ran

    log.write_text("")
    other_input = ct.get_result(ct.redispatch(first.dispatch_id, reuse_previous_results=True)(2), wait=True)
    assert other_input.result == 30
    assert sorted(log.read_text().split()) == ["one", "two"]  # new input: nothing reused


def test_redispatch_of_a_completed_dispatch_with_full_reuse_is_complete_when_answered(server, tmp_path):
    from covalent.client.connection import Connection

    log = tmp_path / "runs.log"

    @ct.electron
    def step(x):
        _note(log, "ran")
        return x + 1

    @ct.lattice
    def wf(a):
        return step(step(a))

    first = ct.dispatch_sync(wf)(1)
    assert first.result == 3
    with Connection() as conn:
        answer = conn.post_json(f"/dispatches/{first.dispatch_id}/redispatch", {"reuse_previous_results": True})
        new_id = answer["dispatch_id"]
        assert answer["status"] == "COMPLETED"
        assert answer["summary"]["reuse_from"] == first.dispatch_id
        assert answer["summary"]["node_counts"] == {"COMPLETED": 2}
        stored = conn.get_json(f"/dispatches/{new_id}")
        assert {k: stored[k] for k in answer["summary"]} == answer["summary"]
        old_nodes = conn.get_json(f"/dispatches/{first.dispatch_id}/nodes")["nodes"]
        new_nodes = conn.get_json(f"/dispatches/{new_id}/nodes")["nodes"]
    shown = ("node_id", "name", "status", "output_key", "fingerprint", "end_time")
    assert [[n[k] for k in shown] for n in new_nodes] == [[n[k] for k in shown] for n in old_nodes]
    # A node taken over ran nothing: it starts when it ends.
    assert all(n["start_time"] == n["end_time"] for n in new_nodes)
    assert {n["dispatch_id"] for n in new_nodes} == {new_id}
    assert log.read_text().count("ran") == 2  # nothing ran again

    with Connection() as conn:  # a second copy (the server remembers the original now) is as complete
        again = conn.post_json(f"/dispatches/{first.dispatch_id}/redispatch", {"reuse_previous_results": True})
        assert again["status"] == "COMPLETED" and again["dispatch_id"] != new_id
        assert conn.get_json(f"/dispatches/{again['dispatch_id']}")["node_counts"] == {"COMPLETED": 2}
    with Connection() as conn:  # copies share the original's stored manifest, also a copy of a copy
        manifest = conn.get_json(f"/dispatches/{first.dispatch_id}/manifest")
        assert conn.get_json(f"/dispatches/{new_id}/manifest") == manifest
        copy_of_copy = conn.post_json(f"/dispatches/{new_id}/redispatch", {"reuse_previous_results": True})
        assert copy_of_copy["status"] == "COMPLETED"
        assert conn.get_json(f"/dispatches/{copy_of_copy['dispatch_id']}/manifest") == manifest
    ct.get_result(first.dispatch_id)  # the original stays as it was ...
    with Connection() as conn:
        conn.request("DELETE", f"/dispatches/{first.dispatch_id}")
    copy = ct.get_result(new_id, wait=True)  # ... and the copy outlives it
    assert copy.status == "COMPLETED" and copy.result == 3
    assert copy.get_node_result(0)["output"] == 2
    with Connection() as conn:  # with the node rows it shared, as did the copy of the copy
        for copy_id in (new_id, copy_of_copy["dispatch_id"]):
            kept = conn.get_json(f"/dispatches/{copy_id}/nodes")["nodes"]
            assert [[n[k] for k in shown] for n in kept] == [[n[k] for k in shown] for n in old_nodes]
    with Connection() as conn:  # with the manifest it shared
        assert conn.get_json(f"/dispatches/{new_id}/manifest") == manifest
        assert conn.get_json(f"/dispatches/{copy_of_copy['dispatch_id']}/manifest") == manifest
    rerun = ct.get_result(ct.redispatch(copy_of_copy["dispatch_id"])(), wait=True)  # runs again from it
    assert rerun.status == "COMPLETED" and rerun.result == 3
    assert log.read_text().count("ran") == 4
    # The remembered original is gone: copying it again is refused, nothing is recorded.
    gone = httpx.post(
        f"{server.address}/api/v1/dispatches/{first.dispatch_id}/redispatch",
        json={"reuse_previous_results": True},
        headers=CLIENT_HEADERS,
    )
    assert gone.status_code == 404
    assert log.read_text().count("ran") == 4


def test_redispatch_with_reuse_of_a_failed_dispatch_runs_only_what_did_not_complete(server, tmp_path):
    log, fixed = tmp_path / "runs.log", tmp_path / "fixed"

    @ct.electron
    def first_step(x):
        _note(log, "first")
        return x + 1

    @ct.electron
    def flaky_step(x, flag):
        _note(log, "flaky")
        if not os.path.exists(flag):
            raise RuntimeError("not fixed yet")
        return x * 10

    @ct.lattice
    def wf(a, flag):
        return flaky_step(first_step(a), flag)

    failed = ct.dispatch_sync(wf)(1, str(fixed))
    assert failed.status == "FAILED"
    fixed.write_text("yes")
    again = ct.get_result(ct.redispatch(failed.dispatch_id, reuse_previous_results=True)(), wait=True)
    assert again.status == "COMPLETED" and again.result == 20
    assert log.read_text().split() == ["first", "flaky", "flaky"]
