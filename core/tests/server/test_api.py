"""The HTTP API: listing, events, OpenAPI, and bad requests answered 4xx."""

from __future__ import annotations

import base64
import json
import pickle
import threading

import httpx
import pytest

import covalent as ct
from covalent.testing import CLIENT_HEADERS


@ct.electron
def add(x, y):
    return x + y


@ct.lattice
def named_flow(a):
    return add(a, 1)


def api(server, path):
    return f"{server.address}/api/v1{path}"


def test_list_filter_sort_paginate_and_delete(server):
    ids = [ct.dispatch(named_flow)(i) for i in range(3)]
    for dispatch_id in ids:
        ct.get_result(dispatch_id, wait=True)
    page = httpx.get(
        api(server, "/dispatches"), params={"search": "named_flow", "limit": 2, "sort": "created", "order": "asc"}
    ).json()
    assert page["total"] >= 3 and len(page["items"]) == 2
    assert all(item["name"] == "named_flow" for item in page["items"])
    assert page["items"][0]["node_counts"] == {"COMPLETED": 1}
    completed = httpx.get(api(server, "/dispatches"), params={"status": "COMPLETED", "limit": 1000}).json()
    assert {i["dispatch_id"] for i in completed["items"]} >= set(ids)
    deleted = httpx.delete(api(server, f"/dispatches/{ids[0]}"), headers=CLIENT_HEADERS).json()["deleted"]
    assert deleted == [ids[0]]
    assert httpx.get(api(server, f"/dispatches/{ids[0]}")).status_code == 404


def test_event_stream_reports_progress_then_the_end(server):
    dispatch_id = ct.dispatch(named_flow, disable_run=True)(5)
    seen: list[dict] = []
    ready = threading.Event()

    def listen():
        with httpx.stream("GET", api(server, "/events"), params={"dispatch_id": dispatch_id}, timeout=60) as response:
            for line in response.iter_lines():
                if line.startswith("data:"):
                    event = json.loads(line[5:])
                    seen.append(event)
                    ready.set()
                    if event.get("kind") == "dispatch" and event.get("status") == "COMPLETED":
                        return

    thread = threading.Thread(target=listen)
    thread.start()
    assert ready.wait(30)
    httpx.post(api(server, f"/dispatches/{dispatch_id}/start"), headers=CLIENT_HEADERS).raise_for_status()
    thread.join(60)
    assert not thread.is_alive()
    assert seen[0]["snapshot"] is True and seen[0]["status"] == "NEW_OBJECT"
    kinds = [(e["kind"], e.get("status")) for e in seen]
    assert ("dispatch", "RUNNING") in kinds and ("dispatch", "COMPLETED") in kinds
    node_events = [e for e in seen if e["kind"] == "nodes"]
    assert any(n["status"] == "COMPLETED" for e in node_events for n in e["nodes"])


@ct.electron
def pause(x, seconds):
    import time

    time.sleep(seconds)
    return x


@ct.lattice
def quick_then_slow(a):
    return pause(add(a, 1), 2.0)


def test_event_stream_of_a_running_dispatch_starts_with_its_committed_progress(server):
    dispatch_id = ct.dispatch(quick_then_slow)(1)
    for _ in range(200):
        nodes = httpx.get(api(server, f"/dispatches/{dispatch_id}/nodes")).json()["nodes"]
        if any(n["name"] == "add" and n["status"] == "COMPLETED" for n in nodes):
            break
        threading.Event().wait(0.02)
    seen: list[dict] = []
    with httpx.stream("GET", api(server, "/events"), params={"dispatch_id": dispatch_id}, timeout=60) as response:
        for line in response.iter_lines():
            if line.startswith("data:"):
                seen.append(json.loads(line[5:]))
                if seen[-1].get("kind") == "dispatch" and seen[-1].get("status") in ("COMPLETED", "FAILED"):
                    break
    first = seen[0]
    assert first["snapshot"] is True and first["status"] == "RUNNING"
    assert (first["completed"], first["total"]) == (1, 2)
    assert seen[-1]["status"] == "COMPLETED" and seen[-1]["completed"] == 2
    assert ct.get_result(dispatch_id).result == 2


