"""Speed check (measured, not asserted): 10,000 dispatches listed, a 5,000-node graph drawn by the server.

The first render of that graph in Chromium is measured by ``test_graph_browser.py``.

The times are written to ``artifacts/ui-speed.json`` and printed (``-s``).
"""

from __future__ import annotations

import json
import statistics
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import covalent as ct

with warnings.catch_warnings():  # starlette 1.x suggests httpx2 for its test client; httpx works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

REPO = Path(__file__).resolve().parents[2]
RESULTS = REPO / "artifacts" / "ui-speed.json"
DISPATCHES = 10_000
WIDTH = 1250  # x 3 stages + 1,250 parameters + the collection: 5,001 nodes


@ct.electron
def stage_a(i):
    return i


@ct.electron
def stage_b(x):
    return x + 1


@ct.electron
def stage_c(x):
    return x * 2


@ct.electron
def gather(values):
    return sum(values)


@ct.lattice
def wide(n):
    return gather([stage_c(stage_b(stage_a(i))) for i in range(n)])


@ct.lattice
def tiny(x):
    return stage_a(x)


@pytest.fixture
def client(covalent_env: Path) -> Iterator[TestClient]:
    from covalent.server.app import create_app
    from covalent.testing import CLIENT_HEADERS

    app = create_app(start_cluster=False)
    with TestClient(app, base_url="http://localhost", headers=CLIENT_HEADERS) as test_client:
        yield test_client


def timed(fn: Callable[[], Any], repeat: int = 3) -> float:
    """Median wall time in milliseconds."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(samples), 1)


def record(section: str, values: dict[str, Any]) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    data = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    data[section] = values
    RESULTS.write_text(json.dumps(data, indent=2))
    print(f"\n{section}: {json.dumps(values)}")


def insert_many(client: TestClient, count: int) -> None:
    """Insert ``count`` dispatches with the server's own registration and record code."""
    from covalent.server.registration import prepare_dispatch
    from covalent.server.store.records import insert_dispatch

    state = client.app.state.covalent
    manifest = tiny.build_manifest(1)
    with state.engine.begin() as conn:
        first = prepare_dispatch(conn, state.blobs, manifest.to_json(), manifest.blobs)
        now = time.time()
        for i in range(count):
            first.dispatch_id = str(uuid.uuid4())
            first.name = f"tiny-{i:05d}"
            first.created_at = now - count + i
            insert_dispatch(state.blobs, first)(conn)
            first.blobs = {}


def test_list_page_with_10000_dispatches(client: TestClient) -> None:
    start = time.perf_counter()
    insert_many(client, DISPATCHES)
    setup = time.perf_counter() - start
    assert client.get("/api/v1/dispatches", params={"limit": 1}).json()["total"] == DISPATCHES
    pages = {
        "first page (50)": ("/", {}),
        "page 150": ("/", {"page": 150}),
        "200 per page": ("/", {"limit": 200}),
        "search": ("/", {"search": "tiny-0999"}),
        "status filter + sort by name": ("/", {"status": "NEW_OBJECT", "sort": "name", "order": "asc"}),
    }
    times = {}
    for label, (url, params) in pages.items():
        response = client.get(url, params=params)
        assert response.status_code == 200
        times[label] = timed(lambda url=url, params=params: client.get(url, params=params))
    assert "Page 1 of 200" in client.get("/").text
    record("list_10000_dispatches_ms", {"insert_s": round(setup, 1), **times})


def test_dispatch_page_with_5000_node_graph(client: TestClient) -> None:
    from covalent.graph.bundle import write_bundle

    start = time.perf_counter()
    manifest = wide.build_manifest(WIDTH)
    build = time.perf_counter() - start
    nodes = len(manifest.graph.to_dict()["nodes"])
    assert nodes >= 5000
    files = [
        ("manifest", ("m.json", json.dumps(manifest.to_json()).encode(), "application/json")),
        ("options", ("o.json", b'{"start": false}', "application/json")),
        ("blobs", ("b.bin", write_bundle(manifest.blobs.items()), "application/octet-stream")),
    ]
    dispatch_id = client.post("/api/v1/dispatches", files=files).json()["dispatch_id"]
    url = f"/dispatches/{dispatch_id}"
    collapsed = client.get(url)
    assert collapsed.status_code == 200 and 'class="group"' in collapsed.text
    full = client.get(url, params={"view": "full"})
    assert full.text.count('class="node"') == nodes
    collection = next(n["id"] for n in manifest.graph.to_dict()["nodes"] if n["kind"] == "collection")
    times = {
        "nodes": nodes,
        "build_manifest_s": round(build, 2),
        "collapsed_page_ms": timed(lambda: client.get(url)),
        "full_page_ms": timed(lambda: client.get(url, params={"view": "full"})),
        "statuses_resync_ms": timed(lambda: client.get(f"{url}/statuses")),
        "inputs_of_a_1250_input_node_ms": timed(lambda: client.get(f"{url}/nodes/{collection}/inputs")),
        "collapsed_page_kb": round(len(collapsed.content) / 1024),
        "full_page_kb": round(len(full.content) / 1024),
    }
    record("graph_5000_nodes_server", times)
