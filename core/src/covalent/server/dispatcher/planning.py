"""Packing ready nodes into jobs: batches of independent nodes, fused chains.

Ready nodes of one executor are split into jobs by guided self-scheduling
(:func:`chunk_sizes`): each job takes a share of what is left, so the first
jobs are large and the last ones small, and the executor's workers run out
of work together instead of one of them running the last big job alone.
Each job is then extended with descendants whose every input is produced
before or inside it, so a chain of same-executor electrons runs without a
round trip per link.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from covalent.graph.transport_graph import TransportGraph

__all__ = ["chunk_sizes", "plan_jobs"]

#: Each job takes this share of the nodes left, per unit of parallelism (guided self-scheduling).
SHARE = 0.5


def chunk_sizes(count: int, *, max_nodes: int, min_nodes: int, parallelism: int) -> list[int]:
    """Sizes of the jobs ``count`` packable nodes go into, largest first (they sum to ``count``).

    Each is ``SHARE / parallelism`` of the nodes left, at most ``max_nodes`` and
    at least ``min_nodes`` (jobs short enough that their overhead would show).
    """
    sizes: list[int] = []
    left = count
    # never so large that fewer jobs than workers would be left busy
    lower = max(1, min(min_nodes, max_nodes, math.ceil(count / max(1, parallelism))))
    while left > 0:
        size = min(left, max_nodes, max(lower, math.ceil(left * SHARE / max(1, parallelism))))
        sizes.append(size)
        left -= size
    return sizes


def plan_jobs(
    graph: TransportGraph,
    ready: list[int],
    *,
    max_nodes: int,
    parallelism: int,
    packable: Callable[[int], bool],
    fusable: Callable[[int], bool],
    done: Callable[[int], bool],
    min_nodes: int = 1,
) -> list[list[int]]:
    """Group ``ready`` nodes (one executor) into jobs; each job in dependency order.

    ``packable(n)``: n may share a job.  ``fusable(n)``: a not-yet-ready node
    that may join a job when its inputs are inside it.  ``done(n)``: n's output
    exists already.  ``min_nodes``: no job of the batch is smaller (unless
    fewer are left), so that jobs of tiny tasks stay worth their overhead.
    """
    jobs: list[list[int]] = [[n] for n in ready if not packable(n) or max_nodes <= 1]
    batch = [n for n in ready if packable(n) and max_nodes > 1]
    if not batch:
        return jobs
    claimed: set[int] = set(ready)
    # A candidate child's parents, and how many of them are done, counted once per plan (nothing
    # is done meanwhile): a gather of n nodes was counted again for every chunk, n x chunks calls.
    counted: dict[int, tuple[int, int]] = {}
    start = 0
    for size in chunk_sizes(len(batch), max_nodes=max_nodes, min_nodes=min_nodes, parallelism=parallelism):
        chunk = batch[start : start + size]
        start += size
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
                        if child not in counted:
                            parents = graph.parents(child)
                            counted[child] = (len(parents), sum(1 for p in parents if done(p)))
                        needed[child], available[child] = counted[child]
                    available[child] += 1
                    if available[child] == needed[child] and len(chunk) < max_nodes:
                        chunk.append(child)
                        members.add(child)
                        claimed.add(child)
                        next_frontier.append(child)
            frontier = next_frontier
        jobs.append(chunk)
    return jobs
