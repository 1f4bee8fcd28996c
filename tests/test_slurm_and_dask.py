"""One workflow, electrons on a real single-node Slurm and on Dask, through a real server."""

from __future__ import annotations

import os
import socket
import sys

import covalent as ct
from covalent.testing import ServerProcess
from covalent_slurm import SlurmExecutor

DASK = '[executors.dask]\nn_workers = 1\nthreads_per_worker = 1\nmemory_limit = "1GiB"\ndashboard_address = ":0"\n'


def where() -> dict:
    return {"pid": os.getpid(), "slurm_job": os.environ.get("SLURM_JOB_ID"), "host": socket.gethostname()}


def test_a_lattice_mixing_slurm_and_dask(slurm, tmp_path):
    staging = tmp_path / "staging"
    staging.mkdir()
    on_slurm = ct.electron(
        where,
        executor=SlurmExecutor(
            python=sys.executable, workdir=str(staging), poll_interval=0.5, memory="512M", time_limit="5:00"
        ),
    )
    on_dask = ct.electron(where, executor="dask")

    @ct.electron(executor="dask")
    def combine(a, b):
        return {"slurm": a, "dask": b}

    @ct.lattice
    def hybrid():
        return combine(on_slurm(), on_dask())

    server = ServerProcess(
        tmp_path / "server",
        default_executor="dask",
        config=DASK,
        no_cluster=False,
        extra_env={"SLURM_CONF": str(slurm.conf)},
    )
    with server:
        result = ct.dispatch_sync(hybrid)()
    assert result.status == "COMPLETED", result.error
    assert result.result["slurm"]["slurm_job"], "the slurm electron did not run as a Slurm job"
    assert result.result["dask"]["slurm_job"] is None
    assert server.proc is not None
    assert server.proc.pid not in (result.result["slurm"]["pid"], result.result["dask"]["pid"])
    assert not any(staging.iterdir()), "staged files were left behind"


def stuck(seconds: float) -> str:
    import time

    time.sleep(seconds)
    return "finished"


def test_time_limits_fail_slurm_and_dask_nodes_at_the_limit(slurm, tmp_path):
    """Slurm enforces the limit from the task's start itself, the dispatcher does it for Dask; both end the node."""
    staging = tmp_path / "staging"
    staging.mkdir()
    on_slurm = ct.electron(
        stuck, executor=SlurmExecutor(python=sys.executable, workdir=str(staging), poll_interval=0.5), time_limit=2
    )
    on_dask = ct.electron(stuck, executor="dask", time_limit=2)

    @ct.lattice
    def both():
        return [on_slurm(300), on_dask(300)]

    server = ServerProcess(
        tmp_path / "server",
        default_executor="dask",
        config=DASK.replace('":0"', '":0"\ncancel_grace = 30.0'),
        no_cluster=False,
        extra_env={"SLURM_CONF": str(slurm.conf)},
    )
    with server:
        result = ct.dispatch_sync(both)()
        nodes = [n for n in result.get_all_node_results() if n["node_name"] == "stuck"]
    assert result.status == "FAILED"
    assert len(nodes) == 2
    for node in nodes:
        assert node["status"] == "FAILED" and "time limit" in node["error"], node["error"]
        assert node["end_time"] is not None, node
        # at the limit (with the queue, a poll and the start of a job), never after the task's 300 s
        assert (node["end_time"] - node["start_time"]).total_seconds() < 60, node
