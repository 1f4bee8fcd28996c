"""What the Batch and Lambda executors share: connection, S3 staging, waiting, cleanup."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import Any, TypeVar

from covalent.executor.jobs import Job, JobExecutor
from covalent_aws.errors import (
    AWSConfigurationError,
    AWSCredentialsError,
    AWSResourceNotFoundError,
)
from covalent_aws.staging import StagedKeys

__all__ = ["AWSExecutorBase"]

T = TypeVar("T")


class AWSExecutorBase(JobExecutor):
    """Common options and plumbing of the AWS executors (not registered itself).

    boto3 is synchronous: every call goes through :func:`asyncio.to_thread`,
    so the executors never block the event loop of the server that drives them.
    """

    def __init__(
        self,
        bucket: str = "",
        prefix: str = "covalent",
        region: str | None = None,
        profile: str | None = None,
        endpoint_url: str | None = None,
        time_limit: float | None = None,
        poll_interval: float = 5.0,
        cleanup: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.bucket = bucket
        self.prefix = prefix
        self.region = region
        self.profile = profile
        self.endpoint_url = endpoint_url
        self.time_limit = float(time_limit) if time_limit else None
        self.poll_interval = float(poll_interval)
        self.cleanup_objects = bool(cleanup)
        self._conn: Any = None

    # -- plumbing -----------------------------------------------------------
    def _connection(self) -> Any:
        if self._conn is None:
            from covalent_aws.connection import AWSConnection

            self._conn = AWSConnection(self.profile, self.region, self.endpoint_url)
        return self._conn

    def client(self, service: str) -> Any:
        """The boto3 client this executor uses for ``service``."""
        return self._connection().client(service)

    async def call(self, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a blocking boto3 call in a worker thread, translating credential errors."""
        return await asyncio.to_thread(functools.partial(_translated, func, *args, **kwargs))

    def keys(self, job: Job) -> StagedKeys:
        """Where ``job``'s objects go in S3."""
        return StagedKeys.for_job(self.bucket, self.prefix, job.dispatch_id, job.job_id)

    def job_time_limit(self, job: Job) -> float | None:
        """The job's own time limit, else the executor's."""
        return float(job.time_limit) if job.time_limit else self.time_limit

    #: The AWS services an executor talks to (clients are made in setup, off the loop).
    services: tuple[str, ...] = ("s3",)

    async def check_common(self) -> None:
        """Check the credentials, region and bucket; raise a clear error naming what is wrong."""
        if not self.bucket:
            raise AWSConfigurationError(f"{type(self).__name__} needs bucket=... (an S3 bucket)")
        conn = await asyncio.to_thread(self._connection)
        await asyncio.to_thread(conn.check_credentials)
        for service in self.services:  # creating a client takes a while: not on the loop
            await asyncio.to_thread(conn.client, service)
        await self.call(_check_bucket, self.client("s3"), self.bucket)

    # -- lifecycle ------------------------------------------------------------
    # The base class's wait() polls; these say what a lost or failed job was.
    def lost_message(self, job: Job, handle: Any) -> str:
        return f"{self.short_name} no longer knows job {job.job_id} ({handle!r})"

    async def cleanup(self, job: Job, handle: Any) -> None:
        """Delete the job's staged objects (payload, outcome, error, cancel) from S3."""
        if not self.cleanup_objects or not isinstance(handle, dict) or "keys" not in handle:
            return
        from covalent_aws.staging import delete_prefix

        keys = StagedKeys.from_dict(handle["keys"])
        await self.call(delete_prefix, self.client("s3"), keys.bucket, keys.prefix)

    def describe(self) -> dict[str, Any]:
        info: dict[str, Any] = {"bucket": self.bucket, "prefix": self.prefix}
        if self._conn is not None:
            info.update(self._conn.describe())
        else:
            info.update(region=self.region, profile=self.profile, endpoint_url=self.endpoint_url)
        return info


def _translated(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    from botocore.exceptions import (
        EndpointConnectionError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
    )

    try:
        return func(*args, **kwargs)
    except (NoCredentialsError, PartialCredentialsError) as exc:
        raise AWSCredentialsError(f"AWS credentials are missing or incomplete: {exc}") from exc
    except NoRegionError as exc:
        raise AWSConfigurationError(f"no AWS region configured: {exc}") from exc
    except EndpointConnectionError as exc:
        raise AWSConfigurationError(f"cannot reach the AWS endpoint: {exc}") from exc


def _check_bucket(s3: Any, bucket: str) -> None:
    from botocore.exceptions import ClientError

    from covalent_aws.connection import error_code

    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as exc:
        code = error_code(exc)
        if code in {"404", "NoSuchBucket", "NotFound"}:
            raise AWSResourceNotFoundError("S3 bucket", bucket) from exc
        if code in {"403", "AccessDenied", "Forbidden"}:
            raise AWSResourceNotFoundError(
                "S3 bucket", bucket, "access denied: check the credentials' permissions"
            ) from exc
        raise AWSResourceNotFoundError("S3 bucket", bucket, f"{code}: {exc}") from exc
