"""Faults: repeated kill -9, a locked database, a full disk, a client that disconnects mid-upload."""

from __future__ import annotations

import collections
import socket
import subprocess
import sys
import time

import httpx
import pytest

import covalent as ct
from covalent.testing import CLIENT_HEADERS, ServerProcess, upload_parts


@ct.electron
def logged_step(i, log):
    import time as _time

    with open(log, "a") as f:
        f.write(f"{i}\n")
    _time.sleep(0.05)
    return i


@ct.electron
def total(values):
    return sum(values)


@ct.lattice
def two_hundred(log):
    return total([logged_step(i, log) for i in range(200)])


@pytest.mark.slow
def test_five_kills_in_a_row_lose_nothing_and_rerun_nothing_completed(fresh_server, tmp_path):
    log = tmp_path / "runs.log"
    log.write_text("")
    dispatch_id = ct.dispatch(two_hundred)(str(log))
    protected: dict[str, int] = {}  # step -> runs when it was first seen recorded complete
    seen: set[int] = set()
    kills = 0
    while kills < 5:
        deadline = time.monotonic() + 120
        done = fresh_server.completed_electrons(dispatch_id)
        while len(done) < 10 * (kills + 1) and len(done) < 190:
            assert time.monotonic() < deadline, "no progress between kills"
            time.sleep(0.05)
            done = fresh_server.completed_electrons(dispatch_id)
        fresh_server.kill()
        kills += 1
        runs = collections.Counter(log.read_text().split())
        fresh_server.start()
        for node_id in done - seen:
            seen.add(node_id)
            step = str(_step_index(fresh_server, dispatch_id, node_id))
            protected.setdefault(step, runs[step])
    result = ct.get_result(dispatch_id, wait=True)
    assert result.status == "COMPLETED" and result.result == sum(range(200))
    runs = collections.Counter(log.read_text().split())
    assert set(runs) == {str(i) for i in range(200)}
    for step, count in protected.items():
        assert runs[step] == count, f"step {step} was recorded complete, yet ran again after a kill"
    reruns = sum(runs.values()) - 200
    print(f"survived {kills} kills; {len(protected)} steps were protected; {reruns} reruns of in-flight steps")


def _step_index(server: ServerProcess, dispatch_id: str, node_id: int) -> int:
    node = httpx.get(f"{server.address}/api/v1/dispatches/{dispatch_id}/nodes/{node_id}", timeout=60).json()
    return int(node["output_preview"])


@ct.electron
def add(x, y):
    return x + y


@ct.lattice
def small(a):
    return add(add(a, 1), 1)


def test_database_locked_by_another_process(fresh_server):
    db = fresh_server.data_dir / "covalent.db"
    ct.dispatch_sync(small)(0)  # the database exists and the server is warm
    holder = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(db), "4"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        dispatch_id = ct.dispatch(small)(1)  # waits for the lock, then records
        assert httpx.get(f"{fresh_server.address}/api/v1/health").status_code == 200
        assert ct.get_result(dispatch_id, wait=True).result == 3
    finally:
        holder.wait(30)
    assert holder.returncode == 0


LOCK_HOLDER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("ROLLBACK")
"""


def test_full_disk_gives_clear_errors_and_the_server_recovers(tmp_path):
    mount = tmp_path / "small-disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount)], check=True)
    try:
        with ServerProcess(mount, config="[server]\ncommit_timeout = 3\n") as server:
            ct.dispatch_sync(small)(0)
            filler = mount / "filler"
            with open(filler, "wb", buffering=0) as f:  # unbuffered: nothing left to flush (and fail) at close
                try:
                    while True:
                        f.write(b"\0" * 65536)
                        f.flush()
                except OSError:
                    pass
            response = httpx.post(
                f"{server.address}/api/v1/dispatches",
                files=upload_parts(small, 5),
                timeout=90,
                headers=CLIENT_HEADERS,
            )
            assert response.status_code == 503, response.text
            assert "database" in response.json()["detail"]
            status = httpx.get(f"{server.address}/api/v1/status").json()
            assert status["writer"]["last_error"]
            filler.unlink()
            assert ct.dispatch_sync(small)(10).result == 12
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_client_disconnecting_mid_upload_leaves_no_dispatch(server):
    before = httpx.get(f"{server.address}/api/v1/dispatches?limit=1").json()["total"]
    host, port = server.address.removeprefix("http://").split(":")
    boundary = "xyzzy"
    head = (
        f"POST /api/v1/dispatches HTTP/1.1\r\nHost: {host}\r\nX-Covalent-Client: tests\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: 1000000\r\n\r\n"
        f'--{boundary}\r\nContent-Disposition: form-data; name="manifest"; filename="m.json"\r\n\r\n{{"schema": 1'
    )
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(head.encode())
        time.sleep(0.5)
    time.sleep(0.5)
    assert httpx.get(f"{server.address}/api/v1/health").status_code == 200
    assert httpx.get(f"{server.address}/api/v1/dispatches?limit=1").json()["total"] == before
    assert ct.dispatch_sync(small)(1).result == 3
