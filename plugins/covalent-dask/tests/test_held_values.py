"""Large values stay on the Dask worker that made them and reach the next task by reference.

Real servers over HTTP, real Dask clusters (the server's own LocalCluster, and
an external scheduler and worker as OS processes), real kills.  What the
design promises (docs/architecture.md, "Large values by reference"):

- the next task on the same executor gets the value where it is, without a
  copy through the server; another executor gets it from the store;
- the server stores every such value in the background (no bytes in the
  database, a file in the object store named by the value's key, its digest
  in the row) and a dispatch's return value before the dispatch is COMPLETED;
- a value that lived only on a worker that died is computed again from its
  inputs; after a server restart, values still held by an external cluster are
  taken up again and nothing completed runs again.
"""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import blake3
import httpx
import pytest

import covalent as ct
from covalent.testing import ServerProcess, wait_until

SIZE = 3 * 1024 * 1024  # over the 1 MiB the Dask executor keeps on its workers

LOCAL = """
[executors.dask]
n_workers = 2
threads_per_worker = 1
memory_limit = "1GiB"
dashboard_address = ":0"
"""


def make(n: int, log: str = "") -> bytes:
    if log:
        with open(log, "a") as f:
            f.write(f"{os.getpid()}\n")
    return bytes(range(256)) * (n // 256)


def where(data: bytes) -> tuple[int, int, str]:
    return os.getpid(), len(data), hashlib.sha256(data).hexdigest()


def gate(data: bytes, marker: str) -> int:
    """Say where it runs, then wait for the test to open the gate."""
    with open(marker + ".started", "w") as f:
        f.write(str(os.getpid()))
    while not os.path.exists(marker + ".go"):
        time.sleep(0.05)
    return len(data)


def array(n: int) -> Any:
    import numpy as np

    return np.arange(n, dtype=np.float64)


def array_facts(values: Any) -> tuple[bool, float]:
    return bool(values.flags.writeable), float(values.sum())


c_make, c_where, c_gate = ct.electron(make), ct.electron(where), ct.electron(gate)
c_where_local = ct.electron(where, executor="local")


@ct.lattice
def same_executor(n: int, log: str) -> Any:
    data = c_make(n, log)
    return c_where(data), c_where(data)


@ct.lattice
def across_executors(n: int) -> Any:
    return c_where_local(c_make(n))


@ct.lattice
def returns_the_value(n: int) -> Any:
    return c_make(n)


@ct.lattice
def arrays(n: int) -> Any:
    return ct.electron(array_facts)(ct.electron(array)(n))


@ct.lattice
def gated(n: int, log: str, marker: str) -> Any:
    return c_gate(c_make(n, log), marker)


def _blob_rows(server: ServerProcess) -> list[tuple[str, int, bool, str | None, str | None]]:
    with sqlite3.connect(server.data_dir / "covalent.db") as db:
        return db.execute(
            "SELECT key, size, data IS NOT NULL, location, digest FROM blobs WHERE size > ?", (1024 * 1024,)
        ).fetchall()


def _all_stored(server: ServerProcess) -> list[tuple[str, int, bool, str | None, str | None]] | None:
    rows = _blob_rows(server)
    return rows if rows and all(location is None for _, _, _, location, _ in rows) else None


def _expected(n: int) -> bytes:
    return make(n)


def _digest(data: bytes) -> str:
    """What a held value's row records of its bytes (the hex of their BLAKE3; the algorithm beside it)."""
    return str(blake3.blake3(data).hexdigest())


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path_factory.mktemp("held"), default_executor="dask", config=LOCAL, no_cluster=False)
    with process:
        yield process


def test_the_next_task_reads_the_value_on_the_worker_that_made_it_and_the_server_stores_it(
    server: ServerProcess, tmp_path: Path
) -> None:
    log = str(tmp_path / "made")
    result = ct.get_result(ct.dispatch(same_executor)(SIZE, log), wait=True, progress=False)
    assert result.status == ct.status.COMPLETED, result.error
    maker = int(Path(log).read_text().split()[0])
    digest = hashlib.sha256(_expected(SIZE)).hexdigest()
    assert result.result == [(maker, SIZE, digest), (maker, SIZE, digest)]  # both readers ran where it was
    rows = wait_until(lambda: _all_stored(server), 60, what="the value stored")
    ((key, size, inline, _location, stored_digest),) = rows
    assert not inline  # never in the database
    path = server.data_dir / "objects" / key[:2] / key
    assert path.stat().st_size == size
    assert _digest(path.read_bytes()) == stored_digest
    # The intermediate value reads back through the API like any other (checked against its digest).
    nodes = httpx.get(f"{server.address}/api/v1/dispatches/{result.dispatch_id}/nodes", timeout=30).json()["nodes"]
    (made,) = [n["node_id"] for n in nodes if n["name"] == "make"]
    assert result.node_output(made).get_deserialized() == _expected(SIZE)


