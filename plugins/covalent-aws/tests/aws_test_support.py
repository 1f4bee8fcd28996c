"""Executor constructors and small task functions shared by the tests."""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from covalent.testing import wait_until
from covalent_aws import AWSBatchExecutor, AWSLambdaExecutor
from covalent_aws.testing import AWSResources, MotoAWS

IMAGE = "covalent-aws-test:latest"


def batch_executor(moto: MotoAWS, res: AWSResources, **options: Any) -> AWSBatchExecutor:
    settings: dict[str, Any] = {
        "bucket": res.bucket,
        "job_queue": res.job_queue,
        "image": IMAGE,
        "endpoint_url": moto.endpoint_url,
        "region": res.region,
        "poll_interval": 0.2,
    }
    settings.update(options)
    return AWSBatchExecutor(**settings)


def lambda_executor(moto: MotoAWS, res: AWSResources, **options: Any) -> AWSLambdaExecutor:
    settings: dict[str, Any] = {
        "bucket": res.bucket,
        "function_name": res.function_name,
        "endpoint_url": moto.endpoint_url,
        "region": res.region,
        "poll_interval": 0.2,
        "cancel_check_interval": 0.3,
    }
    settings.update(options)
    return AWSLambdaExecutor(**settings)


def add(x: int, y: int) -> int:
    return x + y


def explode(message: str) -> None:
    raise RuntimeError(message)


def chatty(text: str) -> str:
    print(f"stdout says {text}")
    print(f"stderr says {text}", file=sys.stderr)
    return text.upper()


def sleep_then(seconds: float, marker: str) -> str:
    """Touch ``marker``, then sleep (a long task for cancel and timeout tests)."""
    with open(marker, "w") as f:
        f.write(str(os.getpid()))
    time.sleep(seconds)
    return "woke up"


def wait_for(path: str, timeout: float = 60.0) -> None:
    wait_until(lambda: os.path.exists(path), timeout, interval=0.1, what=f"{path} to appear")


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except OSError:
        return False


def read_pid(path: str) -> int:
    with open(path) as f:
        return int(f.read())