def test_wait_answers_the_committed_end_with_summary_and_output(server):
    dispatch_id = ct.dispatch(named_flow, disable_run=True)(5)
    waited = httpx.get(api(server, f"/dispatches/{dispatch_id}/wait"), params={"timeout": 0}, timeout=30).json()
    assert waited["status"] == "NEW_OBJECT" and "summary" not in waited  # not ended: ask again
    answers: list[dict] = []
    thread = threading.Thread(
        target=lambda: answers.append(
            httpx.get(api(server, f"/dispatches/{dispatch_id}/wait"), params={"timeout": 60}, timeout=90).json()
        )
    )
    thread.start()
    httpx.post(api(server, f"/dispatches/{dispatch_id}/start"), headers=CLIENT_HEADERS).raise_for_status()
    thread.join(90)
    (end,) = answers
    assert end["status"] == "COMPLETED" and end["dispatch_id"] == dispatch_id
    recorded = httpx.get(api(server, f"/dispatches/{dispatch_id}")).json()
    assert {k: recorded[k] for k in end["summary"]} == end["summary"]  # as recorded (the live one has fewer fields)
    assert pickle.loads(base64.b64decode(end["output"])) == 6
    # Once ended, the answer comes at once, read from the database.
    again = httpx.get(api(server, f"/dispatches/{dispatch_id}/wait"), params={"timeout": 60}, timeout=90).json()
    assert again["status"] == "COMPLETED" and again["summary"]["output_key"] == end["summary"]["output_key"]


def test_get_result_waits_on_one_kept_connection(server):
    from covalent.client import wire
    from covalent.client.connection import Connection

    def round_trip(i):
        return ct.get_result(ct.dispatch(named_flow)(i), wait=True, progress=False).result

    assert round_trip(0) == 1
    kept = wire.kept_connection(Connection().address)  # this thread's connection to the server
    assert kept is not None and kept.sock is not None
    sock = kept.sock
    assert [round_trip(i) for i in (1, 2)] == [2, 3]
    # Each dispatch and its wait went over the connection kept open (an event stream
    # left before its end closes its connection: a new one for every dispatch).
    assert wire.kept_connection(Connection().address) is kept and kept.sock is sock


def test_a_connection_the_server_closed_while_idle_is_opened_again(server):
    import select

    from covalent.client import wire
    from covalent.client.connection import Connection
    from covalent.testing import wait_until

    conn = Connection()
    assert conn.get_json("/health")
    kept = wire.kept_connection(conn.address)
    assert kept is not None and kept.sock is not None
    sock = kept.sock
    # The server closes a connection idle for its keep-alive timeout (uvicorn's, 5 s).
    wait_until(lambda: select.select([sock], [], [], 0)[0], timeout=60, what="the server closing the idle connection")
    assert conn.get_json("/health")  # on a new connection, not an error
    assert wire.kept_connection(conn.address) is not kept


def _recording_requests(monkeypatch) -> list[tuple[str, str, bytes]]:
    """The SDK's plain requests as they go out, (method, path, body): a spy on http.client's request."""
    import http.client

    sent: list[tuple[str, str, bytes]] = []
    original = http.client.HTTPConnection.request

    def request(self, method, url, body=None, headers={}, **kwargs):  # noqa: B006 (http.client's signature)
        sent.append((method, url.split("?")[0], body or b""))
        return original(self, method, url, body, headers, **kwargs)

    monkeypatch.setattr(http.client.HTTPConnection, "request", request)
    return sent


@ct.lattice
def no_task(a):
    return a


def _register(server, lattice, *args, **options):
    from covalent.testing import upload_parts

    parts = [p for p in upload_parts(lattice, *args) if p[0] != "options"]
    parts.append(("options", ("o.json", json.dumps(options).encode(), "application/json")))
    response = httpx.post(api(server, "/dispatches"), files=parts, headers=CLIENT_HEADERS, timeout=60)
    assert response.status_code == 201, response.text
    return response.json()


def test_a_dispatch_that_ends_within_its_linger_is_answered_with_its_end(server):
    ct.dispatch_sync(named_flow)(0)  # the executor is up: what lingers is the run alone
    answer = _register(server, named_flow, 6, linger=1.0)
    assert answer["status"] == "COMPLETED"
    assert answer["summary"]["dispatch_id"] == answer["dispatch_id"] and answer["summary"]["output_key"]
    assert pickle.loads(base64.b64decode(answer["output"])) == 7
    # Without a linger, or not started, the answer is the id alone.
    assert set(_register(server, no_task, 8)) == {"dispatch_id"}
    assert set(_register(server, no_task, 9, linger=1.0, start=False)) == {"dispatch_id"}
    # One still running when the linger is over: the id alone, the run goes on.
    slow = _register(server, quick_then_slow, 1, linger=0.05)
    assert set(slow) == {"dispatch_id"}
    assert ct.get_result(slow["dispatch_id"], wait=True, progress=False).result == 2


@pytest.mark.parametrize("linger", [-1, 1.5, "soon"])
def test_a_bad_linger_answers_422(server, linger):
    from covalent.testing import upload_parts

    parts = [*upload_parts(no_task, 1), ("options", ("o.json", json.dumps({"linger": linger}).encode(), "x/json"))]
    response = httpx.post(api(server, "/dispatches"), files=parts, headers=CLIENT_HEADERS, timeout=60)
    assert response.status_code == 422 and "options" in response.json()["detail"]


