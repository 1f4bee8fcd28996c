"""AWS executors for covalent: ``AWSBatchExecutor`` ("awsbatch") and ``AWSLambdaExecutor``
("awslambda"), on boto3, with the job side (``covalent_aws.entrypoint`` for Batch
containers, ``covalent_aws.lambda_handler.handler`` for Lambda) in the same package."""

from covalent_aws.awslambda import AWSLambdaExecutor
from covalent_aws.batch import AWSBatchExecutor
from covalent_aws.errors import (
    AWSConfigurationError,
    AWSCredentialsError,
    AWSResourceNotFoundError,
)

__all__ = [
    "AWSBatchExecutor",
    "AWSConfigurationError",
    "AWSCredentialsError",
    "AWSLambdaExecutor",
    "AWSResourceNotFoundError",
]
