"""Errors raised by the AWS executors, each naming what is wrong and where."""

from __future__ import annotations

__all__ = ["AWSConfigurationError", "AWSCredentialsError", "AWSResourceNotFoundError"]


class AWSConfigurationError(RuntimeError):
    """The executor cannot use AWS as configured (region, endpoint, options)."""


class AWSCredentialsError(AWSConfigurationError):
    """No usable AWS credentials were found through the boto3 chain."""


class AWSResourceNotFoundError(AWSConfigurationError):
    """A resource the executor needs (bucket, queue, job definition, function) is missing.

    ``kind`` is a human name of the resource type ("S3 bucket"), ``name`` its
    name or ARN.
    """

    def __init__(self, kind: str, name: str, detail: str = "") -> None:
        self.kind = kind
        self.name = name
        message = f"{kind} {name!r} does not exist or is not accessible"
        if detail:
            message += f": {detail}"
        super().__init__(message)
