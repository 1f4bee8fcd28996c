"""``AWSBatchExecutor`` ("awsbatch"): one AWS Batch job per covalent job, staged through S3."""

from __future__ import annotations

import asyncio
import math
import re
import time
from typing import Any

from covalent.executor.jobs import Job, JobFailedError, JobOutcome, JobState
from covalent_aws.base import AWSExecutorBase
from covalent_aws.errors import AWSConfigurationError, AWSResourceNotFoundError
from covalent_aws.staging import StagedKeys, get_object, put_object, read_error

__all__ = ["AWSBatchExecutor"]

_WAITING = {"SUBMITTED", "PENDING", "RUNNABLE", "STARTING"}
#: AWS Batch rejects attempt durations under 60 seconds.
MIN_ATTEMPT_SECONDS = 60
_NAME = re.compile(r"[^A-Za-z0-9_-]+")


class AWSBatchExecutor(AWSExecutorBase):
    """Run each job as an AWS Batch job whose container runs ``covalent_aws.entrypoint``.

    The payload is staged in S3; the job definition for this image and
    resource shape is found (or registered once); the job is submitted with
    its vCPUs, memory, GPUs, timeout and retry strategy; ``describe_jobs`` is
    polled; the outcome comes back from S3.  See the package README for
    every option.
    """

    short_name = "awsbatch"
    #: attemptDurationSeconds and terminate_job enforce the limit from when the job runs.
    enforces_time_limit = True
    services = ("s3", "batch", "logs")

    def __init__(
        self,
        bucket: str = "",
        job_queue: str = "",
        image: str | None = None,
        job_definition: str | None = None,
        vcpu: float = 1.0,
        memory: int = 2048,
        gpus: int = 0,
        retries: int = 1,
        time_limit: float | None = None,
        job_role_arn: str | None = None,
        environment: dict[str, str] | None = None,
        python: str = "python",
        log_group: str = "/aws/batch/job",
        job_name_prefix: str = "covalent",
        prefix: str = "covalent",
        region: str | None = None,
        profile: str | None = None,
        endpoint_url: str | None = None,
        poll_interval: float = 5.0,
        cleanup: bool = True,
        max_parallel: int = 64,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            bucket=bucket,
            prefix=prefix,
            region=region,
            profile=profile,
            endpoint_url=endpoint_url,
            time_limit=time_limit,
            poll_interval=poll_interval,
            cleanup=cleanup,
            **kwargs,
        )
        self.job_queue = job_queue
        self.image = image
        self.job_definition = job_definition
        self.vcpu = float(vcpu)
        self.memory = int(memory)
        self.gpus = int(gpus)
        self.retries = max(1, min(10, int(retries)))
        self.job_role_arn = job_role_arn
        self.environment = dict(environment or {})
        self.python = python
        self.log_group = log_group
        self.job_name_prefix = job_name_prefix
        self.max_parallel = int(max_parallel)
        self._definition_arn: str | None = None
        self._definition_lock: asyncio.Lock | None = None
        self._failures: dict[str, str] = {}

    def parallelism(self) -> int:
        return self.max_parallel

    def describe(self) -> dict[str, Any]:
        info = super().describe()
        info.update(
            job_queue=self.job_queue,
            job_definition=self.job_definition or self._definition_arn,
            image=self.image,
            vcpu=self.vcpu,
            memory=self.memory,
            gpus=self.gpus,
        )
        return info

    # -- setup ------------------------------------------------------------------
    async def setup(self) -> None:
        """Check credentials, bucket, job queue and job definition (or image); raise naming the missing one."""
        if not self.job_queue:
            raise AWSConfigurationError("AWSBatchExecutor needs job_queue=... (a Batch job queue)")
        if not self.job_definition and not self.image:
            raise AWSConfigurationError(
                "AWSBatchExecutor needs image=... (a container image with bondflow-aws "
                "installed) or job_definition=... (an existing job definition)"
            )
        await self.check_common()
        batch = self.client("batch")
        queues = await self.call(batch.describe_job_queues, jobQueues=[self.job_queue])
        queue = next(iter(queues.get("jobQueues") or []), None)
        if queue is None:
            raise AWSResourceNotFoundError("AWS Batch job queue", self.job_queue)
        if queue.get("state", "ENABLED") != "ENABLED":
            raise AWSResourceNotFoundError("AWS Batch job queue", self.job_queue, f"it is {queue.get('state')}")
        if self.job_definition:
            found = await self.call(batch.describe_job_definitions, jobDefinitions=[self.job_definition])
            active = [d for d in found.get("jobDefinitions") or [] if d.get("status") == "ACTIVE"]
            if not active:
                raise AWSResourceNotFoundError("AWS Batch job definition", self.job_definition)

    async def _definition(self) -> str:
        """The job definition every job of this executor uses (found or registered once)."""
        if self.job_definition:
            return self.job_definition
        if self._definition_lock is None:
            self._definition_lock = asyncio.Lock()
        async with self._definition_lock:
            if self._definition_arn is None:
                from covalent_aws.batch_jobdef import (
                    container_properties,
                    definition_name,
                    find_or_register,
                )

                assert self.image
                props = container_properties(
                    self.image,
                    self.vcpu,
                    self.memory,
                    self.gpus,
                    self.job_role_arn,
                    self.log_group,
                )
                name = definition_name(self.job_name_prefix, props)
                self._definition_arn = await self.call(
                    find_or_register,
                    self.client("batch"),
                    name,
                    props,
                    {"created-by": "covalent-aws"},
                )
            return self._definition_arn

    # -- submit / poll / fetch ----------------------------------------------------
    def _command(self, keys: StagedKeys, region: str) -> list[str]:
        return [
            self.python,
            "-m",
            "covalent_aws.entrypoint",
            "--bucket",
            keys.bucket,
            "--payload-key",
            keys.payload,
            "--outcome-key",
            keys.outcome,
            "--error-key",
            keys.error,
            "--region",
            region,
        ]

    async def submit(self, job: Job) -> dict[str, Any]:
        """Stage the payload and submit the Batch job; the handle is JSON-safe."""
        keys = self.keys(job)
        s3 = self.client("s3")
        await self.call(put_object, s3, keys.bucket, keys.payload, job.payload)
        definition = await self._definition()
        limit = self.job_time_limit(job)
        name = _NAME.sub("-", f"{self.job_name_prefix}-{job.job_id}")[:128]
        overrides: dict[str, Any] = {"command": self._command(keys, self._connection().region)}
        if self.environment:
            overrides["environment"] = [{"name": k, "value": str(v)} for k, v in self.environment.items()]
        request: dict[str, Any] = {
            "jobName": name,
            "jobQueue": self.job_queue,
            "jobDefinition": definition,
            "containerOverrides": overrides,
            "retryStrategy": {"attempts": self.retries},
            "tags": {"covalent-dispatch": job.dispatch_id[:256]},
        }
        if limit:
            request["timeout"] = {"attemptDurationSeconds": max(MIN_ATTEMPT_SECONDS, math.ceil(limit))}
        response = await self.call(self.client("batch").submit_job, **request)
        return {
            "batch_job_id": response["jobId"],
            "job_name": name,
            "job_definition": definition,
            "time_limit": limit,
            "keys": keys.to_dict(),
        }

    async def _describe(self, handle: dict[str, Any]) -> dict[str, Any] | None:
        batch = self.client("batch")
        response = await self.call(batch.describe_jobs, jobs=[handle["batch_job_id"]])
        return next(iter(response.get("jobs") or []), None)

    async def poll(self, job: Job, handle: dict[str, Any]) -> JobState:
        """Map the Batch status to a job state; enforce the exact time limit."""
        if job.job_id in self._failures:
            return JobState.FAILED
        description = await self._describe(handle)
        if description is None:
            return JobState.LOST
        status = description.get("status")
        if status in _WAITING:
            return JobState.PENDING
        if status == "SUCCEEDED":
            return JobState.DONE
        if status == "FAILED":
            return JobState.FAILED
        limit = handle.get("time_limit")
        started = description.get("startedAt")
        if limit and started and time.time() - started / 1000.0 > float(limit):
            message = f"time limit of {float(limit):g} s exceeded"
            await self.call(
                self.client("batch").terminate_job,
                jobId=handle["batch_job_id"],
                reason=f"covalent: {message}",
            )
            self._failures[job.job_id] = f"AWS Batch job {handle['batch_job_id']} ({job.job_id}) {message}; terminated"
            return JobState.FAILED
        return JobState.RUNNING

    async def fetch_result(self, job: Job, handle: dict[str, Any]) -> JobOutcome:
        """Download the outcome the entrypoint uploaded."""
        keys = StagedKeys.from_dict(handle["keys"])
        data = await self.call(get_object, self.client("s3"), keys.bucket, keys.outcome)
        if data is None:
            raise JobFailedError(
                f"AWS Batch job {handle['batch_job_id']} succeeded but left no outcome at "
                f"s3://{keys.bucket}/{keys.outcome}",
                log=await self.get_log(job, handle),
            )
        return JobOutcome.from_bytes(data)

    async def failure_message(self, job: Job, handle: dict[str, Any]) -> str:
        own = self._failures.pop(job.job_id, None)
        if own:
            return own
        description = await self._describe(handle) or {}
        reason = description.get("statusReason") or "no reason given"
        return f"AWS Batch job {handle['batch_job_id']} ({job.job_id}) failed: {reason}"

    async def get_log(self, job: Job, handle: dict[str, Any]) -> str:
        """Batch's status reason and exit code, the job's error record and its CloudWatch log."""
        parts: list[str] = []
        description = await self._describe(handle)
        if description is not None:
            container = description.get("container") or {}
            line = f"AWS Batch status {description.get('status')}"
            if description.get("statusReason"):
                line += f": {description['statusReason']}"
            if container.get("exitCode") is not None:
                line += f"; exit code {container['exitCode']}"
            if container.get("reason"):
                line += f"; {container['reason']}"
            parts.append(line)
            stream = container.get("logStreamName")
            if stream:
                parts.append(await self._log_events(stream))
        keys = StagedKeys.from_dict(handle["keys"])
        error = await self.call(read_error, self.client("s3"), keys.bucket, keys.error)
        if error:
            parts.append(f"job error ({error['reason']}): {error['message']}\n{error['log']}")
        return "\n".join(p for p in parts if p)

    async def _log_events(self, stream: str) -> str:
        from botocore.exceptions import ClientError

        try:
            response = await self.call(
                self.client("logs").get_log_events,
                logGroupName=self.log_group,
                logStreamName=stream,
                startFromHead=False,
                limit=1000,
            )
        except ClientError:
            return ""
        lines = [event.get("message", "") for event in response.get("events", [])]
        return f"CloudWatch {self.log_group}/{stream}:\n" + "\n".join(lines) if lines else ""

    async def cancel(self, job: Job, handle: Any) -> bool:
        """``terminate_job``; True if the job had not finished (Batch stops its container)."""
        if not isinstance(handle, dict):
            return False
        description = await self._describe(handle)
        if description is None or description.get("status") in {"SUCCEEDED", "FAILED"}:
            return False
        await self.call(
            self.client("batch").terminate_job,
            jobId=handle["batch_job_id"],
            reason="Cancelled by covalent",
        )
        return True
