"""AWSLambdaExecutor against moto, with the fake Lambda runtime running the real handler."""

from __future__ import annotations

import dataclasses
import json
import os
import time

import pytest
from aws_test_support import (
    add,
    chatty,
    explode,
    lambda_executor,
    pid_alive,
    read_pid,
    sleep_then,
    wait_for,
)

from covalent.executor.jobs import JobFailedError
from covalent.testing import ExecutorHarness, make_job, node_value
from covalent_aws import AWSLambdaExecutor


@pytest.fixture(scope="module")
def harness(moto_aws, resources, fake_lambda):
    h = ExecutorHarness(lambda_executor(moto_aws, resources))
    yield h
    h.close()


@pytest.fixture(scope="module")
def sync_harness(moto_aws, resources, fake_lambda):
    h = ExecutorHarness(lambda_executor(moto_aws, resources, invocation_type="RequestResponse"))
    yield h
    h.close()


def _objects(moto_aws, resources, prefix):
    response = moto_aws.client("s3").list_objects_v2(Bucket=resources.bucket, Prefix=prefix)
    return [item["Key"] for item in response.get("Contents", [])]


def _invocation(fake_lambda, job):
    for invocation in fake_lambda.invocations:
        if invocation.event.get("job_id") == job.job_id:
            return invocation
    raise AssertionError(f"{job.job_id} was never invoked")


@pytest.mark.parametrize("mode", ["Event", "RequestResponse"])
def test_success_in_both_modes(request, fake_lambda, mode):
    h = request.getfixturevalue("harness" if mode == "Event" else "sync_harness")
    job = make_job(chatty, "lambda")
    node = h.run(job, timeout=120).nodes[0]
    assert node_value(node) == "LAMBDA"
    assert "stdout says lambda" in node.stdout
    assert "stderr says lambda" in node.stderr
    assert h.handles[job.job_id]["mode"] == mode
    assert _invocation(fake_lambda, job).invocation_type == mode


def test_auto_mode_uses_threshold(moto_aws, resources, fake_lambda):
    executor = lambda_executor(moto_aws, resources, sync_threshold=60)
    h = ExecutorHarness(executor)
    try:
        short = dataclasses.replace(make_job(add, 1, 2), time_limit=30)
        long = make_job(add, 3, 4)  # bounded only by the function's 120 s timeout
        assert node_value(h.run(short).nodes[0]) == 3
        assert node_value(h.run(long).nodes[0]) == 7
        assert h.handles[short.job_id]["mode"] == "RequestResponse"
        assert h.handles[long.job_id]["mode"] == "Event"
    finally:
        h.close()
    short_fn = ExecutorHarness(lambda_executor(moto_aws, resources, function_name=resources.short_function_name))
    try:
        job = make_job(add, 5, 6)
        assert node_value(short_fn.run(job).nodes[0]) == 11
        assert short_fn.handles[job.job_id]["mode"] == "RequestResponse"  # 8 s function
    finally:
        short_fn.close()


@pytest.mark.parametrize("mode", ["Event", "RequestResponse"])
def test_failure_reports_traceback(request, mode):
    h = request.getfixturevalue("harness" if mode == "Event" else "sync_harness")
    node = h.run(make_job(explode, "lambda-boom"), timeout=120).nodes[0]
    assert node.status == "FAILED"
    assert "RuntimeError: lambda-boom" in node.error
    assert "explode" in node.error


def test_cleanup_removes_staged_objects(moto_aws, resources, harness):
    job = make_job(add, 40, 2)
    assert node_value(harness.run(job).nodes[0]) == 42
    assert _objects(moto_aws, resources, harness.handles[job.job_id]["keys"]["prefix"]) == []


@pytest.mark.parametrize("mode", ["Event", "RequestResponse"])
def test_cancel_stops_the_task(request, moto_aws, resources, fake_lambda, tmp_path, mode):
    h = request.getfixturevalue("harness" if mode == "Event" else "sync_harness")
    marker = str(tmp_path / "started")
    job = make_job(sleep_then, 300, marker)
    future = h.submit(job)
    wait_for(marker)
    task_pid = read_pid(marker)
    assert h.cancel(job) is True
    with pytest.raises(JobFailedError, match="cancelled while running"):
        future.result(timeout=60)
    assert not pid_alive(task_pid)
    invocation = _invocation(fake_lambda, job)
    assert invocation.finished.wait(30)
    assert not invocation.error and not invocation.timed_out
    if mode == "RequestResponse":  # the handler's answer came back with the response
        assert invocation.payload["reason"] == "cancelled"
    assert _objects(moto_aws, resources, h.handles[job.job_id]["keys"]["prefix"]) == []
    assert h.cancel(job) is False  # nothing left to cancel


