"""Registers the AWS executors with covalent (entry point group ``covalent``).

Importing this module is cheap: boto3 is imported only when an executor
first talks to AWS.
"""

from __future__ import annotations

from typing import Any

from covalent.plugins import hookimpl

__all__ = ["register_executors"]


@hookimpl
def register_executors(register: Any) -> None:
    """Register ``AWSBatchExecutor`` ("awsbatch") and ``AWSLambdaExecutor`` ("awslambda")."""
    # Here, not at the top: the class loads when executors are first needed.
    from covalent_aws.awslambda import AWSLambdaExecutor
    from covalent_aws.batch import AWSBatchExecutor

    register(AWSBatchExecutor)
    register(AWSLambdaExecutor)
