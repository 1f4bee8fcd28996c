"""Jobs of one plan reach the executor in the order planned: the largest first, the small ones last.

Guided job sizes (``planning.chunk_sizes``) only balance the workers if the
small jobs run last.  Small jobs are packed at once on the event loop and
large ones in a thread, so without the order kept the small ones were handed
to the executor first and the large ones ran at the end (measured on the
1,000 x 10 ms map: seven jobs of 5-13 tasks ran before the first of 89).
Real server, real local executor; the order is read from the timeline.
"""

from __future__ import annotations

import time
from collections import defaultdict

import httpx

import covalent as ct


def nap(i: int) -> int:
    time.sleep(0.01)
    return i


c_nap = ct.electron(nap)


@ct.lattice
def naps(n: int) -> list[int]:
    return [c_nap(i) for i in range(n)]


def test_the_largest_jobs_are_handed_to_the_executor_first(server) -> None:
    ct.get_result(ct.dispatch(naps)(8), wait=True, progress=False)  # the server learns how long a nap takes
    result = ct.get_result(ct.dispatch(naps)(300), wait=True, progress=False)
    assert result.status == ct.status.COMPLETED, result.error
    timeline = httpx.get(f"{server.address}/api/v1/dispatches/{result.dispatch_id}/timeline", timeout=30).json()
    jobs: dict[float, list[dict]] = defaultdict(list)
    for node in timeline["nodes"]:
        jobs[node["submitted_at"]].append(node)  # the nodes of one job share its submission time
    sizes = [len(nodes) for _, nodes in sorted(jobs.items(), key=lambda job: min(n["start_time"] for n in job[1]))]
    assert len(sizes) > 3 and max(sizes) > min(sizes), sizes  # several jobs of different sizes
    # Non-increasing in the order they started, but for two jobs side by side (one per worker)
    # whose starts may swap: each job is at least as large as every job started two or more after it.
    late = [(i, j) for i in range(len(sizes)) for j in range(i + 2, len(sizes)) if sizes[j] > sizes[i]]
    assert not late, f"jobs in the order they started: {sizes}"
