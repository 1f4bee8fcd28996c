"""Packing ready nodes into jobs: guided sizes, so the workers run out of work together."""

from __future__ import annotations

import pytest

from covalent.graph.transport_graph import TransportGraph
from covalent.server.dispatcher.durations import DurationModel
from covalent.server.dispatcher.planning import chunk_sizes, plan_jobs


@pytest.mark.parametrize(
    ("count", "max_nodes", "min_nodes", "parallelism"),
    [
        (998, 92, 5, 2),
        (5000, 1024, 1024, 2),
        (100, 1024, 1024, 2),
        (1, 1024, 1024, 2),
        (3, 1, 1, 4),
        (10_000, 50, 3, 8),
    ],
)
def test_job_sizes_cover_every_node_within_bounds_largest_first(count, max_nodes, min_nodes, parallelism):
    sizes = chunk_sizes(count, max_nodes=max_nodes, min_nodes=min_nodes, parallelism=parallelism)
    assert sum(sizes) == count
    assert max(sizes) <= max_nodes
    assert sizes == sorted(sizes, reverse=True)
    assert all(size >= min(min_nodes, max_nodes) for size in sizes[:-1]) or count <= min_nodes * parallelism


def test_the_last_jobs_of_a_big_batch_are_small_so_no_worker_runs_a_long_tail_alone():
    sizes = chunk_sizes(998, max_nodes=92, min_nodes=5, parallelism=2)
    # Round-robin over 2 workers in the order Dask hands them out: the work left after the
    # first worker runs out is at most one small job.
    assert sizes[-1] <= 5 and sizes[len(sizes) // 2] < 92


def test_tiny_tasks_stay_in_few_jobs_but_keep_every_worker_busy():
    assert chunk_sizes(5000, max_nodes=1024, min_nodes=1024, parallelism=2) == [1024, 1024, 1024, 1024, 904]
    assert chunk_sizes(100, max_nodes=1024, min_nodes=1024, parallelism=2) == [50, 50]


def test_durations_give_the_least_batch_worth_a_job():
    model = DurationModel()
    assert model.least_batch("f", 1024) == 1024  # unknown: as large as allowed
    model.observe("f", 0.01)
    assert model.least_batch("f", 1024) == 5 and model.batch_limit("f", 1024) == 100
    model.observe("g", 0.0)
    assert model.least_batch("g", 1024) == 1024


def test_plan_jobs_packs_a_map_in_guided_jobs():
    graph = TransportGraph.from_dict(
        {
            "nodes": [{"id": i, "kind": "electron", "name": "f", "function": "k"} for i in range(200)],
            "edges": [],
        }
    )
    jobs = plan_jobs(
        graph,
        list(range(200)),
        max_nodes=40,
        parallelism=2,
        packable=lambda n: True,
        fusable=lambda n: False,
        done=lambda n: False,
        min_nodes=4,
    )
    assert [len(j) for j in jobs] == chunk_sizes(200, max_nodes=40, min_nodes=4, parallelism=2)
    assert sorted(n for j in jobs for n in j) == list(range(200))


def test_a_gathers_parents_are_counted_once_per_plan_not_once_per_job():
    """A map of 300 into one gather: every chunk meets the gather; its parents' states are asked once."""
    nodes = [{"id": i, "kind": "electron", "name": "f", "function": "k"} for i in range(300)]
    nodes.append({"id": 300, "kind": "electron", "name": "gather", "function": "g"})
    edges = [{"source": i, "target": 300, "param": f"x{i}", "arg_index": i} for i in range(300)]
    graph = TransportGraph.from_dict({"nodes": nodes, "edges": edges})
    asked: list[int] = []

    def done(n: int) -> bool:
        asked.append(n)
        return False

    jobs = plan_jobs(
        graph,
        list(range(300)),
        max_nodes=1024,
        parallelism=2,
        packable=lambda n: True,
        fusable=lambda n: True,
        done=done,
    )
    assert len(jobs) > 2 and sorted(n for job in jobs for n in job) == list(range(300))  # the gather waits
    assert sorted(asked) == list(range(300))
