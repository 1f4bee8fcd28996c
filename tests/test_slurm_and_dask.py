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
