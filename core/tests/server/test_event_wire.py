"""The bytes a client reads of a run's events: the SSE stream, ``/wait``, the linger and a full-reuse redispatch.

Recorded from a real dispatch on a real server over HTTP: each answer's JSON
keys (in order), its values against what ``GET /dispatches/{id}`` documents,
and the JSON text itself (how each edge writes it).
"""

from __future__ import annotations

import base64
import json
import pickle
import threading
from typing import Any

import httpx

import covalent as ct
from covalent.testing import CLIENT_HEADERS, upload_parts

PROGRESS = ["kind", "dispatch_id", "root_dispatch_id", "status", "completed", "total"]
SNAPSHOT = ["kind", "snapshot", "dispatch_id", "root_dispatch_id", "status", "completed", "total"]
ENDED = [*PROGRESS, "summary", "output"]
REGISTERED = ["kind", "dispatch_id", "root_dispatch_id", "status", "name"]
NODES = ["kind", "dispatch_id", "root_dispatch_id", "nodes", "completed", "total"]


@ct.electron
def add(x, y):
    return x + y


@ct.electron
def fail(x):
    raise ValueError(f"failing on {x}")


@ct.lattice
def inner(x):
    return add(x, 100)


@ct.lattice
def outer(a):
    return add(ct.electron(inner)(add(a, 1)), 1)


@ct.lattice
def twice(a):
    return add(add(a, 1), 1)


@ct.electron
def pause(x, seconds):
    import time

    time.sleep(seconds)
    return x


@ct.lattice
def slow(a):
    return add(pause(a, 3), 1)


@ct.lattice
def failing(a):
    return add(fail(a), 1)


def api(server, path):
    return f"{server.address}/api/v1{path}"


def json_answer(response: httpx.Response) -> Any:
    """A JSON answer, checked to be written as the API writes every JSON answer (compact, UTF-8)."""
    assert response.headers["content-type"] == "application/json"
    data = response.json()
    assert response.content == json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()
    return data


def recorded(server, dispatch_id: str) -> dict[str, Any]:
    return json_answer(httpx.get(api(server, f"/dispatches/{dispatch_id}")))


def check_summary(server, summary: dict[str, Any]) -> None:
    """A final summary is what ``GET /dispatches/{id}`` answers: the same keys in the same order, the same values.

    (Before the events were typed, the run's own summary lacked ``created_at``,
    ``reuse_from`` and ``node_count``; every other key and value was as here.)
    """
    assert list(summary.items()) == list(recorded(server, summary["dispatch_id"]).items())


def check_output(answer: dict[str, Any], value: Any) -> None:
    assert pickle.loads(base64.b64decode(answer["output"])) == value


def register(server, lattice, *args, **options) -> httpx.Response:
    parts = [p for p in upload_parts(lattice, *args) if p[0] != "options"]
    parts.append(("options", ("o.json", json.dumps(options).encode(), "application/json")))
    response = httpx.post(api(server, "/dispatches"), files=parts, headers=CLIENT_HEADERS, timeout=60)
    assert response.status_code == 201, response.text
    return response


def record_stream(url: str, params: dict[str, str], frames: list[list[str]], ready: threading.Event, until) -> None:
    """Every SSE frame (its lines, the ping comments left out) until ``until(data)`` holds."""
    with httpx.stream("GET", url, params=params, timeout=90) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        frame: list[str] = []
        for line in response.iter_lines():
            if line:
                if not line.startswith(":"):
                    frame.append(line)
                continue
            if not frame:
                continue
            frames.append(frame)
            frame = []
            ready.set()
            data = parse_frame(frames[-1])[1]
            if until(data):
                return


def parse_frame(frame: list[str]) -> tuple[dict[str, str], dict[str, Any], str]:
    """A frame's fields (``event``, ``id``) and its data, with the data's text as sent."""
    fields: dict[str, str] = {}
    for line in frame:
        name, _, value = line.partition(":")
        fields[name] = value[1:] if value.startswith(" ") else value
    text = fields.pop("data")
    return fields, json.loads(text), text