def test_cancel_before_start_keeps_marker(moto_aws, resources, fake_lambda):
    """A queued invocation that starts after cancel finds the marker and runs nothing."""
    from covalent_aws.lambda_handler import handler

    executor = lambda_executor(moto_aws, resources, cancel_confirm_timeout=0.5)
    h = ExecutorHarness(executor)
    try:
        job = make_job(add, 1, 1)
        keys = executor.keys(job)
        s3 = moto_aws.client("s3")
        # Stage as submit would, but hold the invocation back (the queue's delay).
        s3.put_object(Bucket=keys.bucket, Key=keys.payload, Body=job.payload)
        handle = {
            "mode": "Event",
            "function_name": resources.function_name,
            "submitted_at": time.time(),
            "bound": 120,
            "time_limit": None,
            "keys": keys.to_dict(),
        }
        assert h.call(executor.cancel(job, handle)) is False  # not confirmed in time
        with pytest.raises(JobFailedError, match="was cancelled"):
            h.call(executor.wait(job, handle))
        h.call(executor.cleanup(job, handle))
        assert _objects(moto_aws, resources, keys.prefix) == [keys.cancel]
        event = {
            "bucket": keys.bucket,
            "payload_key": keys.payload,
            "outcome_key": keys.outcome,
            "error_key": keys.error,
            "cancel_key": keys.cancel,
        }
        os.environ["AWS_ENDPOINT_URL"] = moto_aws.endpoint_url
        try:
            answer = handler(event, None)
        finally:
            del os.environ["AWS_ENDPOINT_URL"]
        assert answer["status"] == "CANCELLED"
        assert _objects(moto_aws, resources, keys.prefix) == [keys.cancel]
        s3.delete_object(Bucket=keys.bucket, Key=keys.cancel)
    finally:
        h.close()


@pytest.mark.parametrize("mode", ["Event", "RequestResponse"])
def test_time_limit_is_enforced(request, moto_aws, resources, fake_lambda, tmp_path, mode):
    h = request.getfixturevalue("harness" if mode == "Event" else "sync_harness")
    marker = str(tmp_path / "started")
    job = dataclasses.replace(make_job(sleep_then, 300, marker), time_limit=5)
    with pytest.raises(JobFailedError, match=r"\(timeout\): time limit of 5 s exceeded"):
        h.run(job, timeout=120)
    if os.path.exists(marker):  # the limit counts from the handler's start
        assert not pid_alive(read_pid(marker))
    assert _objects(moto_aws, resources, h.handles[job.job_id]["keys"]["prefix"]) == []


def test_lambda_own_timeout_is_honoured(moto_aws, resources, fake_lambda, tmp_path):
    """The 8 s function stops the task before Lambda would kill the handler."""
    h = ExecutorHarness(lambda_executor(moto_aws, resources, function_name=resources.short_function_name))
    try:
        marker = str(tmp_path / "started")
        job = make_job(sleep_then, 300, marker)
        with pytest.raises(JobFailedError, match="Lambda function's own timeout") as info:
            h.run(job, timeout=120)
        assert h.handles[job.job_id]["bound"] == 8
        assert not pid_alive(read_pid(marker))
        assert not _invocation(fake_lambda, job).timed_out  # the handler stopped in time
        assert "job error (timeout)" in info.value.log
    finally:
        h.close()


def test_function_error_is_reported(moto_aws, resources, fake_lambda):
    """A handler that raises (here: a malformed event) comes back as a function error."""
    executor = lambda_executor(moto_aws, resources, invocation_type="RequestResponse")
    h = ExecutorHarness(executor)
    try:
        lam = moto_aws.client("lambda")
        response = lam.invoke(
            FunctionName=resources.function_name, Payload=json.dumps({"bucket": resources.bucket}).encode()
        )
        assert response["FunctionError"] == "Unhandled"
        document = json.loads(response["Payload"].read())
        assert document["errorType"] == "KeyError"
    finally:
        h.close()


def test_restarted_executor_reattaches_by_handle(moto_aws, resources, fake_lambda):
    first = ExecutorHarness(lambda_executor(moto_aws, resources))
    try:
        job = make_job(add, 7, 8)
        handle = first.call(first.executor.submit(job))
    finally:
        first.close()
    second = ExecutorHarness(AWSLambdaExecutor.from_dict(first.executor.to_dict()))
    try:
        handle = json.loads(json.dumps(handle))
        outcome = second.call(second.executor.wait(job, handle), timeout=120)
        assert node_value(outcome.nodes[0]) == 15
        second.call(second.executor.cleanup(job, handle))
    finally:
        second.close()
