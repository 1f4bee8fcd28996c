"""One workflow with AWS Batch, AWS Lambda and Dask electrons, through a real server.

AWS is moto in server mode on 127.0.0.1; moto runs no container and no
handler, so bondflow-aws's test harness plays their part by running the
package's own Batch entrypoint and Lambda handler for each job (a mock of
real AWS, which cannot be reached from here).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

import covalent as ct
from covalent.testing import ServerProcess
from covalent_aws import AWSBatchExecutor, AWSLambdaExecutor
from covalent_aws.testing import FakeBatchCompute, FakeLambdaRuntime, MotoAWS

DASK = '[executors.dask]\nn_workers = 1\nthreads_per_worker = 1\nmemory_limit = "1GiB"\ndashboard_address = ":0"\n'


@pytest.fixture(scope="module")
def aws() -> Iterator[tuple[MotoAWS, object]]:
    moto = MotoAWS()
    moto.install_credentials()
    moto.start()
    resources = moto.create_resources(name="covalent-e2e")  # moto's state is per process: a name of its own
    batch, lam = FakeBatchCompute(moto).start(), FakeLambdaRuntime(moto).start()
    try:
        yield moto, resources
    finally:
        lam.stop()
        batch.stop()
        moto.stop()
        moto.restore_environment()


def where(tag: str) -> dict:
    return {"tag": tag, "pid": os.getpid(), "batch_job": os.environ.get("AWS_BATCH_JOB_ID")}


def test_moto_mock_workflow_mixing_batch_lambda_and_dask(aws, tmp_path):
    moto, res = aws
    common = {"bucket": res.bucket, "endpoint_url": moto.endpoint_url, "region": res.region}
    on_batch = ct.electron(where, executor=AWSBatchExecutor(job_queue=res.job_queue, image="any", **common))
    on_lambda = ct.electron(where, executor=AWSLambdaExecutor(function_name=res.function_name, **common))
    on_dask = ct.electron(where, executor="dask")

    @ct.electron(executor="dask")
    def combine(*parts):
        return {p["tag"]: p for p in parts}

    @ct.lattice
    def cloud():
        return combine(on_batch("batch"), on_lambda("lambda"), on_dask("dask"))

    server = ServerProcess(
        tmp_path / "server", default_executor="dask", config=DASK, no_cluster=False, extra_env=moto.environment()
    )
    with server:
        result = ct.dispatch_sync(cloud)()
    assert result.status == "COMPLETED", result.error
    pids = {tag: part["pid"] for tag, part in result.result.items()}
    assert set(pids) == {"batch", "lambda", "dask"}
    assert len(set(pids.values())) == 3  # three different places ran the three electrons
    assert server.proc is not None and server.proc.pid not in pids.values()
    s3 = moto.client("s3")
    assert s3.list_objects_v2(Bucket=res.bucket).get("KeyCount", 0) == 0, "staged objects were left in S3"


def stuck(seconds: float) -> str:
    import time

    time.sleep(seconds)
    return "finished"


def test_time_limits_fail_batch_and_lambda_nodes_at_the_limit(aws, tmp_path):
    """Batch and Lambda enforce the limit from the task's start themselves; the node fails and says when."""
    moto, res = aws
    common = {"bucket": res.bucket, "endpoint_url": moto.endpoint_url, "region": res.region, "poll_interval": 0.5}
    on_batch = ct.electron(
        stuck, executor=AWSBatchExecutor(job_queue=res.job_queue, image="any", **common), time_limit=3
    )
    on_lambda = ct.electron(stuck, executor=AWSLambdaExecutor(function_name=res.function_name, **common), time_limit=3)

    @ct.lattice
    def both():
        return [on_batch(300), on_lambda(300)]

    server = ServerProcess(
        tmp_path / "server", default_executor="dask", config=DASK, no_cluster=False, extra_env=moto.environment()
    )
    with server:
        result = ct.dispatch_sync(both)()
        nodes = [n for n in result.get_all_node_results() if n["node_name"] == "stuck"]
    assert result.status == "FAILED" and len(nodes) == 2
    for node in nodes:
        assert node["status"] == "FAILED" and "time limit" in node["error"], node["error"]
        assert node["end_time"] is not None, node
        assert (node["end_time"] - node["start_time"]).total_seconds() < 90, node  # never after the task's 300 s
