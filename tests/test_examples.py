"""The examples the README shows run as written, against a real server."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

from covalent.testing import ServerProcess

ROOT = Path(__file__).resolve().parents[1]
DASK = '[executors.dask]\nn_workers = 1\nthreads_per_worker = 1\ndashboard_address = ":0"\n'


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with ServerProcess(tmp_path_factory.mktemp("examples"), default_executor="dask", config=DASK, no_cluster=False):
        yield


@pytest.mark.parametrize(
    ("example", "expected"),
    [
        ("quickstart.py", "result: {'words': 5, 'letters': 34, 'longest': 9}"),
        ("hybrid_quantum.py", "COMPLETED {'bell_00_11': 1.0, 'min_energy': -1.0}"),
    ],
)
def test_example_runs(server, example, expected, capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", [example])
    runpy.run_path(str(ROOT / "examples" / example), run_name="__main__")
    assert expected in capsys.readouterr().out
