"""The server process never unpickles user bytes: outcomes, outputs, executor options.

Each test plants a pickle that writes a file when it is unpickled, where the
old server unpickled: a task that forges its job's outcome, an output read
for its preview, executor options in a manifest.  The file never appears,
and what the user sees comes from plain data (the worker's preview, a clear
error).
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import httpx

import covalent as ct
from covalent.graph.bundle import write_bundle
from covalent.testing import CLIENT_HEADERS


class Planted:
    """Unpickling it writes ``path``: a value whose mere loading runs code."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (Path.write_text, (Path(self.path), "unpickled"))

    def __repr__(self) -> str:
        return "Planted(harmless here)"


@ct.electron
def forge_outcome(marker):
    """Make this worker report the job's outcome as a pickle (once), as a tampered outcome file would."""
    import pickle

    from covalent.runtime.outcome import JobOutcome

    original = JobOutcome.to_bytes

    def forged(self):  # type: ignore[no-untyped-def]
        JobOutcome.to_bytes = original
        return pickle.dumps(Planted(marker))

    JobOutcome.to_bytes = forged
    return 1


@ct.lattice
def forging(marker):
    return forge_outcome(marker)


@ct.electron
def plant(marker):
    return Planted(marker)


@ct.lattice
def planting(marker):
    return plant(marker)


def test_a_forged_outcome_fails_the_node_and_runs_nothing(server, tmp_path):
    marker = tmp_path / "unpickled"
    result = ct.dispatch_sync(forging)(str(marker))
    assert result.status == "FAILED"
    node = next(n for n in result.get_all_node_results() if n["node_name"] == "forge_outcome")
    assert "not a covalent job outcome" in node["error"]
    assert not marker.exists()


def test_node_previews_come_from_the_worker_and_nothing_is_unpickled(server, tmp_path):
    marker = tmp_path / "unpickled"
    dispatch_id = ct.dispatch(planting)(str(marker))
    ct.get_result(dispatch_id, wait=True, status_only=True)
    nodes = httpx.get(f"{server.address}/api/v1/dispatches/{dispatch_id}/nodes").json()["nodes"]
    for node in nodes:
        shown = httpx.get(f"{server.address}/api/v1/dispatches/{dispatch_id}/nodes/{node['node_id']}").json()
        if node["kind"] in ("electron", "postprocess"):  # the return value's node shows its input's preview
            assert shown["status"] == "COMPLETED" and shown["output_preview"] == "Planted(harmless here)"
            assert shown["output_size"] > 0
        else:  # the parameter's preview was made by the SDK
            assert shown["output_preview"] == repr(str(marker))
    assert not marker.exists()
    # Only the user's own client unpickles the output (and so runs what it holds).
    ct.get_result(dispatch_id).result  # noqa: B018
    assert marker.read_text() == "unpickled"


def test_pickled_executor_options_are_refused_and_never_loaded(server, tmp_path):
    marker = tmp_path / "unpickled"
    manifest = planting.build_manifest("x")
    data = manifest.to_json()
    planted = pickle.dumps(Planted(str(marker))).hex()
    for node in data["graph"]["nodes"]:
        if node["kind"] == "electron":
            node["executor"] = {"name": "local", "kwargs": {}, "pickled_kwargs": planted}
    files = {
        "manifest": ("m.json", json.dumps(data).encode(), "application/json"),
        "blobs": ("b", write_bundle(manifest.blobs.items()), "application/octet-stream"),
    }
    answer = httpx.post(f"{server.address}/api/v1/dispatches", files=files, headers=CLIENT_HEADERS)
    assert answer.status_code == 422 and "pickled_kwargs" in answer.json()["detail"]
    assert not marker.exists()
