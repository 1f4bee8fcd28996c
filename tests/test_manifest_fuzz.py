"""Property-based: mutated manifests and /preview bodies never get a 5xx, and nothing stored breaks a page.

Hypothesis takes valid manifests of a few real workflows and mutates them --
wrong types, missing and extra fields, deep nesting, huge ids, dangling
references -- then sends each to a real server twice: as a dispatch (with
the workflow's real blobs) and as a ``/preview`` body.  No answer may be a
5xx.  Every dispatch the server accepted, and every preview, then has all
its pages read (API and dashboard): each must answer 200.

``COVALENT_FUZZ_MANIFESTS`` sets how many manifests a run generates (each
also sent as a preview): a few hundred by default, 10,000 in ``.ci/run``.
"""

from __future__ import annotations

import copy
import json
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import covalent as ct
from covalent.graph.bundle import write_bundle
from covalent.testing import CLIENT_HEADERS, ServerProcess

MANIFESTS = int(os.environ.get("COVALENT_FUZZ_MANIFESTS", "300"))


@ct.electron
def add(x, y):
    return x + y


@ct.electron(retries=1, time_limit=30, metadata={"team": ["a"]})
def pair(x):
    return (x, -x)


@ct.electron
@ct.lattice
def inner(x):
    return add(x, 1)


@ct.lattice
def chain(a, b=2):
    """Adds, pairs, and runs a sublattice."""
    first = add(a, b)
    left, right = pair(first)
    return {"sum": add(left, y=right), "inner": inner(a), "both": [first, right]}


@ct.lattice
def constant(a):
    ct.wait(add(a, 1), [add(a, 2)])
    return 42


_FILES = tempfile.mkdtemp(prefix="covalent-fuzz-")


@ct.electron(files=[ct.fs.FileTransfer(f"{_FILES}/in.txt", f"{_FILES}/out.txt")])
def moved(x, files=[]):  # noqa: B006 - Covalent's form for the injected argument
    return x


@ct.lattice
def moving(a):
    return moved(a)


@dataclass
class Base:
    manifest: dict[str, Any]
    bundle: bytes


BASES = [
    Base(m.to_json(), write_bundle(m.blobs.items()))
    for m in (chain.build_manifest(1), constant.build_manifest(3), moving.build_manifest(5))
]

#: Stands for a nesting too deep to build as a Python object; spliced into the JSON text.
DEEP = "\x00deep\x00"
HUGE = [2**31, 2**63, 2**64 + 1, -(2**70), 10**30, -1]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def _slots(data: Any) -> list[tuple[Any, Any]]:
    """Every (container, key-or-index) in the JSON, the root's fields first (walked without recursion)."""
    found: list[tuple[Any, Any]] = []
    stack = [data]
    while stack:
        item = stack.pop()
        keys = list(item) if isinstance(item, dict) else range(len(item)) if isinstance(item, list) else []
        for key in keys:
            found.append((item, key))
            stack.append(item[key])
    return found


@st.composite
def mutated(draw: Any) -> tuple[int, str]:
    """(index of the base, the mutated manifest as JSON text)."""
    index = draw(st.integers(0, len(BASES) - 1))
    data = copy.deepcopy(BASES[index].manifest)
    deep = 0
    for _ in range(draw(st.integers(1, 3))):
        slots = _slots(data)
        container, key = draw(st.sampled_from(slots))
        how = draw(st.sampled_from(["replace", "delete", "extra", "huge", "deep", "dangling", "retype"]))
        if how == "replace":
            container[key] = draw(json_values)
        elif how == "delete":
            del container[key]
        elif how == "extra" and isinstance(container[key], dict):
            container[key][draw(st.text(min_size=1, max_size=10))] = draw(json_values)
        elif how == "huge":
            container[key] = draw(st.sampled_from(HUGE))
        elif how == "deep":
            container[key] = DEEP
            deep = draw(st.sampled_from([33, 200, 5000, 100_000]))
        elif how == "dangling":
            graph = data.get("graph")
            edges = graph.get("edges") if isinstance(graph, dict) else None
            edges = [e for e in edges if isinstance(e, dict)] if isinstance(edges, list) else []
            if edges:
                draw(st.sampled_from(edges))[draw(st.sampled_from(["source", "target"]))] = 10**6
            elif isinstance(data.get("output"), dict):
                data["output"]["node"] = 10**6
        else:
            value = container[key]
            container[key] = draw(
                st.sampled_from([[value], {"v": value}, str(value), 1.5, True, None])
                if not isinstance(value, str)
                else st.sampled_from([[value], {"v": value}, 7, False, None])
            )
        if deep:
            break  # the placeholder must stay where it was put
    text = json.dumps(data)
    if deep:
        text = text.replace(json.dumps(DEEP), "[" * deep + "]" * deep, 1)
    return index, text