def test_the_event_stream_of_a_run_with_a_sublattice(server):
    dispatch_id = ct.dispatch(outer, disable_run=True)(1)
    frames: list[list[str]] = []
    ready = threading.Event()

    def ended(data: dict[str, Any]) -> bool:
        return data.get("kind") == "dispatch" and data.get("dispatch_id") == dispatch_id and "summary" in data

    listener = threading.Thread(
        target=record_stream, args=(api(server, "/events"), {"dispatch_id": dispatch_id}, frames, ready, ended)
    )
    listener.start()
    assert ready.wait(30)
    httpx.post(api(server, f"/dispatches/{dispatch_id}/start"), headers=CLIENT_HEADERS).raise_for_status()
    listener.join(90)
    assert not listener.is_alive()

    # The first frame is the snapshot: data alone, no event name, no id.
    fields, first, text = parse_frame(frames[0])
    assert fields == {} and text == json.dumps(first)
    assert list(first) == SNAPSHOT
    assert first == {
        "kind": "dispatch",
        "snapshot": True,
        "dispatch_id": dispatch_id,
        "root_dispatch_id": dispatch_id,
        "status": "NEW_OBJECT",
        "completed": 0,
        "total": 3,
    }
    ids: list[int] = []
    child_id = None
    ends: dict[str, dict[str, Any]] = {}
    for frame in frames[1:]:
        fields, event, text = parse_frame(frame)
        assert text == json.dumps(event)  # the stream writes each event with json.dumps as it is
        assert list(fields) == ["id", "event"] and fields["event"] == event["kind"] and fields["id"] == str(event["id"])
        assert next(iter(event)) == "id"
        ids.append(event.pop("id"))
        assert event["root_dispatch_id"] == dispatch_id
        if event["kind"] == "nodes":
            assert list(event) == NODES
            assert event["dispatch_id"] in (dispatch_id, child_id)
            assert event["nodes"] and all(list(n) == ["node_id", "status"] for n in event["nodes"])
            assert all(isinstance(n["node_id"], int) and isinstance(n["status"], str) for n in event["nodes"])
            assert 0 <= event["completed"] <= event["total"]
        elif "summary" in event:
            assert list(event) == ENDED and event["status"] == "COMPLETED"
            assert event["completed"] == event["total"]
            check_summary(server, event["summary"])
            ends[event["dispatch_id"]] = event
        elif "name" in event:  # the sublattice's child, registered
            assert list(event) == REGISTERED and event["dispatch_id"] != dispatch_id
            assert (event["kind"], event["status"], event["name"]) == ("dispatch", "RUNNING", "inner")
            child_id = event["dispatch_id"]
        else:
            assert list(event) == PROGRESS and event["kind"] == "dispatch" and event["status"] == "RUNNING"
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert child_id is not None and set(ends) == {child_id, dispatch_id}
    check_output(ends[child_id], 102)
    check_output(ends[dispatch_id], 103)
    child = ends[child_id]["summary"]
    assert (child["parent_dispatch_id"], child["root_dispatch_id"]) == (dispatch_id, dispatch_id)
    assert child["node_counts"] == {"COMPLETED": 1}
    assert ends[dispatch_id]["summary"]["node_counts"] == {"COMPLETED": 3}
    assert (ends[dispatch_id]["completed"], ends[dispatch_id]["total"]) == (3, 3)


def test_wait_before_during_and_after_the_end(server):
    dispatch_id = ct.dispatch(failing, disable_run=True)(5)
    before = json_answer(httpx.get(api(server, f"/dispatches/{dispatch_id}/wait"), params={"timeout": 0}))
    assert list(before) == SNAPSHOT
    assert before == {
        "kind": "dispatch",
        "snapshot": True,
        "dispatch_id": dispatch_id,
        "root_dispatch_id": dispatch_id,
        "status": "NEW_OBJECT",
        "completed": 0,
        "total": 2,
    }
    answers: list[httpx.Response] = []
    waiter = threading.Thread(
        target=lambda: answers.append(
            httpx.get(api(server, f"/dispatches/{dispatch_id}/wait"), params={"timeout": 60}, timeout=90)
        )
    )
    waiter.start()
    httpx.post(api(server, f"/dispatches/{dispatch_id}/start"), headers=CLIENT_HEADERS).raise_for_status()
    waiter.join(90)
    (live,) = [json_answer(a) for a in answers]
    # Answered from the bus (or, if the end was committed first, read back): the final event.
    keys = list(live)
    assert keys in (["id", *ENDED[:-1]], [*SNAPSHOT, "summary"])
    assert (live["dispatch_id"], live["status"], live["completed"], live["total"]) == (dispatch_id, "FAILED", 0, 2)
    check_summary(server, live["summary"])
    assert "failing on 5" in live["summary"]["error"] and live["summary"]["output_key"] is None
    after = json_answer(httpx.get(api(server, f"/dispatches/{dispatch_id}/wait"), params={"timeout": 60}))
    assert list(after) == [*SNAPSHOT, "summary"]  # a failed run has no output
    assert after["snapshot"] is True and after["status"] == "FAILED"
    check_summary(server, after["summary"])
    assert after["summary"]["node_counts"] == {"FAILED": 1, "NEW_OBJECT": 1}


