"""Ray, the optional peer column: the same workloads on ``ray`` when it is installed.

Ray is not a dependency of the project: ``bash scripts/setup.sh --group bench``
installs it (the ``bench`` dependency group).  Without it the harness prints
no Ray column.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any

import workloads as w
from harness import timed

__all__ = ["ray_available", "ray_baselines"]


def ray_available() -> bool:
    try:
        import ray  # noqa: F401
    except ImportError:
        return False
    return True


def ray_baselines(workers: int, sizes: dict[str, int], runs: int, small_workflows: int) -> dict[str, float]:
    """Median seconds of each Ray workload (same names as the harness's rows), on ``workers`` CPUs."""
    import ray

    ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        noop, sleepy, total, make_blob, blob_len, inc = (
            ray.remote(f) for f in (w.noop, w.sleepy, w.total, w.make_blob, w.blob_len, w.inc)
        )

        def wide(n: int) -> Any:
            return ray.get(total.remote(ray.get([noop.remote(i) for i in range(n)])))

        def sleep_map(n: int) -> Any:
            return ray.get(total.remote(ray.get([sleepy.remote(i) for i in range(n)])))

        def single(x: int) -> Any:
            return ray.get(noop.remote(x))

        def big(size: int) -> Any:
            return ray.get(blob_len.remote(make_blob.remote(size)))

        def three(x: int) -> Any:
            return ray.get(inc.remote(inc.remote(inc.remote(x))))

        def median(fn: Callable[[], Any]) -> float:
            fn()  # warm the workers
            return statistics.median(timed(fn)[0] for _ in range(runs))

        found = {
            "big": median(lambda: big(sizes["big"])),
            "single": statistics.median(timed(lambda i=i: single(i))[0] for i in range(21)),
            "sleep_map": median(lambda: sleep_map(sizes["sleep_map"])),
            "wide": median(lambda: wide(sizes["wide"])),
        }
        three(0)
        found["small_workflows"] = timed(lambda: [three(i) for i in range(small_workflows)])[0]
        return found
    finally:
        ray.shutdown()
