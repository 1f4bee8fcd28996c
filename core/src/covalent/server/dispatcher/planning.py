"""Packing ready nodes into jobs: batches of independent nodes, fused chains.

Ready nodes of one executor are split into at most a few jobs (enough to
keep the executor's parallelism busy), and each job is then extended with
descendants whose every input is produced before or inside it, so a chain
of same-executor electrons runs without a round trip per link.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from covalent.graph.transport_graph import TransportGraph

__all__ = ["plan_jobs"]


def plan_jobs(
    graph: TransportGraph,
    ready: list[int],
    *,
    max_nodes: int,
    parallelism: int,
    packable: Callable[[int], bool],
    fusable: Callable[[int], bool],
    done: Callable[[int], bool],
) -> list[list[int]]:
    """Group ``ready`` nodes (one executor) into jobs; each job in dependency order.

    ``packable(n)``: n may share a job.  ``fusable(n)``: a not-yet-ready node
    that may join a job when its inputs are inside it.  ``done(n)``: n's output
    exists already.
    """
    jobs: list[list[int]] = [[n] for n in ready if not packable(n) or max_nodes <= 1]
    batch = [n for n in ready if packable(n) and max_nodes > 1]
    if not batch:
        return jobs
    count = max(min(parallelism, len(batch)), math.ceil(len(batch) / max_nodes))
    size = math.ceil(len(batch) / count)
    claimed: set[int] = set(ready)
    for start in range(0, len(batch), size):
        chunk = batch[start : start + size]
        members = set(chunk)
        # For each candidate child: how many of its parents are available so far.
        available: dict[int, int] = {}
        needed: dict[int, int] = {}
        frontier = list(chunk)
        while frontier and len(chunk) < max_nodes:
            next_frontier: list[int] = []
            for node in frontier:
                for child in graph.children(node):
                    if child in claimed or not fusable(child):
                        continue
                    if child not in needed:
                        parents = graph.parents(child)
                        needed[child] = len(parents)
                        available[child] = sum(1 for p in parents if p not in members and done(p))
                    available[child] += 1
                    if available[child] == needed[child] and len(chunk) < max_nodes:
                        chunk.append(child)
                        members.add(child)
                        claimed.add(child)
                        next_frontier.append(child)
            frontier = next_frontier
        jobs.append(chunk)
    return jobs
