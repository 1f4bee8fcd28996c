"""The big-value workloads timed interleaved: ours and its baseline in alternating rounds of one run.

Timed one after the other (raw Dask first, then ours), a ratio compares
different minutes of a shared, noisy machine: a slow stretch on one side
moves the ratio by itself.  Here every round times each side once, in an
order that rotates from round to round, and the ratio is of the medians of
the same rounds:

- the value between two electrons on the same executor (Dask) against raw
  Dask futures;
- the value made on Dask and read on ``local`` against one copy through a
  store (pickled, written, read back, unpickled).

Raw Dask runs in a child process with its own ``LocalCluster`` and client,
so its scheduler thread never takes this process's GIL from our client (see
the README), and both clusters can stay up for the whole interleaved run.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import workloads as w
from harness import Ours, timed

__all__ = ["DaskPeer", "Interleaved", "interleaved_big_values"]

HERE = Path(__file__).resolve().parent


class DaskPeer:
    """Raw Dask futures in a child process: ``big_value(size)`` runs and times one round there."""

    def __init__(self, workers: int, threads: int) -> None:
        self.args = [sys.executable, str(HERE / "interleaved.py"), "--serve-dask", str(workers), str(threads)]
        self.proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> DaskPeer:
        self.proc = subprocess.Popen(self.args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self._ask("ready")
        return self

    def __exit__(self, *exc: Any) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=60)

    def _ask(self, line: str) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline()
        if not answer:
            raise RuntimeError(f"the raw Dask peer process ended (exit code {self.proc.wait()})")
        found: dict[str, Any] = json.loads(answer)
        return found

    def big_value(self, size: int) -> tuple[float, Any]:
        """Seconds of one raw Dask round of the big value, timed in the child, and its value."""
        found = self._ask(str(size))
        return found["seconds"], found["value"]


def serve_dask(workers: int, threads: int) -> None:
    """The child's side: a LocalCluster and client; each line of stdin is a size to run, answered as JSON."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(n_workers=workers, threads_per_worker=threads, processes=True, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        w.dask_big_value(client, 1024)  # the workers are warm before anything is timed
        for line in sys.stdin:
            if line.strip() == "ready":
                print(json.dumps({"ready": True}), flush=True)
                continue
            seconds, value = timed(partial(w.dask_big_value, client, int(line)))
            print(json.dumps({"seconds": seconds, "value": value}), flush=True)


@dataclass
class Interleaved:
    """One workload against its baseline: every round's seconds, in the order they ran."""

    workload: str
    baseline: str
    ours: list[float] = field(default_factory=list)
    base: list[float] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        """Ours' median over the baseline's, both from the same rounds."""
        return statistics.median(self.ours) / statistics.median(self.base)

    def line(self) -> str:
        ours, base = statistics.median(self.ours), statistics.median(self.base)
        rounds = ", ".join(f"{o:.3f}/{b:.3f}" for o, b in zip(self.ours, self.base, strict=True))
        return (
            f"{self.workload}, interleaved over {len(self.ours)} rounds: "
            f"ours {ours:.3f} s, {self.baseline} {base:.3f} s "
            f"(medians; ours/{self.baseline} {self.ratio:.2f}); ours/{self.baseline} by round: {rounds}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "workload": self.workload,
            "baseline": self.baseline,
            "ours": self.ours,
            "base": self.base,
            "ratio_of_medians": self.ratio,
        }


def interleaved_big_values(ours: Ours, peer: DaskPeer, size: int, rounds: int, scratch: str) -> list[Interleaved]:
    """``rounds`` rounds, each timing ours and its baseline for both big-value workloads, order rotating."""
    expected = w.loop_big_value(size)
    same = Interleaved(f"{size >> 20} MB value between two electrons", "dask")
    across = Interleaved(f"{size >> 20} MB value, dask -> local", "copy")

    def ours_same() -> float:
        seconds, value = timed(lambda: ours.result(w.big_value, size))
        assert value == expected, value
        return seconds

    def ours_across() -> float:
        seconds, value = timed(lambda: ours.result(w.big_value_across, size))
        assert value == expected, value
        return seconds

    def raw_dask() -> float:
        seconds, value = peer.big_value(size)
        assert value == expected, value
        return seconds

    def store_copy() -> float:
        seconds, value = timed(lambda: w.store_copy_big_value(size, scratch))
        assert value == expected, value
        return seconds

    steps: list[tuple[Callable[[], float], list[float]]] = [
        (ours_same, same.ours),
        (raw_dask, same.base),
        (ours_across, across.ours),
        (store_copy, across.base),
    ]
    ours_same(), ours_across()  # the first, cold dispatch of each lattice is not a round
    for i in range(rounds):
        for step, into in steps[i % len(steps) :] + steps[: i % len(steps)]:
            into.append(step())
    return [same, across]


if __name__ == "__main__" and sys.argv[1:2] == ["--serve-dask"]:
    serve_dask(int(sys.argv[2]), int(sys.argv[3]))
