"""setup() names the missing credentials, bucket, queue, job definition or function."""

from __future__ import annotations

import pytest
from aws_test_support import batch_executor, lambda_executor

from covalent.testing import ExecutorHarness
from covalent_aws import (
    AWSBatchExecutor,
    AWSConfigurationError,
    AWSCredentialsError,
    AWSLambdaExecutor,
    AWSResourceNotFoundError,
)


def _setup(executor):
    import asyncio

    asyncio.run(executor.setup())


def test_valid_configuration_passes(moto_aws, resources):
    _setup(batch_executor(moto_aws, resources))
    _setup(lambda_executor(moto_aws, resources))


def test_missing_credentials(moto_aws, resources, monkeypatch, tmp_path):
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for executor in (batch_executor(moto_aws, resources), lambda_executor(moto_aws, resources)):
        with pytest.raises(AWSCredentialsError, match="no AWS credentials found"):
            _setup(executor)


def test_unknown_profile(moto_aws, resources, monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    with pytest.raises(AWSCredentialsError, match="AWS profile 'nobody' is not configured"):
        _setup(batch_executor(moto_aws, resources, profile="nobody"))


def test_profile_from_credentials_file(moto_aws, resources, monkeypatch, tmp_path):
    credentials = tmp_path / "credentials"
    credentials.write_text("[ci]\naws_access_key_id = a\naws_secret_access_key = b\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.delenv("AWS_SESSION_TOKEN")
    _setup(lambda_executor(moto_aws, resources, profile="ci"))


def test_missing_region(moto_aws, resources, monkeypatch, tmp_path):
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    with pytest.raises(AWSConfigurationError, match="no AWS region configured"):
        _setup(batch_executor(moto_aws, resources, region=None))


def test_missing_bucket(moto_aws, resources):
    for executor in (
        batch_executor(moto_aws, resources, bucket="no-such-bucket"),
        lambda_executor(moto_aws, resources, bucket="no-such-bucket"),
    ):
        with pytest.raises(AWSResourceNotFoundError, match="S3 bucket 'no-such-bucket'"):
            _setup(executor)


def test_missing_job_queue(moto_aws, resources):
    with pytest.raises(AWSResourceNotFoundError, match="AWS Batch job queue 'no-such-queue'"):
        _setup(batch_executor(moto_aws, resources, job_queue="no-such-queue"))


def test_missing_job_definition(moto_aws, resources):
    with pytest.raises(AWSResourceNotFoundError, match="AWS Batch job definition 'no-such-definition'"):
        _setup(batch_executor(moto_aws, resources, job_definition="no-such-definition"))


def test_existing_job_definition_is_used(moto_aws, resources, fake_batch):
    from aws_test_support import add

    from covalent.testing import make_job, node_value

    arn = moto_aws.client("batch").register_job_definition(
        jobDefinitionName="user-defined",
        type="container",
        containerProperties={"image": "mine:1", "vcpus": 1, "memory": 512, "command": ["echo"]},
    )["jobDefinitionArn"]
    h = ExecutorHarness(batch_executor(moto_aws, resources, image=None, job_definition="user-defined"))
    try:
        job = make_job(add, 2, 2)
        assert node_value(h.run(job, timeout=120).nodes[0]) == 4
        assert h.handles[job.job_id]["job_definition"] == "user-defined"
        described = moto_aws.client("batch").describe_jobs(jobs=[h.handles[job.job_id]["batch_job_id"]])["jobs"][0]
        assert described["jobDefinition"] == arn
    finally:
        h.close()


def test_missing_function(moto_aws, resources):
    with pytest.raises(AWSResourceNotFoundError, match="Lambda function 'no-such-function'"):
        _setup(lambda_executor(moto_aws, resources, function_name="no-such-function"))


def test_missing_required_options():
    with pytest.raises(AWSConfigurationError, match="job_queue"):
        _setup(AWSBatchExecutor(bucket="b", image="i"))
    with pytest.raises(AWSConfigurationError, match=r"image=.*or job_definition="):
        _setup(AWSBatchExecutor(bucket="b", job_queue="q"))
    with pytest.raises(AWSConfigurationError, match="function_name"):
        _setup(AWSLambdaExecutor(bucket="b"))
    with pytest.raises(AWSConfigurationError, match="bucket"):
        _setup(AWSLambdaExecutor(function_name="f"))
    with pytest.raises(AWSConfigurationError, match="invocation_type"):
        AWSLambdaExecutor(function_name="f", bucket="b", invocation_type="Sometimes")