def test_another_executor_gets_the_value_from_the_store(server: ServerProcess) -> None:
    result = ct.get_result(ct.dispatch(across_executors)(SIZE), wait=True, progress=False)
    assert result.status == ct.status.COMPLETED, result.error
    assert result.result[1:] == (SIZE, hashlib.sha256(_expected(SIZE)).hexdigest())


def test_a_returned_value_is_stored_before_the_dispatch_completes(server: ServerProcess) -> None:
    dispatch_id = ct.dispatch(returns_the_value)(SIZE)
    result = ct.get_result(dispatch_id, wait=True, progress=False)
    assert result.status == ct.status.COMPLETED, result.error
    output_key = httpx.get(f"{server.address}/api/v1/dispatches/{dispatch_id}", timeout=30).json()["output_key"]
    assert [row for row in _blob_rows(server) if row[0] == output_key and row[3] is None]  # stored already
    assert result.result == _expected(SIZE)


def test_an_array_reaches_the_next_task_read_only_without_a_copy(server: ServerProcess) -> None:
    n = 300_000  # 2.4 MB of float64
    result = ct.get_result(ct.dispatch(arrays)(n), wait=True, progress=False)
    assert result.status == ct.status.COMPLETED, result.error
    assert result.result == (False, float(n * (n - 1) / 2))


def _kill_when_gated(marker: Path) -> int:
    """The pid of the gate's process, once it has started (and written its pid)."""
    started = marker.with_name(marker.name + ".started")

    def pid() -> str:
        try:
            return started.read_text().strip()
        except FileNotFoundError:
            return ""

    return int(wait_until(pid, 120, what="the gate to start"))


def test_a_value_lost_with_its_worker_is_computed_again_from_its_inputs(server: ServerProcess, tmp_path: Path) -> None:
    log, marker = tmp_path / "made", tmp_path / "gate"
    dispatch_id = ct.dispatch(gated)(SIZE, str(log), str(marker))
    holder = _kill_when_gated(marker)
    assert int(log.read_text().split()[0]) == holder  # the reader runs on the worker holding the value
    os.kill(holder, signal.SIGKILL)  # the value is not stored yet: the reader holds the worker's only thread
    marker.with_name(marker.name + ".go").write_text("")
    result = ct.get_result(dispatch_id, wait=True, progress=False)
    assert result.status == ct.status.COMPLETED, result.error
    assert result.result == SIZE
    made = log.read_text().split()
    assert len(made) == 2 and made[1] != made[0]  # made again, on another worker

    # The first value is recorded as lost, not silently replaced (its storing finds it gone).
    lost = wait_until(lambda: _lost_rows(server), 60, what="the lost value recorded as lost")
    answer = httpx.get(f"{server.address}/api/v1/blobs/{lost[0]}", timeout=30)
    assert answer.status_code == 410 and "lost before it was stored" in answer.text


def gate_never_timed(data: bytes, marker: str) -> int:
    """The gate, as a function of its own: never timed by the server, so never packed with the maker."""
    return gate(data, marker)


@ct.lattice
def gated_alone(n: int, log: str, marker: str) -> Any:
    return ct.electron(gate_never_timed)(c_make(n, log), marker)


