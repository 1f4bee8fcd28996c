"""Registration, serialization and the cost of importing the plugin."""

from __future__ import annotations

import json
import subprocess
import sys

from covalent_aws import AWSBatchExecutor, AWSLambdaExecutor


def test_registers_both_executors():
    from covalent_aws import plugin

    registered = []
    plugin.register_executors(registered.append)
    assert registered == [AWSBatchExecutor, AWSLambdaExecutor]
    assert [c.short_name for c in registered] == ["awsbatch", "awslambda"]


def test_entry_point_is_declared():
    from importlib.metadata import entry_points

    names = {ep.value for ep in entry_points(group="covalent")}
    assert "covalent_aws.plugin" in names


def test_plugin_import_does_not_import_boto3():
    code = "import sys, covalent_aws.plugin; print(json.dumps(['boto3' in sys.modules, 'botocore' in sys.modules]))"
    out = subprocess.run(
        [sys.executable, "-c", "import json; " + code], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == [False, False]


def test_constructor_kwargs_round_trip():
    batch = AWSBatchExecutor(
        bucket="b",
        job_queue="q",
        image="img:1",
        vcpu=4,
        memory=8192,
        gpus=1,
        retries=3,
        time_limit=600,
        environment={"A": "1"},
    )
    data = json.loads(json.dumps(batch.to_dict()))
    assert data["name"] == "awsbatch"
    again = AWSBatchExecutor.from_dict(data)
    assert (again.vcpu, again.memory, again.gpus, again.retries, again.environment) == (4.0, 8192, 1, 3, {"A": "1"})
    lam = AWSLambdaExecutor(function_name="f", bucket="b", invocation_type="Event")
    assert AWSLambdaExecutor.from_dict(json.loads(json.dumps(lam.to_dict()))).invocation_type == ("Event")


def test_mode_choice():
    lam = AWSLambdaExecutor(function_name="f", bucket="b", sync_threshold=60)
    assert lam.choose_mode(30) == "RequestResponse"
    assert lam.choose_mode(60) == "RequestResponse"
    assert lam.choose_mode(61) == "Event"
    assert AWSLambdaExecutor(function_name="f", bucket="b", invocation_type="Event").choose_mode(1) == "Event"