def test_a_result_that_came_with_the_dispatch_is_not_asked_for_again(server, monkeypatch):
    import importlib

    monkeypatch.setattr(importlib.import_module("covalent.client.dispatch"), "LINGER_SECONDS", 1.0)
    ct.dispatch_sync(named_flow)(0)  # the executor is up: what lingers is the run alone
    sent = _recording_requests(monkeypatch)
    dispatch_id = ct.dispatch(named_flow)(41)
    assert ct.get_result(dispatch_id, wait=True, progress=False).result == 42
    assert [(method, path) for method, path, _ in sent] == [("POST", "/api/v1/dispatches")]


@ct.lattice
def fan(n):
    return [add(i, 1) for i in range(n)]


def test_the_sdk_asks_for_a_linger_for_small_graphs_only(server, monkeypatch):
    sent = _recording_requests(monkeypatch)
    small, big = ct.dispatch(fan)(3), ct.dispatch(fan)(70)  # 3 + 2 nodes, and 70 + 2
    assert [b'"linger"' in body for _, _, body in sent] == [True, False]
    assert len(ct.get_result(small, wait=True, progress=False).result) == 3
    assert len(ct.get_result(big, wait=True, progress=False).result) == 70


def test_openapi_describes_the_api(server):
    schema = httpx.get(api(server, "/openapi.json")).json()
    assert schema["openapi"].startswith("3.")
    assert "/dispatches" in schema["paths"] and "/events" in schema["paths"]


def test_graph_and_node_detail(server):
    result = ct.dispatch_sync(named_flow)(1)
    graph = httpx.get(api(server, f"/dispatches/{result.dispatch_id}/graph")).json()
    # the task, its parameter, and the node holding the workflow's return value
    assert [(n["kind"], n["status"]) for n in graph["nodes"]][-1] == ("postprocess", "COMPLETED")
    assert [n["status"] for n in graph["nodes"]] == ["COMPLETED"] * 4
    node = httpx.get(api(server, f"/dispatches/{result.dispatch_id}/nodes/0")).json()
    assert node["output_preview"] == "2" and node["executor"] == "local"
    output = httpx.get(api(server, f"/dispatches/{result.dispatch_id}/nodes/0/output")).content
    import pickle

    assert pickle.loads(output) == 2


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("POST", "/dispatches", {"content": b"not multipart", "headers": {"content-type": "text/plain"}}, 415),
        ("POST", "/dispatches", {"files": {"manifest": ("m.json", b"{not json", "application/json")}}, 422),
        ("POST", "/dispatches", {"files": {"manifest": ("m.json", b"[]", "application/json")}}, 422),
        (
            "POST",
            "/dispatches",
            {
                "files": {
                    "manifest": (
                        "m.json",
                        json.dumps(
                            {
                                "schema": 1,
                                "name": "x",
                                "graph": {
                                    "nodes": [{"id": 0, "kind": "electron", "name": "f", "function": "ab"}],
                                    "edges": [],
                                },
                                "output": {"node": 0},
                            }
                        ).encode(),
                        "application/json",
                    )
                }
            },
            422,
        ),
        (
            "POST",
            "/dispatches",
            {
                "files": {
                    "manifest": ("m.json", b"{}", "application/json"),
                    "blobs": ("b", b"\x00" * 10, "application/octet-stream"),
                }
            },
            422,
        ),
        ("POST", "/dispatches", {"files": {"options": ("o.json", b"{}", "application/json")}}, 422),
        ("POST", "/dispatches/abc/cancel", {"content": b'{"task_ids": "x"}'}, 422),
        ("POST", "/blobs/fetch", {"content": b'{"keys": ["../../etc/passwd"]}'}, 422),
        ("POST", "/blobs/fetch", {"content": b"garbage"}, 422),
        ("GET", "/blobs/notakey", {}, 422),
        ("GET", "/blobs/" + "0" * 64, {}, 404),
        ("GET", "/dispatches?limit=0", {}, 422),
        ("GET", "/dispatches?sort=drop_table", {}, 422),
        ("GET", "/dispatches/nope/nodes/abc", {}, 422),
        ("GET", "/dispatches/nope/nodes/1", {}, 404),
        ("GET", "/events?dispatch_id=nope", {}, 404),
        ("GET", "/dispatches/nope/wait", {}, 404),
        ("POST", "/dispatches/nope/redispatch?reuse_previous_results=maybe", {}, 422),
        ("POST", "/dispatches/nope/redispatch?reuse_previous_results=true", {}, 404),
        ("GET", "/dispatches/nope/wait?timeout=abc", {}, 422),
        ("GET", "/dispatches/nope/wait?timeout=61", {}, 422),
        ("GET", "/dispatches/nope/wait?timeout=-1", {}, 422),
        ("GET", "/dispatches/nope/wait?timeout=nan", {}, 422),
        ("POST", "/dispatches/nope/start", {}, 404),
    ],
)
def test_malformed_requests_answer_4xx(server, method, path, kwargs, status):
    kwargs = {**kwargs, "headers": {**CLIENT_HEADERS, **kwargs.get("headers", {})}}
    response = httpx.request(method, api(server, path), timeout=30, **kwargs)
    assert response.status_code == status, response.text
    assert "detail" in response.json()
    assert httpx.get(api(server, "/health")).status_code == 200