def test_a_value_lost_again_and_again_fails_its_reader_with_a_clear_error(
    server: ServerProcess, tmp_path: Path
) -> None:
    """Computed again at most Limits.recompute_attempts times; then the reader FAILS, naming the loss."""
    from covalent.limits import LIMITS

    log, marker = tmp_path / "made", tmp_path / "gate"
    dispatch_id = ct.dispatch(gated_alone)(SIZE, str(log), str(marker))
    started = marker.with_name(marker.name + ".started")
    for _ in range(LIMITS.recompute_attempts + 1):  # every value made is lost with its worker
        reader = _kill_when_gated(marker)
        started.unlink()
        maker = int(log.read_text().split()[-1])
        for pid in {maker, reader}:  # the holder, and the reader's worker if Dask copied the value there
            os.kill(pid, signal.SIGKILL)
    marker.with_name(marker.name + ".go").write_text("")  # were a value not lost, the dispatch would end
    # (the maker's last value is lost too: reading it would answer 410, so outputs are not read)
    result = ct.get_result(dispatch_id, wait=True, progress=False, intermediate_outputs=False)
    assert result.status == ct.status.FAILED
    made = log.read_text().split()
    assert len(made) == LIMITS.recompute_attempts + 1  # the first run and each recomputation, no more
    (gate,) = [n for n in result.get_all_node_results() if n["node_name"] == "gate_never_timed"]
    assert gate["status"] == ct.status.FAILED
    assert f"an input was lost before it was stored, {LIMITS.recompute_attempts} times" in gate["error"]
    assert result.result is None  # never a value from elsewhere


def _lost_rows(server: ServerProcess) -> list[str]:
    return [key for key, _, _, location, _ in _blob_rows(server) if location and '"lost"' in location]


def test_values_held_by_the_servers_own_cluster_are_computed_again_after_a_kill(tmp_path: Path) -> None:
    """kill -9 of the server takes its local cluster with it: a held value not yet stored is made again."""
    log, marker = tmp_path / "made", tmp_path / "gate"
    server = ServerProcess(tmp_path / "server", default_executor="dask", config=LOCAL, no_cluster=False)
    with server:
        dispatch_id = ct.dispatch(gated)(SIZE, str(log), str(marker))
        _kill_when_gated(marker)  # the value is held on a worker; its reader waits at the gate
        server.kill()  # kill -9: the server's process group, its Dask cluster with the value included
        marker.with_name(marker.name + ".go").write_text("")
        server.start()
        result = ct.get_result(dispatch_id, wait=True, progress=False)
        assert result.status == ct.status.COMPLETED, result.error
        assert result.result == SIZE
        made = log.read_text().split()
        assert len(made) == 2 and made[1] != made[0]  # made again, by a worker of the new cluster
        # The value of the first run is recorded as lost, never read as another one.
        lost = wait_until(lambda: _lost_rows(server), 60, what="the lost value recorded as lost")
        answer = httpx.get(f"{server.address}/api/v1/blobs/{lost[0]}", timeout=30)
        assert answer.status_code == 410 and "lost before it was stored" in answer.text
        # The value made again is stored like any other.
        stored = wait_until(lambda: [r for r in _blob_rows(server) if r[3] is None], 60, what="the new value stored")
        ((key, size, inline, _, digest),) = stored
        data = (server.data_dir / "objects" / key[:2] / key).read_bytes()
        assert not inline and len(data) == size and _digest(data) == digest


EXTERNAL = """
[executors.dask]
scheduler_address = "{address}"
"""


def test_values_on_an_external_cluster_survive_a_server_restart(
    external_scheduler: dict[str, Any], tmp_path: Path
) -> None:
    config = EXTERNAL.format(address=external_scheduler["address"])
    log, marker = tmp_path / "made", tmp_path / "gate"
    server = ServerProcess(tmp_path / "server", default_executor="dask", config=config, no_cluster=False)
    with server:
        dispatch_id = ct.dispatch(gated)(SIZE, str(log), str(marker))
        _kill_when_gated(marker)
        server.kill()  # kill -9: the external worker keeps the value and the old reader
        marker.with_name(marker.name + ".started").unlink()
        server.start()
        _kill_when_gated(marker)  # the reader runs again (Dask jobs are not re-attached) ...
        marker.with_name(marker.name + ".go").write_text("")
        result = ct.get_result(dispatch_id, wait=True, progress=False)
        assert result.status == ct.status.COMPLETED, result.error
        assert result.result == SIZE
        assert len(log.read_text().split()) == 1  # ... but what made the value did not
        ((key, size, inline, _, digest),) = wait_until(lambda: _all_stored(server), 60, what="the value stored")
        stored = (server.data_dir / "objects" / key[:2] / key).read_bytes()
        assert not inline and len(stored) == size and _digest(stored) == digest
