"""Submission over SSH: sbatch on a "login node" (sshd on a loopback port), files by SFTP."""

from __future__ import annotations

from typing import Any

import pytest

from covalent.executor.jobs import JobFailedError
from covalent.testing import ExecutorConformance, ExecutorHarness, make_job, node_value
from covalent_slurm.testing.helpers import job_environment, sleep_for, squeue_ids, wait_until
from covalent_slurm.testing.local_cluster import LocalSlurm
from covalent_ssh.testing.sshd import SSHServer


def _ssh_options(slurm: LocalSlurm, sshd: SSHServer) -> dict[str, Any]:
    return {
        "address": "127.0.0.1",
        "ssh_port": sshd.port,
        "username": sshd.username,
        "ssh_key_file": sshd.key_file,
        "known_hosts": sshd.known_hosts,
        # the login shell does not know this test cluster's configuration file
        "env": slurm.env,
    }


class TestSlurmOverSSHConformance(ExecutorConformance):
    start_timeout = 60.0

    @pytest.fixture(scope="class")
    @classmethod
    def executor(cls, slurm: LocalSlurm, sshd: SSHServer, make_executor: Any):
        return make_executor(**_ssh_options(slurm, sshd))

    def test_job_is_submitted_over_ssh(self, harness: ExecutorHarness, slurm: LocalSlurm) -> None:
        job = make_job(job_environment)
        info = node_value(harness.run(job).nodes[0])
        handle = harness.handles[job.job_id]
        assert handle["submit_host"].startswith("root@127.0.0.1:") or "@127.0.0.1:" in handle["submit_host"]
        assert info["SLURM_JOB_ID"] == handle["slurm_job_id"]
        assert harness.executor.describe()["submit_host"] == handle["submit_host"]

    def test_cancel_over_ssh_takes_job_out_of_the_queue(self, harness: ExecutorHarness, slurm: LocalSlurm) -> None:
        job = make_job(sleep_for, 600.0)
        future = harness.submit(job)
        wait_until(lambda: job.job_id in harness.handles, 30, "the job was never submitted")
        slurm_id = harness.handles[job.job_id]["slurm_job_id"]
        assert harness.cancel(job) is True
        assert slurm_id not in squeue_ids(slurm.conf)
        with pytest.raises(JobFailedError, match="was cancelled"):
            future.result(timeout=60)


def test_wrong_host_key_is_refused(slurm: LocalSlurm, sshd: SSHServer, make_executor: Any, tmp_path: Any) -> None:
    import asyncio

    stranger = tmp_path / "known_hosts"
    stranger.write_text(
        f"[127.0.0.1]:{sshd.port} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBd0bpOyK1c6CFKGiqfGOSmV1K3i4FQ5Q4v1ZTlgTlj8\n"
    )
    executor = make_executor(**{**_ssh_options(slurm, sshd), "known_hosts": str(stranger)})
    with pytest.raises(ConnectionError, match="cannot open an SSH connection"):
        asyncio.run(executor.setup())
