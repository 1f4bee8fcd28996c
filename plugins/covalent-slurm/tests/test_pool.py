"""SlurmPoolExecutor: Dask workers as Slurm jobs (dask-jobqueue) on the real local cluster."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

from covalent.executor.jobs import JobFailedError
from covalent.testing import ExecutorConformance, ExecutorHarness, make_job, node_value
from covalent_slurm import SlurmPoolExecutor
from covalent_slurm.pool_cluster import shared_pools
from covalent_slurm.testing.helpers import job_environment, sleep_for, squeue_ids, wait_until
from covalent_slurm.testing.local_cluster import LocalSlurm


def _pool_executor(slurm: LocalSlurm, tmp: Path, **options: Any) -> SlurmPoolExecutor:
    defaults: dict[str, Any] = {
        "partition": slurm.partition,
        "python": sys.executable,
        "cores": 1,
        "memory": "1GB",
        "min_jobs": 0,
        "max_jobs": 1,
        "idle_timeout": 3,
        "walltime": 600,
        "log_directory": str(tmp / "pool-logs"),
        "scheduler_options": {"host": "127.0.0.1"},
        "cancel_grace": 3,
    }
    return SlurmPoolExecutor(**{**defaults, **options})


class TestSlurmPoolConformance(ExecutorConformance):
    start_timeout = 90.0

    @pytest.fixture(scope="class")
    @classmethod
    def executor(cls, slurm: LocalSlurm, tmp_path_factory: pytest.TempPathFactory):
        return _pool_executor(slurm, tmp_path_factory.mktemp("pool"))

    def test_tasks_run_inside_slurm_worker_jobs(self, harness: ExecutorHarness, slurm: LocalSlurm) -> None:
        info = node_value(harness.run(make_job(job_environment)).nodes[0])
        assert info["SLURM_JOB_ID"] in squeue_ids(slurm.conf)
        assert info["SLURM_JOB_PARTITION"] == slurm.partition
        assert harness.executor.describe()["worker_jobs"] == [info["SLURM_JOB_ID"]]

    def test_time_limit_stops_the_task(self, harness: ExecutorHarness) -> None:
        job = make_job(sleep_for, 120.0)
        job.time_limit = 2.0
        with pytest.raises(JobFailedError, match="exceeded its time limit of 2 s"):
            harness.run(job, timeout=120)

    def test_executors_with_equal_config_share_one_pool(
        self, harness: ExecutorHarness, slurm: LocalSlurm, tmp_path_factory: pytest.TempPathFactory
    ) -> None:
        twin = type(harness.executor).from_dict(harness.executor.to_dict())
        harness.call(twin.setup(), timeout=60)
        try:
            assert twin._pool is harness.executor._pool
            assert twin.config_key == harness.executor.config_key
            assert node_value(harness.call(twin.run(make_job(sleep_for, 0.0)), timeout=120).nodes[0]) == "slept"
        finally:
            harness.call(twin.teardown(), timeout=60)
        assert harness.executor._pool in shared_pools().values()  # still used by the first executor
        other = _pool_executor(slurm, tmp_path_factory.mktemp("other"), max_jobs=2)
        assert other.config_key != harness.executor.config_key

    def test_idle_worker_jobs_are_released(self, harness: ExecutorHarness, slurm: LocalSlurm) -> None:
        info = node_value(harness.run(make_job(job_environment)).nodes[0])
        worker_job = info["SLURM_JOB_ID"]
        wait_until(lambda: worker_job not in squeue_ids(slurm.conf), 60, "the idle worker job was never released")


def test_stuck_task_is_stopped_by_cancelling_its_worker_job(slurm: LocalSlurm, tmp_path: Path) -> None:
    """A task inside one long C call ignores the interrupt: the worker's Slurm job is scancelled."""
    harness = ExecutorHarness(_pool_executor(slurm, tmp_path, cancel_grace=2))
    try:
        marker = tmp_path / "stuck"
        job = make_job(_stuck, str(marker))
        future = harness.submit(job)
        wait_until(lambda: marker.exists(), 90, "the task never started")
        worker_job = marker.read_text()
        assert harness.cancel(job) is True
        with pytest.raises(JobFailedError, match="cancelled"):
            future.result(timeout=60)
        assert worker_job not in squeue_ids(slurm.conf)
    finally:
        harness.close()


def _stuck(marker: str) -> None:
    import time

    with open(marker, "w") as f:
        f.write(os.environ["SLURM_JOB_ID"])
    time.sleep(3600)  # one C call: asynchronous exceptions wait for it to return
