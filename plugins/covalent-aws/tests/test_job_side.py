"""The job side on its own: the Batch entrypoint as a process, the Lambda handler as a call."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from aws_test_support import add

from covalent.runtime.outcome import JobOutcome
from covalent.testing import make_job, node_value
from covalent_aws.staging import StagedKeys


@pytest.fixture
def staged(moto_aws, resources):
    job = make_job(add, 2, 40)
    keys = StagedKeys.for_job(resources.bucket, "jobside", job.dispatch_id, job.job_id)
    s3 = moto_aws.client("s3")
    s3.put_object(Bucket=keys.bucket, Key=keys.payload, Body=job.payload)
    yield keys
    listing = s3.list_objects_v2(Bucket=keys.bucket, Prefix=keys.prefix)
    for item in listing.get("Contents", []):
        s3.delete_object(Bucket=keys.bucket, Key=item["Key"])


def _entrypoint(moto_aws, keys, payload_key=None):
    env = {**os.environ, **moto_aws.environment()}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "covalent_aws.entrypoint",
            "--bucket",
            keys.bucket,
            "--payload-key",
            payload_key or keys.payload,
            "--outcome-key",
            keys.outcome,
            "--error-key",
            keys.error,
            "--region",
            moto_aws.region,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_entrypoint_runs_payload_and_uploads_outcome(moto_aws, staged):
    done = _entrypoint(moto_aws, staged)
    assert done.returncode == 0, done.stderr
    assert "outcome uploaded" in done.stdout
    body = moto_aws.client("s3").get_object(Bucket=staged.bucket, Key=staged.outcome)["Body"]
    assert node_value(JobOutcome.from_bytes(body.read()).nodes[0]) == 42


def test_entrypoint_reports_missing_payload(moto_aws, staged):
    done = _entrypoint(moto_aws, staged, payload_key=staged.prefix + "nothing-here")
    assert done.returncode == 1
    assert "no payload at" in done.stderr
    body = moto_aws.client("s3").get_object(Bucket=staged.bucket, Key=staged.error)["Body"]
    assert json.loads(body.read())["reason"] == "missing-payload"


def test_handler_runs_once_per_job(moto_aws, staged, monkeypatch):
    from covalent_aws.lambda_handler import handler

    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_aws.endpoint_url)
    event = {
        "bucket": staged.bucket,
        "payload_key": staged.payload,
        "outcome_key": staged.outcome,
        "error_key": staged.error,
        "cancel_key": staged.cancel,
        "cancel_check_interval": 0.2,
    }
    assert handler(event, None)["status"] == "DONE"
    # Lambda may deliver an event invocation twice: the second runs nothing.
    assert handler(event, None)["status"] == "SKIPPED"