def test_wait_on_a_completed_dispatch_and_on_a_running_one(server):
    dispatch_id = ct.dispatch(outer)(2)
    assert ct.get_result(dispatch_id, wait=True, progress=False).result == 104
    after = json_answer(httpx.get(api(server, f"/dispatches/{dispatch_id}/wait"), params={"timeout": 5}))
    assert list(after) == [*SNAPSHOT, "summary", "output"]
    assert (after["status"], after["completed"], after["total"]) == ("COMPLETED", 3, 3)
    check_summary(server, after["summary"])
    check_output(after, 104)

    running = ct.dispatch(slow)(1)
    for _ in range(500):
        answer = json_answer(httpx.get(api(server, f"/dispatches/{running}/wait"), params={"timeout": 0}))
        if answer["status"] == "RUNNING":
            break
        threading.Event().wait(0.02)
    assert list(answer) == SNAPSHOT and answer["status"] == "RUNNING" and answer["snapshot"] is True
    assert ct.get_result(running, wait=True, progress=False).status == "COMPLETED"


def test_a_linger_and_a_full_reuse_redispatch_answer_the_summary(server):
    ct.dispatch_sync(twice)(0)  # the executor is up: what lingers is the run alone
    for _ in range(5):  # at a high load a run can outlast the linger: then the answer is the id alone
        answer = json_answer(register(server, twice, 6, linger=1.0))
        if "status" in answer:
            break
    assert list(answer) == ["dispatch_id", "status", "summary", "output"]
    assert answer["status"] == "COMPLETED" and answer["summary"]["dispatch_id"] == answer["dispatch_id"]
    check_summary(server, answer["summary"])
    check_output(answer, 8)
    original = answer["dispatch_id"]

    again = httpx.post(
        api(server, f"/dispatches/{original}/redispatch"),
        params={"reuse_previous_results": "true"},
        headers=CLIENT_HEADERS,
        timeout=60,
    )
    assert again.status_code == 201
    copy = json_answer(again)
    assert list(copy) == ["dispatch_id", "status", "summary", "output"]
    assert copy["status"] == "COMPLETED" and copy["dispatch_id"] != original
    check_summary(server, copy["summary"])
    assert copy["summary"]["reuse_from"] == original
    check_output(copy, 8)


def test_a_deletion_is_announced_on_the_stream_of_every_dispatch(server):
    dispatch_id = ct.dispatch(failing)(1)
    ct.get_result(dispatch_id, wait=True, progress=False)
    frames: list[list[str]] = []
    ready = threading.Event()

    def deleted(data: dict[str, Any]) -> bool:
        return data.get("kind") == "deleted" and data.get("dispatch_id") == dispatch_id

    listener = threading.Thread(target=record_stream, args=(api(server, "/events"), {}, frames, ready, deleted))
    listener.start()
    # A stream of every dispatch sends nothing before a change: register dispatches until it has one.
    registered = []
    while not ready.wait(0.2) and len(registered) < 100:
        registered.append(ct.dispatch(failing, disable_run=True)(2))
    assert ready.is_set()
    httpx.delete(api(server, f"/dispatches/{dispatch_id}"), headers=CLIENT_HEADERS).raise_for_status()
    listener.join(60)
    assert not listener.is_alive()
    for frame in frames[:-1]:
        fields, event, text = parse_frame(frame)
        assert text == json.dumps(event) and fields == {"event": "dispatch", "id": str(event["id"])}
        assert list(event) == ["id", *REGISTERED] and event["dispatch_id"] in registered
        assert (event["status"], event["name"]) == ("NEW_OBJECT", "failing")
        assert event["root_dispatch_id"] == event["dispatch_id"]
    fields, event, text = parse_frame(frames[-1])
    assert text == json.dumps(event) and fields == {"event": "deleted", "id": str(event["id"])}
    assert list(event) == ["id", "kind", "dispatch_id"] and event["dispatch_id"] == dispatch_id
