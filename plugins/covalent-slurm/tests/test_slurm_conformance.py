"""SlurmExecutor (sbatch per job, local submission) against the real local Slurm cluster."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from covalent.executor.jobs import JobFailedError, JobLostError
from covalent.testing import ExecutorConformance, ExecutorHarness, make_job, node_value
from covalent_slurm.testing.helpers import job_environment, sleep_for, squeue_ids, wait_until
from covalent_slurm.testing.local_cluster import LocalSlurm


class TestSlurmExecutorConformance(ExecutorConformance):
    cancel_grace = 60.0
    start_timeout = 60.0

    @pytest.fixture(scope="class")
    @classmethod
    def executor(cls, slurm: LocalSlurm, make_executor: Any):
        return make_executor(partition=slurm.partition)

    def test_cancel_takes_job_out_of_the_queue(self, harness: ExecutorHarness, slurm: LocalSlurm, marker: str) -> None:
        job = make_job(sleep_for, 600.0)
        future = harness.submit(job)
        wait_until(lambda: job.job_id in harness.handles, 30, "the job was never submitted")
        slurm_id = harness.handles[job.job_id]["slurm_job_id"]
        assert slurm_id in squeue_ids(slurm.conf)
        assert harness.cancel(job) is True
        assert slurm_id not in squeue_ids(slurm.conf)
        with pytest.raises(JobFailedError, match="was cancelled"):
            future.result(timeout=60)

    def test_staged_files_are_removed(self, harness: ExecutorHarness) -> None:
        job = make_job(sleep_for, 0.0)
        outcome = harness.run(job)
        assert node_value(outcome.nodes[0]) == "slept"
        assert not os.path.exists(harness.handles[job.job_id]["job_dir"])

    def test_handle_is_json_and_a_new_executor_reattaches(self, harness: ExecutorHarness, staging: Path) -> None:
        import json

        job = make_job(sleep_for, 1.0)
        handle = harness.call(harness.executor.submit(job), timeout=60)
        restored = json.loads(json.dumps(handle))
        fresh = type(harness.executor).from_dict(json.loads(json.dumps(harness.executor.to_dict())))
        outcome = harness.call(fresh.wait(job, restored), timeout=120)
        assert node_value(outcome.nodes[0]) == "slept"
        harness.call(fresh.cleanup(job, restored), timeout=60)
        assert not os.path.exists(restored["job_dir"])
        harness.call(fresh.teardown(), timeout=60)

    def test_options_reach_the_job(self, slurm: LocalSlurm, make_executor: Any, tmp_path: Path) -> None:
        venv = str(Path(make_executor().python).parent.parent)
        executor = make_executor(
            partition=slurm.partition,
            cpus_per_task=1,
            memory="300M",
            options={"comment": "covalent-test", "requeue": False, "no-requeue": True},
            env={"COVALENT_TEST_VAR": "hello world"},
            venv=venv,
            python="python",  # found through the activated venv
            prerun=["export COVALENT_PRERUN=yes"],
            postrun=f"touch {tmp_path}/postrun-ran",
            use_srun=True,
            srun_options={"ntasks": 1},
        )
        harness = ExecutorHarness(executor)
        try:
            info = node_value(harness.run(make_job(job_environment)).nodes[0])
        finally:
            harness.close()
        assert info["SLURM_JOB_PARTITION"] == slurm.partition
        assert info["SLURM_CPUS_PER_TASK"] == "1"
        assert info["SLURM_MEM_PER_NODE"] == "300"
        assert info["SLURM_STEP_ID"] == "0"  # inside an srun step, not the batch step
        assert info["VIRTUAL_ENV"] == venv
        assert info["COVALENT_TEST_VAR"] == "hello world"
        assert info["prerun"] == "yes"
        assert (info["SLURM_JOB_NAME"] or "").startswith("covalent-")
        assert (tmp_path / "postrun-ran").exists()


def test_job_gone_from_slurm_is_judged_by_its_files(slurm: LocalSlurm, staging: Path, make_executor: Any) -> None:
    """A job Slurm has forgotten: DONE if its outcome exists, else FAILED with its stderr."""
    from covalent.runtime.execute import run_payload

    executor = make_executor()
    harness = ExecutorHarness(executor)
    try:
        job = make_job(sleep_for, 0.0)
        job_dir = staging / "forgotten"
        job_dir.mkdir()
        handle = {"slurm_job_id": "99999999", "job_dir": str(job_dir), "time": None}
        (job_dir / "slurm.err").write_text("Traceback (most recent call last):\nOSError: disk vanished\n")
        with pytest.raises(JobFailedError, match=r"no longer lists it\): OSError: disk vanished"):
            harness.call(executor.wait(job, handle), timeout=60)
        (job_dir / "outcome.pkl").write_bytes(run_payload(job.payload))
        assert node_value(harness.call(executor.wait(job, handle), timeout=60).nodes[0]) == "slept"
        lost = {**handle, "job_dir": str(staging / "never-existed")}
        with pytest.raises(JobLostError, match="is gone"):
            harness.call(executor.wait(job, lost), timeout=60)
    finally:
        harness.close()


def test_sbatch_refusal_is_a_clear_error(slurm: LocalSlurm, staging: Path, make_executor: Any) -> None:
    harness = ExecutorHarness(make_executor(partition="no-such-partition"))
    staged_before = set(staging.rglob("payload.pkl"))
    try:
        with pytest.raises(JobFailedError, match=r"sbatch refused.*[Pp]artition"):
            harness.run(make_job(sleep_for, 0.0))
        assert set(staging.rglob("payload.pkl")) <= staged_before  # nothing left behind
    finally:
        harness.close()


def test_many_jobs_at_once(slurm: LocalSlurm, make_executor: Any) -> None:
    """More jobs than the node's CPUs: they queue, share batched squeue calls, and all finish."""
    from covalent.testing.conformance import _add

    harness = ExecutorHarness(make_executor())
    try:
        jobs = [make_job(_add, i, i) for i in range(5)]
        futures = [harness.submit(job) for job in jobs]
        values = [node_value(f.result(timeout=180).nodes[0]) for f in futures]
    finally:
        harness.close()
    assert values == [0, 2, 4, 6, 8]
