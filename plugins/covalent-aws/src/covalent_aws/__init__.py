"""AWS executors for covalent: ``AWSBatchExecutor`` ("awsbatch") and ``AWSLambdaExecutor``
("awslambda"), on boto3, with the job side (``covalent_aws.entrypoint`` for Batch
containers, ``covalent_aws.lambda_handler.handler`` for Lambda) in the same package.

Names are loaded on first use, so the job side (handler, entrypoint) does not pay for
importing the executor classes.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "AWSBatchExecutor",
    "AWSConfigurationError",
    "AWSCredentialsError",
    "AWSLambdaExecutor",
    "AWSResourceNotFoundError",
]

_WHERE = {
    "AWSBatchExecutor": "covalent_aws.batch",
    "AWSLambdaExecutor": "covalent_aws.awslambda",
    "AWSConfigurationError": "covalent_aws.errors",
    "AWSCredentialsError": "covalent_aws.errors",
    "AWSResourceNotFoundError": "covalent_aws.errors",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'covalent_aws' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(__all__)
