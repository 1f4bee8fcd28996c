"""A stopped or killed server loses nothing recorded and resumes every dispatch."""

from __future__ import annotations

import collections
import time

import pytest

import covalent as ct


def _workflow(log_path: str, width: int):
    @ct.electron
    def step(i, log):
        import time as _time

        with open(log, "a") as f:
            f.write(f"{i}\n")
        _time.sleep(0.25)
        return i

    @ct.electron
    def total(values):
        return sum(values)

    @ct.lattice
    def wf(log):
        return total([step(i, log) for i in range(width)])

    return wf


@pytest.mark.parametrize("how", ["kill", "stop"])
def test_restart_resumes_without_rerunning_completed_nodes(fresh_server, tmp_path, how):
    log = tmp_path / "runs.log"
    width = 16
    dispatch_id = ct.dispatch(_workflow(str(log), width))(str(log))
    deadline = time.monotonic() + 60
    while len(done_before := fresh_server.completed_electrons(dispatch_id)) < 3:
        assert time.monotonic() < deadline, "no progress before the interruption"
        time.sleep(0.1)
    if how == "kill":
        fresh_server.kill()
    else:
        fresh_server.stop()
    runs_before = collections.Counter(log.read_text().split())
    fresh_server.start()
    result = ct.get_result(dispatch_id, wait=True)
    assert result.status == "COMPLETED"
    assert result.result == sum(range(width))
    runs = collections.Counter(log.read_text().split())
    step_ids = {r["node_id"]: r["output"] for r in result.get_all_node_results() if r["node_name"] == "step"}
    for node_id in done_before:
        i = str(step_ids[node_id])
        assert runs[i] == runs_before[i] == 1, f"step {i} was recorded complete before the {how}, yet ran again"
    assert set(runs) == {str(i) for i in range(width)}


@ct.electron
def _plus_one(x):
    return x + 1


@ct.lattice
def _small(x):
    return _plus_one(_plus_one(x))


@pytest.mark.parametrize("linger", [True, False])
def test_every_dispatch_the_server_answered_survives_a_kill(fresh_server, monkeypatch, linger):
    """kill -9 at once after the last answer loses none of the answered dispatches, and each one completes.

    With a linger a small dispatch is answered at its end (or the linger's); without, once it is registered.
    """
    import importlib

    if not linger:  # answered once registered, while it runs
        monkeypatch.setattr(importlib.import_module("covalent.client.dispatch"), "LINGER_NODES", 0)
    answered = [ct.dispatch(_small)(i) for i in range(30)]
    fresh_server.kill()  # at once after the last answer
    fresh_server.start()
    for i, dispatch_id in enumerate(answered):
        result = ct.get_result(dispatch_id, wait=True, progress=False)
        assert result.status == "COMPLETED", (i, result.status, result.error)
        assert result.result == i + 2
