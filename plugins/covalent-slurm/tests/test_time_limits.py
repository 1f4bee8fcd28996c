"""Time limits: the task's own limit (exact, enforced in the job) and Slurm's --time kill."""

from __future__ import annotations

from typing import Any

import pytest

from covalent.executor.jobs import JobFailedError
from covalent.testing import ExecutorHarness, make_job
from covalent_slurm.script import JobFiles
from covalent_slurm.testing.helpers import sleep_for
from covalent_slurm.testing.local_cluster import LocalSlurm


def test_job_over_its_time_limit_fails_saying_so(slurm: LocalSlurm, make_executor: Any) -> None:
    harness = ExecutorHarness(make_executor())
    try:
        job = make_job(sleep_for, 120.0)
        job.time_limit = 3.0
        with pytest.raises(JobFailedError, match=r"exceeded its time limit.*3 s") as failure:
            harness.run(job, timeout=120)
        assert "Slurm stopped" not in str(failure.value)  # the job's own exact limit acted first
        # Slurm's --time is whole minutes: the limit plus a minute's margin, as a backstop
        script, time_value = harness.executor.job_script(job, JobFiles("/staging/job"))
        assert time_value == "00:02:00"
        assert "#SBATCH --time=00:02:00" in script
    finally:
        harness.close()


def test_slurm_kills_job_over_its_time_limit(overtime_job: Any) -> None:
    """Slurm's own kill (whole minutes: the job started at the session's start)."""
    _harness, _job, future = overtime_job
    with pytest.raises(JobFailedError) as failure:
        future.result(timeout=240)
    message = str(failure.value)
    assert "Slurm stopped" in message
    assert "exceeded its time limit (--time=00:01:00)" in message
    assert "DUE TO TIME LIMIT" in failure.value.log
