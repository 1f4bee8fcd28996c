"""AWS executors for covalent: ``AWSBatchExecutor`` ("awsbatch") and ``AWSLambdaExecutor``
("awslambda"), on boto3, with the job side (``covalent_aws.entrypoint`` for Batch
containers, ``covalent_aws.lambda_handler.handler`` for Lambda) in the same package.

Names are loaded on first use, so the job side (handler, entrypoint) does not pay for
importing the executor classes.
"""

from __future__ import annotations

from covalent.lazy import lazy_names

__all__ = [
    "AWSBatchExecutor",
    "AWSConfigurationError",
    "AWSCredentialsError",
    "AWSLambdaExecutor",
    "AWSResourceNotFoundError",
]

__getattr__, __dir__ = lazy_names(
    __name__,
    {
        "AWSBatchExecutor": "covalent_aws.batch",
        "AWSLambdaExecutor": "covalent_aws.awslambda",
        "AWSConfigurationError": "covalent_aws.errors",
        "AWSCredentialsError": "covalent_aws.errors",
        "AWSResourceNotFoundError": "covalent_aws.errors",
    },
)
