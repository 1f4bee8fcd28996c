"""A run launches no more jobs while the database writer is behind (``LIMITS.unsettled_rows``).

Every job that ends queues its rows to the single writer, and each waiting
row holds its values in memory: with the database behind (a 1,000,000-node
dispatch's own rows being written, a locked file) that was a row's values for
every task of the map.  Here the database file is locked by another
connection while a map runs, with a bound of a few rows: the run stops
launching until the writer commits again, then finishes with every result.
The server is the real app in this process (its run's launches are watched);
the executor is the real local one, with one node per job.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from dataclasses import replace

import cloudpickle
import pytest
from starlette.testclient import TestClient

import covalent as ct
from covalent.executor.local import LocalExecutor
from covalent.limits import LIMITS
from covalent.server.dispatcher import run as run_module
from covalent.testing import CLIENT_HEADERS, upload_parts, wait_until

BOUND = 4
TASKS = 40


def nap(i: int) -> int:
    time.sleep(0.05)
    return i * i


c_nap = ct.electron(nap, executor="local")


@ct.lattice
def naps(n: int) -> list[int]:
    return [c_nap(i) for i in range(n)]


@pytest.fixture
def launches(tmp_path, monkeypatch) -> Iterator[list[int]]:
    """Nodes of each job the in-process server launches, in order."""
    monkeypatch.setenv("COVALENT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COVALENT_CONFIG_DIR", str(tmp_path / "config"))
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "covalent.conf").write_text('[dispatcher]\ndefault_executor = "local"\n')
    monkeypatch.setattr(run_module, "LIMITS", replace(LIMITS, unsettled_rows=BOUND))
    monkeypatch.setattr(LocalExecutor, "max_nodes_per_job", 1)
    seen: list[int] = []
    launch = run_module.DispatchRun._launch

    def watched(self, node_ids, *args, **kwargs):
        seen.append(len(node_ids))
        return launch(self, node_ids, *args, **kwargs)

    monkeypatch.setattr(run_module.DispatchRun, "_launch", watched)
    yield seen


def test_a_run_stops_launching_while_the_writer_is_behind_and_finishes_after(launches, tmp_path) -> None:
    from covalent.server.app import create_app

    with TestClient(create_app(start_cluster=False), base_url="http://localhost", headers=CLIENT_HEADERS) as client:
        dispatch_id = client.post("/api/v1/dispatches", files=upload_parts(naps, TASKS)).json()["dispatch_id"]
        wait_until(lambda: len(launches) >= 1, 60)
        holder = sqlite3.connect(tmp_path / "data" / "covalent.db", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another process's write lock: nothing commits now
        try:
            time.sleep(2.0)  # the jobs launched so far end; their rows wait for the writer
            locked_at = sum(launches)
            time.sleep(1.5)
            assert sum(launches) == locked_at  # nothing launched while the writer could not commit
            assert locked_at < TASKS  # every node was ready: without the bound all were launched at once
        finally:
            holder.execute("COMMIT")
            holder.close()
        wait_until(lambda: client.get(f"/api/v1/dispatches/{dispatch_id}").json()["status"] == "COMPLETED", 120)
        nodes = client.get(f"/api/v1/dispatches/{dispatch_id}/nodes").json()["nodes"]
        napped = [node for node in nodes if node["name"] == "nap"]
        outputs = [client.get(f"/api/v1/dispatches/{dispatch_id}/nodes/{node['node_id']}/output") for node in napped]
    tasks = [node for node in nodes if node["kind"] not in ("postprocess", "parameter")]  # the naps and their list
    assert len(napped) == TASKS and len(tasks) == TASKS + 1
    assert all(node["status"] == "COMPLETED" and node["attempts"] == 1 for node in tasks)
    assert sum(launches) == TASKS + 1  # each launched once
    assert sorted(cloudpickle.loads(o.content) for o in outputs) == [i * i for i in range(TASKS)]
