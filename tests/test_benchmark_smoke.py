"""The benchmark harness runs end to end (a smoke run with small sizes; no timing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_benchmark_harness_quick_run(tmp_path):
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    for line in (
        "chain of 20",
        "wide map of 500 + reduce",
        "`covalent start` (the command, default settings, fresh data) to ready",
        "redispatch of the no-op chain",
        "1 MB value between two electrons, interleaved over 3 rounds",
        "1 MB value, dask -> local, interleaved over 3 rounds",
    ):
        assert line in out.stdout, out.stdout
