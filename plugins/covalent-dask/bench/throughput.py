"""Throughput: 2,000 no-op nodes through DaskExecutor (jobs of 500) vs raw client.submit.

Run: ``.venv/bin/python plugins/covalent-dask/bench/throughput.py [--nodes 2000] [--per-job 500]``.
Both paths use the same LocalCluster (2 workers x 1 thread by default).
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid

from covalent._sdk.electron import Electron
from covalent._sdk.lattice import Lattice
from covalent.executor.jobs import Job
from covalent.graph.payloads import pack_job
from covalent.graph.transport_graph import NodeKind
from covalent_dask import DaskExecutor


def noop(i: int) -> int:
    return i


def build_jobs(nodes: int, per_job: int) -> list[Job]:
    """``nodes`` independent no-op nodes of one dispatch, packed as the dispatcher would."""
    task = Electron(noop)

    def body() -> list[int]:
        return [task(i) for i in range(nodes)]

    manifest = Lattice(body, name="wide").build_manifest()
    graph = manifest.graph
    order = [
        n
        for n in graph.topological_order()
        if graph.node(n)["kind"] == NodeKind.ELECTRON and graph.node(n)["name"] == "noop"
    ]
    assert len(order) == nodes, len(order)
    dispatch_id = f"bench-{uuid.uuid4()}"
    jobs = []
    for start in range(0, nodes, per_job):
        chunk = order[start : start + per_job]
        spec = pack_job(dispatch_id, graph, chunk, manifest.blobs.__getitem__, lambda n: "")
        jobs.append(
            Job(
                job_id=f"{dispatch_id}-{start}",
                dispatch_id=dispatch_id,
                node_ids=tuple(chunk),
                names=tuple(graph.node(n)["name"] for n in chunk),
                payload=spec.to_bytes(),
            )
        )
    return jobs


async def main(nodes: int, per_job: int, workers: int, threads: int) -> None:
    executor = DaskExecutor(n_workers=workers, threads_per_worker=threads, dashboard_address=":0", memory_limit=None)
    t0 = time.perf_counter()
    await executor.setup()
    print(f"cluster start: {time.perf_counter() - t0:.2f} s ({workers} workers x {threads} thread)")
    client = DaskExecutor.clusters.get(executor.config).client
    # Warm both paths (imports on the workers).
    await executor.run(build_jobs(2, 2)[0])
    await client.gather([client.submit(noop, i, pure=False) for i in range(10)])

    for round_ in range(3):
        t0 = time.perf_counter()
        jobs = build_jobs(nodes, per_job)
        t_pack = time.perf_counter() - t0
        t0 = time.perf_counter()
        outcomes = await asyncio.gather(*(executor.run(job) for job in jobs))
        t_exec = time.perf_counter() - t0
        done = sum(1 for o in outcomes for n in o.nodes if n.status == "COMPLETED")
        assert done == nodes, done

        t0 = time.perf_counter()
        futures = [client.submit(noop, i, pure=False) for i in range(nodes)]
        results = await client.gather(futures)
        t_raw = time.perf_counter() - t0
        assert len(results) == nodes
        del futures
        print(
            f"round {round_ + 1}: executor {nodes} nodes in {len(jobs)} jobs: "
            f"{t_exec:.3f} s ({nodes / t_exec:,.0f} nodes/s; packing {t_pack:.2f} s more) | "
            f"raw client.submit: {t_raw:.3f} s ({nodes / t_raw:,.0f} tasks/s)"
        )
    await executor.teardown()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", type=int, default=2000)
    parser.add_argument("--per-job", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    asyncio.run(main(args.nodes, args.per_job, args.workers, args.threads))
