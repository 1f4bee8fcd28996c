"""AWSBatchExecutor against moto, with the fake compute environment running the real entrypoint."""

from __future__ import annotations

import dataclasses
import time

import pytest
from aws_test_support import (
    add,
    batch_executor,
    chatty,
    explode,
    pid_alive,
    read_pid,
    sleep_then,
    wait_for,
)

from covalent.executor.jobs import JobFailedError, run_job
from covalent.testing import ExecutorHarness, make_job, node_value
from covalent_aws import AWSBatchExecutor


@pytest.fixture(scope="module")
def harness(moto_aws, resources, fake_batch):
    h = ExecutorHarness(batch_executor(moto_aws, resources, job_name_prefix="batchtest"))
    yield h
    h.close()


def _objects(moto_aws, resources, prefix):
    response = moto_aws.client("s3").list_objects_v2(Bucket=resources.bucket, Prefix=prefix)
    return [item["Key"] for item in response.get("Contents", [])]


def test_success_returns_value_and_output(harness):
    outcome = harness.run(make_job(chatty, "batch"), timeout=120)
    node = outcome.nodes[0]
    assert node_value(node) == "BATCH"
    assert "stdout says batch" in node.stdout
    assert "stderr says batch" in node.stderr


def test_failure_reports_traceback(harness):
    outcome = harness.run(make_job(explode, "batch-boom"), timeout=120)
    node = outcome.nodes[0]
    assert node.status == "FAILED"
    assert "RuntimeError: batch-boom" in node.error
    assert "explode" in node.error


def test_job_definition_is_registered_once_and_reused(moto_aws, resources, fake_batch):
    batch = moto_aws.client("batch")
    executor = batch_executor(moto_aws, resources, job_name_prefix="reuse", vcpu=2, memory=1024)
    h = ExecutorHarness(executor)
    try:
        handles = []
        for x in (1, 2):
            job = make_job(add, x, 10)
            assert node_value(h.run(job, timeout=120).nodes[0]) == x + 10
            handles.append(h.handles[job.job_id])
    finally:
        h.close()
    assert handles[0]["job_definition"] == handles[1]["job_definition"]
    names = {
        d["jobDefinitionName"]
        for d in batch.describe_job_definitions(status="ACTIVE")["jobDefinitions"]
        if d["jobDefinitionName"].startswith("reuse-")
    }
    assert len(names) == 1
    (name,) = names
    revisions = batch.describe_job_definitions(jobDefinitionName=name)["jobDefinitions"]
    assert len(revisions) == 1
    props = revisions[0]["containerProperties"]
    assert {"type": "VCPU", "value": "2"} in props["resourceRequirements"]
    assert {"type": "MEMORY", "value": "1024"} in props["resourceRequirements"]

    # A new executor (e.g. after a server restart) finds the same definition.
    again = batch_executor(moto_aws, resources, job_name_prefix="reuse", vcpu=2, memory=1024)
    h = ExecutorHarness(again)
    try:
        job = make_job(add, 3, 10)
        h.run(job, timeout=120)
        assert h.handles[job.job_id]["job_definition"] == handles[0]["job_definition"]
    finally:
        h.close()
    assert len(batch.describe_job_definitions(jobDefinitionName=name)["jobDefinitions"]) == 1


def test_submit_sets_resources_timeout_and_retries(moto_aws, resources, fake_batch, harness):
    job = dataclasses.replace(make_job(add, 1, 1), time_limit=90.5)
    harness.run(job, timeout=120)
    handle = harness.handles[job.job_id]
    described = moto_aws.client("batch").describe_jobs(jobs=[handle["batch_job_id"]])["jobs"][0]
    assert described["status"] == "SUCCEEDED"
    assert described["timeout"] == {"attemptDurationSeconds": 91}
    command = described["container"]["command"]
    assert command[:3] == ["python", "-m", "covalent_aws.entrypoint"]
    assert handle["keys"]["payload"] in command


def test_cleanup_removes_staged_objects(moto_aws, resources, harness):
    job = make_job(add, 20, 22)
    assert node_value(harness.run(job, timeout=120).nodes[0]) == 42
    prefix = harness.handles[job.job_id]["keys"]["prefix"]
    assert _objects(moto_aws, resources, prefix) == []


def test_cleanup_can_be_turned_off(moto_aws, resources, fake_batch):
    h = ExecutorHarness(batch_executor(moto_aws, resources, cleanup=False))
    try:
        job = make_job(add, 1, 2)
        h.run(job, timeout=120)
        keys = h.handles[job.job_id]["keys"]
        assert sorted(_objects(moto_aws, resources, keys["prefix"])) == sorted([keys["outcome"], keys["payload"]])
        for key in (keys["outcome"], keys["payload"]):
            moto_aws.client("s3").delete_object(Bucket=resources.bucket, Key=key)
    finally:
        h.close()