def test_oversized_request_is_refused_and_the_server_stays_up(tmp_path):
    from covalent.testing import ServerProcess

    small = ServerProcess(tmp_path, config="[server]\nmax_request_bytes = 100000\n")
    with small:
        big = b"\x00" * 200_000
        response = httpx.post(
            api(small, "/dispatches"), files={"manifest": ("m.json", big, "application/json")}, headers=CLIENT_HEADERS
        )
        assert response.status_code == 413

        def chunks():
            for _ in range(30):
                yield b"x" * 10_000

        streamed = httpx.post(api(small, "/blobs/fetch"), content=chunks(), headers=CLIENT_HEADERS)
        assert streamed.status_code == 413
        assert httpx.get(api(small, "/health")).status_code == 200


def test_nul_characters_in_uploaded_names_are_stored_as_replacement_characters(server):
    from covalent.graph.bundle import write_bundle

    manifest = named_flow.build_manifest(1)
    data = manifest.to_json()
    for node in data["graph"]["nodes"]:
        if node["kind"] == "electron":
            node["name"] = "add\x00ed"
    files = {
        "manifest": ("m.json", json.dumps(data).encode(), "application/json"),
        "blobs": ("b", write_bundle(manifest.blobs.items()), "application/octet-stream"),
    }
    answer = httpx.post(api(server, "/dispatches"), files=files, headers=CLIENT_HEADERS)
    assert answer.status_code == 201, answer.text
    nodes = httpx.get(api(server, f"/dispatches/{answer.json()['dispatch_id']}/nodes")).json()["nodes"]
    assert any(n["name"] == "add\ufffded" for n in nodes)


def _electron_node(data):
    return next(n for n in data["graph"]["nodes"] if n["kind"] == "electron")


MALFORMED = {
    "lattice-list": (lambda d: d.update(lattice=[1]), "lattice"),
    "lattice-text": (lambda d: d.update(lattice="x"), "lattice"),
    "blob-reference-dict": (lambda d: _electron_node(d).update(function={"k": 1}), "function"),
    "hooks-list": (lambda d: _electron_node(d).update(hooks=[1]), "hooks"),
    "executor-text": (lambda d: _electron_node(d).update(executor="dask"), "executor"),
    "executor-list": (lambda d: _electron_node(d).update(executor=["dask"]), "executor"),
    "id-beyond-64-bits": (lambda d: _electron_node(d).update(id=2**70), "id"),
    "parameters-list": (lambda d: d["lattice"].update(parameters=["a"]), "lattice.parameters"),
    "arg-index-text": (lambda d: d["graph"]["edges"][0].update(arg_index="x"), "arg_index"),
}


@pytest.mark.parametrize("shape", list(MALFORMED), ids=list(MALFORMED))
def test_malformed_manifests_answer_422_naming_the_field_and_store_nothing(server, shape):
    from covalent.graph.bundle import write_bundle

    change, field = MALFORMED[shape]
    manifest = named_flow.build_manifest(1)
    data = manifest.to_json()
    change(data)
    before = httpx.get(api(server, "/dispatches?limit=1&include_children=true")).json()["total"]
    files = {
        "manifest": ("m.json", json.dumps(data).encode(), "application/json"),
        "blobs": ("b", write_bundle(manifest.blobs.items()), "application/octet-stream"),
    }
    answer = httpx.post(api(server, "/dispatches"), files=files, headers=CLIENT_HEADERS)
    assert answer.status_code == 422, answer.text
    assert field in answer.json()["detail"]
    assert httpx.get(api(server, "/dispatches?limit=1&include_children=true")).json()["total"] == before
    assert not httpx.get(api(server, "/status")).json()["writer"]["last_error"]


def test_json_nested_100000_deep_answers_422(server):
    deep = "[" * 100_000 + "]" * 100_000
    files = {"manifest": ("m.json", deep.encode(), "application/json")}
    answer = httpx.post(api(server, "/dispatches"), files=files, headers=CLIENT_HEADERS)
    assert answer.status_code == 422 and "nested too deeply" in answer.json()["detail"]
    preview = httpx.post(f"{server.address}/preview", content=deep, headers={"Content-Type": "application/json"})
    assert preview.status_code == 422 and "nested too deeply" in preview.json()["detail"]
