"""Fixtures: one moto server for the session, with the fake Batch compute and Lambda runtime."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest

from covalent_aws.testing import AWSResources, FakeBatchCompute, FakeLambdaRuntime, MotoAWS

# The tests share task functions and executor builders through aws_test_support.
sys.path.insert(0, os.path.dirname(__file__))


@pytest.fixture(scope="session")
def moto_aws() -> Iterator[MotoAWS]:
    moto = MotoAWS()
    moto.install_credentials()
    moto.start()
    try:
        yield moto
    finally:
        moto.stop()
        moto.restore_environment()


@pytest.fixture(scope="session")
def resources(moto_aws: MotoAWS) -> AWSResources:
    return moto_aws.create_resources()


@pytest.fixture(scope="session")
def fake_batch(moto_aws: MotoAWS) -> Iterator[FakeBatchCompute]:
    compute = FakeBatchCompute(moto_aws).start()
    try:
        yield compute
    finally:
        compute.stop()


@pytest.fixture(scope="session")
def fake_lambda(moto_aws: MotoAWS) -> Iterator[FakeLambdaRuntime]:
    runtime = FakeLambdaRuntime(moto_aws).start()
    try:
        yield runtime
    finally:
        runtime.stop()
