"""A bash lepton and a C lepton (built here with the C compiler) on local, Dask and a real Slurm job."""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import covalent as ct
from covalent.testing import ServerProcess
from covalent.testing.clib import build_shared_library
from covalent_slurm import SlurmExecutor
from covalent_slurm.testing import local_cluster

DASK = '[executors.dask]\nn_workers = 1\nthreads_per_worker = 1\nmemory_limit = "1GiB"\ndashboard_address = ":0"\n'
SOURCE = "void scale(int factor, int *value) { *value *= factor; }\n"


@pytest.fixture(scope="module")
def server(slurm: local_cluster.LocalSlurm, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = ServerProcess(
        tmp_path_factory.mktemp("server"),
        default_executor="dask",
        config=DASK,
        no_cluster=False,
        extra_env={"SLURM_CONF": str(slurm.conf)},
    )
    with proc:
        yield proc


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(build_shared_library(SOURCE, tmp_path_factory.mktemp("clib")))


def _executor(name: str, staging: Path) -> object:
    if name == "slurm":
        return SlurmExecutor(python=sys.executable, workdir=str(staging), poll_interval=0.5, memory="512M")
    return name


@pytest.mark.parametrize("where", ["local", "dask", "slurm"])
def test_bash_and_c_leptons_run_on_the_executor(server, library, tmp_path, where):
    executor = _executor(where, tmp_path)
    scale = ct.Lepton(
        "C",
        library_name=library,
        function_name="scale",
        argtypes=[(ctypes.c_int, ct.Lepton.INPUT), (ctypes.POINTER(ctypes.c_int), ct.Lepton.INPUT_OUTPUT)],
        executor=executor,
    )
    where_am_i = ct.Lepton(
        "bash",
        command='echo "scaled to $1"; pid=$$; job=${SLURM_JOB_ID:-none}',
        argtypes=[(int, ct.Lepton.OUTPUT), (str, ct.Lepton.OUTPUT)],
        named_outputs=["pid", "job"],
        executor=executor,
        display_name="where_am_i",
    )

    @ct.lattice
    def workflow(factor, value):
        scaled = scale(factor, value)
        return {"scaled": scaled, "where": where_am_i(scaled)}

    result = ct.dispatch_sync(workflow)(6, 7)
    assert result.status == "COMPLETED", result.error
    assert result.result["scaled"] == 42
    pid, job = result.result["where"]
    assert pid != os.getpid() and pid != server.proc.pid
    assert (job != "none") == (where == "slurm"), f"the {where} lepton ran in Slurm job {job}"
    nodes = {n["node_name"]: n for n in result.get_all_node_results()}
    assert nodes["where_am_i"]["stdout"] == "scaled to 42\n"
    assert nodes["where_am_i"]["executor"] == where
