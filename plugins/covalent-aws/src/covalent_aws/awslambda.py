"""``AWSLambdaExecutor`` ("awslambda"): one Lambda invocation per covalent job, staged through S3.

Invocation mode (option ``invocation_type``):

``"auto"`` (default)
    ``RequestResponse`` when the job is known to end within
    ``sync_threshold`` seconds (its time limit, or the function's own
    timeout, is at most that), else ``Event``.
``"RequestResponse"``
    A synchronous invoke, run in a worker thread; the handler's answer
    arrives with the response.
``"Event"``
    An asynchronous invoke; the executor polls S3 for the outcome or error
    object the handler writes.

Cancel writes a cancel object to S3 and stops waiting.  The handler checks
for it before it starts the task and every ``cancel_check_interval``
seconds while it runs, and then kills the task; ``cancel`` returns True
once the handler has confirmed that (within ``cancel_confirm_timeout``).
It cannot stop an invocation whose handler is not ours, nor reclaim the
time a queued event invocation waits before it starts (it then exits at
once); see the README.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from covalent.executor.jobs import Job, JobFailedError, JobOutcome, JobState
from covalent_aws.base import AWSExecutorBase
from covalent_aws.errors import AWSConfigurationError, AWSResourceNotFoundError
from covalent_aws.staging import StagedKeys, get_object, object_exists, put_object, read_error

__all__ = ["AWSLambdaExecutor"]

_MODES = {"auto", "RequestResponse", "Event"}


class AWSLambdaExecutor(AWSExecutorBase):
    """Run each job in an invocation of a Lambda function whose handler is
    ``covalent_aws.lambda_handler.handler``.  See the package README for every option."""

    short_name = "awslambda"
    #: The handler enforces the limit from when it starts (queued invocations do not count).
    enforces_time_limit = True
    services = ("s3", "lambda")

    def __init__(
        self,
        function_name: str = "",
        bucket: str = "",
        invocation_type: str = "auto",
        sync_threshold: float = 60.0,
        time_limit: float | None = None,
        cancel_check_interval: float = 2.0,
        cancel_confirm_timeout: float = 30.0,
        start_grace: float = 60.0,
        qualifier: str | None = None,
        prefix: str = "covalent",
        region: str | None = None,
        profile: str | None = None,
        endpoint_url: str | None = None,
        poll_interval: float = 2.0,
        cleanup: bool = True,
        max_parallel: int = 100,
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
        if invocation_type not in _MODES:
            raise AWSConfigurationError(f"invocation_type must be one of {sorted(_MODES)}, not {invocation_type!r}")
        self.function_name = function_name
        self.invocation_type = invocation_type
        self.sync_threshold = float(sync_threshold)
        self.cancel_check_interval = float(cancel_check_interval)
        self.cancel_confirm_timeout = float(cancel_confirm_timeout)
        self.start_grace = float(start_grace)
        self.qualifier = qualifier
        self.max_parallel = int(max_parallel)
        self._function_timeout: float | None = None
        self._inflight: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._failures: dict[str, tuple[str, str]] = {}
        self._keep_cancel: set[str] = set()
        self._errors: dict[str, dict[str, str]] = {}
        self._cancelling: set[str] = set()
        self._background: set[asyncio.Future[dict[str, Any]]] = set()

    def parallelism(self) -> int:
        return self.max_parallel

    def describe(self) -> dict[str, Any]:
        info = super().describe()
        info.update(
            function_name=self.function_name,
            function_timeout=self._function_timeout,
            invocation_type=self.invocation_type,
        )
        return info

    # -- setup ------------------------------------------------------------------
    async def setup(self) -> None:
        """Check credentials, bucket and function; read the function's own timeout."""
        if not self.function_name:
            raise AWSConfigurationError("AWSLambdaExecutor needs function_name=...")
        await self.check_common()
        await self._read_function()

    async def _read_function(self) -> float:
        from botocore.exceptions import ClientError

        from covalent_aws.connection import error_code

        request: dict[str, Any] = {"FunctionName": self.function_name}
        if self.qualifier:
            request["Qualifier"] = self.qualifier
        try:
            config = await self.call(self.client("lambda").get_function_configuration, **request)
        except ClientError as exc:
            if error_code(exc) in {"ResourceNotFoundException", "404"}:
                raise AWSResourceNotFoundError("Lambda function", self.function_name) from exc
            raise AWSResourceNotFoundError("Lambda function", self.function_name, f"{error_code(exc)}: {exc}") from exc
        state = config.get("State", "Active")
        if state in {"Failed", "Inactive"}:
            raise AWSResourceNotFoundError("Lambda function", self.function_name, f"it is {state}")
        self._function_timeout = float(config.get("Timeout") or 3)
        return self._function_timeout

    async def teardown(self) -> None:
        """Stop waiting for synchronous invocations still in flight."""
        for task in list(self._background):
            task.cancel()
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
        self._background.clear()

    def choose_mode(self, bound: float) -> str:
        """The invocation type for a job that ends within ``bound`` seconds."""
        if self.invocation_type != "auto":
            return self.invocation_type
        return "RequestResponse" if bound <= self.sync_threshold else "Event"

    # -- submit / poll / fetch ----------------------------------------------------
    async def submit(self, job: Job) -> dict[str, Any]:
        """Stage the payload and invoke the function; the handle is JSON-safe."""
        keys = self.keys(job)
        await self.call(put_object, self.client("s3"), keys.bucket, keys.payload, job.payload)
        function_timeout = self._function_timeout or await self._read_function()
        limit = self.job_time_limit(job)
        bound = min(limit or function_timeout, function_timeout)
        mode = self.choose_mode(bound)
        event = {
            "bucket": keys.bucket,
            "payload_key": keys.payload,
            "outcome_key": keys.outcome,
            "error_key": keys.error,
            "cancel_key": keys.cancel,
            "time_limit": limit,
            "cancel_check_interval": self.cancel_check_interval,
            "region": self._connection().region,
            "job_id": job.job_id,
        }
        request: dict[str, Any] = {
            "FunctionName": self.function_name,
            "InvocationType": mode,
            "Payload": json.dumps(event).encode(),
        }
        if self.qualifier:
            request["Qualifier"] = self.qualifier
        if mode == "Event":
            await self.call(self.client("lambda").invoke, **request)
        else:
            request["LogType"] = "Tail"
            task = asyncio.ensure_future(self.call(_invoke, self.client("lambda"), request))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
            self._inflight[job.job_id] = task
        return {
            "mode": mode,
            "function_name": self.function_name,
            "submitted_at": time.time(),
            "bound": bound,
            "time_limit": limit,
            "keys": keys.to_dict(),
        }

    async def poll(self, job: Job, handle: dict[str, Any]) -> JobState:
        """Done when the outcome object exists; failed on an error object, a function error,
        a cancel, or when the function's deadline (plus ``start_grace``) has passed."""
        if job.job_id in self._failures:
            return JobState.FAILED
        keys = StagedKeys.from_dict(handle["keys"])
        s3 = self.client("s3")
        inflight = self._inflight.get(job.job_id)
        response: dict[str, Any] | None = None
        if inflight is not None and inflight.done():
            self._inflight.pop(job.job_id, None)
            try:
                response = inflight.result()
            except Exception as exc:
                self._failures[job.job_id] = (f"invoking Lambda function failed: {exc!r}", "")
                return JobState.FAILED
            if response.get("function_error"):
                self._failures[job.job_id] = (
                    f"Lambda function {handle['function_name']} failed "
                    f"({response['function_error']}): {_error_summary(response['payload'])}",
                    response.get("payload", "") + "\n" + response.get("log", ""),
                )
                return JobState.FAILED
        if await self.call(object_exists, s3, keys.bucket, keys.outcome):
            return JobState.DONE
        error = await self.call(read_error, s3, keys.bucket, keys.error)
        if error is not None:
            self._errors[job.job_id] = error
            return JobState.FAILED
        if response is not None:
            self._failures[job.job_id] = (
                f"Lambda function {handle['function_name']} returned without an outcome",
                response.get("payload", "") + "\n" + response.get("log", ""),
            )
            return JobState.FAILED
        deadline = float(handle["submitted_at"]) + float(handle["bound"]) + self.start_grace
        if time.time() > deadline:
            await self.call(put_object, s3, keys.bucket, keys.cancel, b"timeout")
            self._keep_cancel.add(job.job_id)
            self._failures[job.job_id] = (
                f"no outcome from Lambda function {handle['function_name']} within "
                f"{handle['bound']:g} s (+{self.start_grace:g} s grace); the invocation was "
                "asked to stop",
                "",
            )
            return JobState.FAILED
        return JobState.RUNNING

    async def fetch_result(self, job: Job, handle: dict[str, Any]) -> JobOutcome:
        keys = StagedKeys.from_dict(handle["keys"])
        data = await self.call(get_object, self.client("s3"), keys.bucket, keys.outcome)
        if data is None:
            raise JobFailedError(f"no outcome at s3://{keys.bucket}/{keys.outcome}")
        return JobOutcome.from_bytes(data)

    async def failure_message(self, job: Job, handle: dict[str, Any]) -> str:
        if job.job_id in self._failures:
            return self._failures[job.job_id][0]
        error = await self._error(job, handle)
        if error:
            return f"Lambda job {job.job_id} failed ({error['reason']}): {error['message']}"
        return f"Lambda job {job.job_id} failed"

    async def get_log(self, job: Job, handle: dict[str, Any]) -> str:
        """The handler's error record (with the runtime's output), or the function error."""
        parts = []
        own = self._failures.get(job.job_id)
        if own and own[1].strip():
            parts.append(own[1].strip())
        error = await self._error(job, handle)
        if error:
            parts.append(f"job error ({error['reason']}): {error['message']}\n{error['log']}")
        return "\n".join(parts)

    async def _error(self, job: Job, handle: dict[str, Any]) -> dict[str, str] | None:
        if job.job_id in self._errors:
            return self._errors[job.job_id]
        keys = StagedKeys.from_dict(handle["keys"])
        return await self.call(read_error, self.client("s3"), keys.bucket, keys.error)

    async def cancel(self, job: Job, handle: Any) -> bool:
        """Write the cancel object and stop waiting; True once the handler confirms it
        stopped the task (False if the job had ended, or no confirmation came in time)."""
        if not isinstance(handle, dict):
            return False
        keys = StagedKeys.from_dict(handle["keys"])
        s3 = self.client("s3")
        for key, present in ((keys.payload, False), (keys.outcome, True), (keys.error, True)):
            # Cleaned up already, or ended: nothing to cancel.
            if await self.call(object_exists, s3, keys.bucket, key) is present:
                return False
        await self.call(put_object, s3, keys.bucket, keys.cancel, b"cancel")
        self._cancelling.add(job.job_id)
        try:
            deadline = time.monotonic() + self.cancel_confirm_timeout
            while time.monotonic() < deadline:
                # wait() may see the handler's answer (and clean up) first.
                error = self._errors.get(job.job_id) or await self.call(read_error, s3, keys.bucket, keys.error)
                if error is not None:
                    return error["reason"] == "cancelled"
                if await self.call(object_exists, s3, keys.bucket, keys.outcome):
                    return False
                await asyncio.sleep(min(1.0, self.cancel_check_interval / 2))
        finally:
            self._cancelling.discard(job.job_id)
            self._errors.pop(job.job_id, None)
        # Not confirmed (e.g. a queued event invocation): stop waiting, and keep
        # the cancel object through cleanup so the handler exits when it starts.
        self._keep_cancel.add(job.job_id)
        self._failures.setdefault(
            job.job_id,
            (
                f"Lambda job {job.job_id} was cancelled (the handler did not confirm it in "
                f"{self.cancel_confirm_timeout:g} s)",
                "",
            ),
        )
        return False

    async def cleanup(self, job: Job, handle: Any) -> None:
        """Delete the job's staged objects; an unconfirmed cancel object stays."""
        if not self.cleanup_objects or not isinstance(handle, dict) or "keys" not in handle:
            return
        from covalent_aws.staging import delete_prefix

        keys = StagedKeys.from_dict(handle["keys"])
        keep = (keys.cancel,) if job.job_id in self._keep_cancel else ()
        self._keep_cancel.discard(job.job_id)
        self._inflight.pop(job.job_id, None)
        self._failures.pop(job.job_id, None)
        if job.job_id not in self._cancelling:
            self._errors.pop(job.job_id, None)
        await self.call(delete_prefix, self.client("s3"), keys.bucket, keys.prefix, keep)


def _invoke(client: Any, request: dict[str, Any]) -> dict[str, Any]:
    """A synchronous invoke; returns the function error, payload text and log tail."""
    import base64

    response = client.invoke(**request)
    payload = response["Payload"].read().decode(errors="replace")
    log = response.get("LogResult")
    return {
        "status_code": response.get("StatusCode"),
        "function_error": response.get("FunctionError", ""),
        "payload": payload,
        "log": base64.b64decode(log).decode(errors="replace") if log else "",
    }


def _error_summary(payload: str) -> str:
    """``errorType: errorMessage`` from Lambda's error document (or the raw text)."""
    try:
        document = json.loads(payload)
    except ValueError:
        return payload[:500]
    if not isinstance(document, dict):
        return payload[:500]
    return f"{document.get('errorType', 'Error')}: {document.get('errorMessage', '')}"