@dataclass
class Seen:
    accepted: list[str] = field(default_factory=list)
    previews: int = 0
    answers: dict[int, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """A client of a real server of its own."""
    with (
        ServerProcess(tmp_path_factory.mktemp("fuzz"), default_executor="local") as server,
        httpx.Client(base_url=server.address, timeout=60, headers=CLIENT_HEADERS) as client,
    ):
        yield client


def _send(client: httpx.Client, index: int, text: str, start: bool, seen: Seen) -> None:
    files = {
        "manifest": ("m.json", text.encode(), "application/json"),
        "blobs": ("b", BASES[index].bundle, "application/octet-stream"),
        "options": ("o.json", json.dumps({"start": start}).encode(), "application/json"),
    }
    for label, response in (
        ("dispatch", client.post("/api/v1/dispatches", files=files)),
        ("preview", client.post("/preview", content=text, headers={"Content-Type": "application/json"})),
    ):
        seen.answers[response.status_code] = seen.answers.get(response.status_code, 0) + 1
        if response.status_code >= 500:
            seen.failures.append(f"{label} -> {response.status_code}: {response.text[:300]}\n{text[:500]}")
        elif response.status_code == 201 and label == "dispatch":
            seen.accepted.append(response.json()["dispatch_id"])
        elif response.status_code == 201:  # previews are kept in memory, the latest 32: read it now
            seen.previews += 1
            url = response.json()["url"]
            for view in ("", "?view=full"):
                page = client.get(url + view)
                if page.status_code != 200:
                    seen.failures.append(f"{url}{view} -> {page.status_code}: {page.text[:300]}\n{text[:500]}")


def _every_dispatch(client: httpx.Client) -> set[str]:
    found: set[str] = set()
    while True:
        params = {"include_children": "true", "limit": 1000, "offset": len(found)}
        page = client.get("/api/v1/dispatches", params=params).json()
        found |= {item["dispatch_id"] for item in page["items"]}
        if not page["items"] or len(found) >= page["total"]:
            return found


def _pages(client: httpx.Client, dispatch_id: str) -> list[str]:
    nodes = client.get(f"/api/v1/dispatches/{dispatch_id}/nodes").json()["nodes"]
    paths = [
        f"/api/v1/dispatches/{dispatch_id}",
        f"/api/v1/dispatches/{dispatch_id}/manifest",
        f"/api/v1/dispatches/{dispatch_id}/graph",
        f"/api/v1/dispatches/{dispatch_id}/nodes?brief=1",
        f"/dispatches/{dispatch_id}",
        f"/dispatches/{dispatch_id}?view=full",
        f"/dispatches/{dispatch_id}?view=collapsed",
        f"/dispatches/{dispatch_id}/summary",
        f"/dispatches/{dispatch_id}/statuses",
    ]
    for node in nodes:
        paths.append(f"/api/v1/dispatches/{dispatch_id}/nodes/{node['node_id']}")
        paths.append(f"/dispatches/{dispatch_id}/nodes/{node['node_id']}/inputs")
    return paths


def test_no_mutated_manifest_gets_a_5xx_and_every_stored_page_answers_200(client):
    seen = Seen()

    @given(case=mutated(), start=st.integers(0, 9))
    @settings(max_examples=MANIFESTS, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def send(case: tuple[int, str], start: int) -> None:
        index, text = case
        _send(client, index, text, start == 0, seen)  # one in ten also runs

    began = time.monotonic()
    send()
    assert not seen.failures, "\n\n".join(seen.failures[:5])
    assert sum(seen.answers.values()) >= 2 * MANIFESTS * 0.9, seen.answers  # hypothesis ran them all
    assert seen.accepted, "no mutation kept a manifest valid: the page checks would check nothing"
    everything = set(seen.accepted) | _every_dispatch(client)  # sublattices too
    broken = []
    for dispatch_id in sorted(everything):
        for path in _pages(client, dispatch_id):
            response = client.get(path, headers={"Accept": "text/html"} if not path.startswith("/api") else {})
            if response.status_code != 200:
                broken.append(f"{path} -> {response.status_code}: {response.text[:200]}")
    for path in ("/", "/api/v1/dispatches?include_children=true&limit=1000"):
        if client.get(path).status_code != 200:
            broken.append(path)
    assert not broken, "\n".join(broken[:10])
    assert client.get("/api/v1/health").status_code == 200
    print(
        f"{MANIFESTS} manifests (and as many previews) in {time.monotonic() - began:.0f} s: answers {seen.answers}, "
        f"{len(everything)} dispatches and {seen.previews} previews stored, all their pages 200"
    )
