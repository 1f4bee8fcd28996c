"""The executor conformance suite against moto, for both executors."""

from __future__ import annotations

import pytest
from aws_test_support import batch_executor, lambda_executor

from covalent.testing import ExecutorConformance


class TestAWSBatchConformance(ExecutorConformance):
    cancel_grace = 60.0
    start_timeout = 60.0

    @pytest.fixture(scope="class")
    @classmethod
    def executor(cls, moto_aws, resources, fake_batch):
        return batch_executor(moto_aws, resources, job_name_prefix="conformance")


class TestAWSLambdaConformance(ExecutorConformance):
    cancel_grace = 60.0
    start_timeout = 60.0

    @pytest.fixture(scope="class")
    @classmethod
    def executor(cls, moto_aws, resources, fake_lambda):
        return lambda_executor(moto_aws, resources)
