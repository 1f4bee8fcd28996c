"""Registering a dispatch: its jobs start while its record commits, and stop if it is never recorded."""

from __future__ import annotations

import json
import time

from starlette.testclient import TestClient

import covalent as ct
from covalent.graph.bundle import write_bundle


@ct.electron(executor="local")
def slow_mark(path):
    import time

    time.sleep(1.0)
    with open(path, "w") as f:
        f.write("ran")
    return path


@ct.lattice
def marking(path):
    return slow_mark(path)


def _files(lattice, *args):
    manifest = lattice.build_manifest(*args)
    return [
        ("manifest", ("m.json", json.dumps(manifest.to_json()).encode(), "application/json")),
        ("blobs", ("b", write_bundle(manifest.blobs.items()), "application/octet-stream")),
    ]


def _app(monkeypatch, tmp_path):
    monkeypatch.setenv("COVALENT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COVALENT_CONFIG_DIR", str(tmp_path / "config"))
    from covalent.server.app import create_app

    return create_app(start_cluster=False)


def test_a_dispatch_whose_record_cannot_be_written_is_stopped_and_not_kept(monkeypatch, tmp_path):
    import covalent.server.api.dispatches as api

    real = api.insert_dispatch

    def refused(store, new):
        op = real(store, new)

        def failing(conn):
            op(conn)
            raise ValueError("the record is refused (a test stands in for a database that rejects it)")

        return failing

    monkeypatch.setattr(api, "insert_dispatch", refused)
    mark = tmp_path / "mark"
    with TestClient(_app(monkeypatch, tmp_path), raise_server_exceptions=False) as client:
        answer = client.post("/api/v1/dispatches", files=_files(marking, str(mark)))
        assert answer.status_code == 500
        state = client.app.state.covalent
        deadline = time.monotonic() + 30
        while state.dispatcher.runs and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not state.dispatcher.runs  # its run was stopped ...
        listed = client.get("/api/v1/dispatches").json()
        assert listed["total"] == 0  # ... and nothing of it was recorded
        time.sleep(1.5)
        assert not mark.exists()  # its task never finished
