"""Job payloads: packed on the event loop when small and in memory, else read from the store in a thread."""

from __future__ import annotations

import asyncio
import pickle
import threading

import covalent as ct
from covalent.graph.transport_graph import NOT_TASKS, TransportGraph
from covalent.runtime.spec import JobSpec
from covalent.server.dispatcher.payload import INLINE_INPUTS, INLINE_NODES, build_payload


@ct.electron
def inc(x):
    return x + 1


@ct.electron
def total(values):
    return sum(values)


@ct.lattice
def gather(n):
    return total([inc(i) for i in range(n)])


@ct.lattice
def chain(n):
    value = 0
    for _ in range(n):
        value = inc(value)
    return value


def _build(n: int, *, in_memory: bool) -> tuple[JobSpec, list[str]]:
    manifest = chain.build_manifest(n)
    graph = TransportGraph.from_dict(manifest.to_json()["graph"])
    tasks = [node["id"] for node in graph.nodes() if node["kind"] not in NOT_TASKS]
    store_reads: list[str] = []

    def blobs(keys: list[str]) -> dict[str, bytes]:
        store_reads.append(threading.current_thread().name)
        return {key: manifest.blobs[key] for key in keys}

    def cached(key: str) -> bytes | None:
        return manifest.blobs[key] if in_memory else None

    payload = asyncio.run(build_payload("d", graph, tasks, lambda n: "", cached, blobs))
    spec = pickle.loads(payload)
    assert isinstance(spec, JobSpec)
    return spec, store_reads


def test_small_job_in_memory_never_reads_the_store():
    spec, reads = _build(3, in_memory=True)
    assert len(spec.nodes) == 3 and reads == []


def test_a_blob_not_in_memory_is_read_in_a_worker_thread_once_for_the_whole_job():
    spec, reads = _build(INLINE_NODES * 4, in_memory=False)
    assert len(spec.nodes) == INLINE_NODES * 4
    assert len(reads) == 1 and reads[0] != threading.main_thread().name
    assert spec.values and spec.functions  # every value and function the job needs, from that one read


def test_a_big_job_is_packed_in_a_worker_thread_even_when_in_memory():
    spec, reads = _build(INLINE_NODES + 1, in_memory=True)
    assert len(spec.nodes) == INLINE_NODES + 1
    assert reads and all(name != threading.main_thread().name for name in reads)


def test_a_gather_of_many_inputs_in_memory_is_packed_in_a_worker_thread_without_asking_memory_first():
    manifest = gather.build_manifest(INLINE_INPUTS + 1)
    graph = TransportGraph.from_dict(manifest.to_json()["graph"])
    by_kind = {node["kind"]: node["id"] for node in graph.nodes() if node["name"] != "inc"}
    job = [by_kind["collection"], by_kind["electron"]]  # the list, then total
    asked_on_the_loop: list[str] = []
    reads: list[str] = []

    def cached(key: str) -> bytes | None:
        asked_on_the_loop.append(key)
        return b"in memory"

    def blobs(keys: list[str]) -> dict[str, bytes]:
        reads.append(threading.current_thread().name)
        return {key: manifest.blobs.get(key, pickle.dumps(1)) for key in keys}

    payload = asyncio.run(build_payload("d", graph, job, lambda n: f"output-{n}", cached, blobs))
    spec = pickle.loads(payload)
    assert [len(node.args) for node in spec.nodes] == [INLINE_INPUTS + 1, 1]
    assert len(spec.values) == INLINE_INPUTS + 1
    assert asked_on_the_loop == [] and reads and threading.main_thread().name not in reads