def test_cancel_terminates_job_and_stops_container(moto_aws, resources, fake_batch, harness, tmp_path):
    marker = str(tmp_path / "started")
    job = make_job(sleep_then, 300, marker)
    future = harness.submit(job)
    wait_for(marker)
    handle = harness.handles[job.job_id]
    run = fake_batch.runs[handle["batch_job_id"]]
    task_pid = read_pid(marker)
    assert pid_alive(task_pid)
    assert harness.cancel(job) is True
    with pytest.raises(JobFailedError, match="Cancelled by covalent"):
        future.result(timeout=60)
    assert run.finished.wait(30)
    assert run.terminated
    assert not pid_alive(task_pid), "the entrypoint's task process still runs"
    described = moto_aws.client("batch").describe_jobs(jobs=[handle["batch_job_id"]])["jobs"][0]
    assert described["status"] == "FAILED"
    assert described["statusReason"] == "Cancelled by covalent"
    # Cancelling a finished job is a no-op.
    assert harness.cancel(job) is False


def test_time_limit_terminates_job(moto_aws, resources, fake_batch, harness, tmp_path):
    marker = str(tmp_path / "started")
    job = dataclasses.replace(make_job(sleep_then, 300, marker), time_limit=2)
    started = time.monotonic()
    with pytest.raises(JobFailedError, match="time limit of 2 s exceeded") as info:
        harness.run(job, timeout=120)
    assert time.monotonic() - started < 60
    handle = harness.handles[job.job_id]
    run = fake_batch.runs[handle["batch_job_id"]]
    assert run.finished.wait(30) and run.terminated
    described = moto_aws.client("batch").describe_jobs(jobs=[handle["batch_job_id"]])["jobs"][0]
    assert described["status"] == "FAILED"
    assert described["timeout"] == {"attemptDurationSeconds": 60}
    assert "time limit" in described["statusReason"]
    assert info.value.log  # Batch's status and the CloudWatch stream
    assert _objects(moto_aws, resources, handle["keys"]["prefix"]) == []


def test_job_level_failure_carries_cloudwatch_log(moto_aws, resources, fake_batch, harness):
    """A payload the runtime cannot read fails the Batch job; the error and log come back."""
    from covalent.executor.jobs import Job

    job = Job(job_id="broken-1", dispatch_id="broken", node_ids=(0,), names=("x",), payload=b"not a pickle")
    with pytest.raises(JobFailedError) as info:
        harness.run(job, timeout=120)
    assert "failed: Essential container in task exited" in str(info.value)
    log = info.value.log
    assert "AWS Batch status FAILED" in log
    assert "CloudWatch /aws/batch/job/" in log
    assert "the covalent runtime could not run the job" in log
    assert "Traceback" in log


def test_restarted_executor_reattaches_by_handle(moto_aws, resources, fake_batch):
    first = ExecutorHarness(batch_executor(moto_aws, resources))
    try:
        job = make_job(add, 5, 6)
        handle = first.call(first.executor.submit(job))
    finally:
        first.close()
    rebuilt = AWSBatchExecutor.from_dict(first.executor.to_dict())
    second = ExecutorHarness(rebuilt)
    try:
        import json

        handle = json.loads(json.dumps(handle))  # as the server records it
        outcome = second.call(second.executor.wait(job, handle), timeout=120)
        assert node_value(outcome.nodes[0]) == 11
        second.call(second.executor.cleanup(job, handle))
    finally:
        second.close()


def test_works_from_a_running_event_loop(moto_aws, resources, fake_batch):
    """The executor is driven by coroutines on one loop (as in the server process)."""
    import asyncio

    async def main():
        executor = batch_executor(moto_aws, resources)
        await executor.setup()
        jobs = [make_job(add, i, i) for i in range(3)]
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                await asyncio.sleep(0.05)
                ticks += 1

        tick_task = asyncio.create_task(ticker())
        outcomes = await asyncio.gather(*(run_job(executor, job) for job in jobs))
        tick_task.cancel()
        await executor.teardown()
        return outcomes, ticks

    outcomes, ticks = asyncio.run(main())
    assert [node_value(o.nodes[0]) for o in outcomes] == [0, 2, 4]
    assert ticks > 5  # the loop kept running while boto3 calls were in flight
