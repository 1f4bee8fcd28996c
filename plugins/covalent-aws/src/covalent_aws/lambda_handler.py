"""The AWS Lambda job side: ``covalent_aws.lambda_handler.handler(event, context)``.

The event (built by :class:`~covalent_aws.awslambda.AWSLambdaExecutor`)
names the S3 bucket and keys of one staged job.  The handler downloads the
payload and runs it with ``python -m covalent.runtime run`` (which calls
:func:`covalent.runtime.run_payload`) in a child process, so that it can
stop the task.  While the child runs, the handler checks every
``cancel_check_interval`` seconds:

* whether the cancel object exists in S3 (the executor's cancel request):
  it kills the child and records ``reason="cancelled"``;
* whether the job's ``time_limit`` has passed, or the Lambda's own timeout
  is about to expire (``context.get_remaining_time_in_millis()``): it kills
  the child and records ``reason="timeout"``.

On success it uploads the outcome; on any job-level failure it uploads an
error record (``error.json``).  The handler never raises for a job failure,
so Lambda's automatic retries of event invocations do not re-run a task; a
repeated invocation of a job that already has an outcome, error or cancel
object returns without running anything.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from typing import Any

__all__ = ["handler"]

#: Seconds kept in reserve before the Lambda timeout to stop the task and
#: upload the error record (at most; 10% of a short timeout).
TIMEOUT_MARGIN = 5.0
_LOG_TAIL = 20000


def _s3(region: str | None) -> Any:
    import boto3

    return boto3.client("s3", region_name=region or None)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    proc.wait()


def _tail(path: str) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - _LOG_TAIL))
            return f.read().decode(errors="replace")
    except OSError:
        return ""


def _child_environment() -> dict[str, str]:
    """This process's environment, with its import path (Lambda adds the task root to
    ``sys.path`` without putting it in ``PYTHONPATH``)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    return env


def _deadline(event: dict[str, Any], context: Any, started: float) -> tuple[float, str]:
    """When the task must stop, and the message to record if it does."""
    deadline, why = float("inf"), ""
    limit = event.get("time_limit")
    if limit:
        deadline, why = started + float(limit), f"time limit of {float(limit):g} s exceeded"
    remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
    if remaining_ms is not None:
        remaining = remaining_ms() / 1000.0
        margin = min(TIMEOUT_MARGIN, max(0.2, 0.1 * remaining))
        lambda_deadline = time.time() + remaining - margin
        if lambda_deadline < deadline:
            deadline = lambda_deadline
            why = (
                f"stopped after {lambda_deadline - started:.1f} s: the Lambda function's own "
                f"timeout was about to expire"
            )
    return deadline, why


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Run the staged job named by ``event``; returns ``{"status": ..., "message": ...}``."""
    from covalent_aws.staging import get_object, object_exists, put_object, write_error

    started = time.time()
    bucket = event["bucket"]
    keys = {k: event[f"{k}_key"] for k in ("payload", "outcome", "error", "cancel")}
    interval = max(0.1, float(event.get("cancel_check_interval") or 2.0))
    s3 = _s3(event.get("region"))

    def fail(reason: str, message: str, log: str = "") -> dict[str, Any]:
        print(f"covalent job failed ({reason}): {message}\n{log}", file=sys.stderr, flush=True)
        write_error(s3, bucket, keys["error"], reason, message, log)
        return {"status": "FAILED", "reason": reason, "message": message}

    if object_exists(s3, bucket, keys["cancel"]):
        if not object_exists(s3, bucket, keys["payload"]):  # the executor already cleaned up
            return {"status": "CANCELLED", "message": "cancelled before the task started"}
        return fail("cancelled", "cancelled before the task started")
    if object_exists(s3, bucket, keys["outcome"]) or object_exists(s3, bucket, keys["error"]):
        return {"status": "SKIPPED", "message": "this job already ran (repeated invocation)"}
    payload = get_object(s3, bucket, keys["payload"])
    if payload is None:
        return fail("missing-payload", f"no payload at s3://{bucket}/{keys['payload']}")
    deadline, why = _deadline(event, context, started)

    with tempfile.TemporaryDirectory(prefix="covalent-") as work:
        payload_path = os.path.join(work, "payload.pkl")
        outcome_path = os.path.join(work, "outcome.pkl")
        log_path = os.path.join(work, "runtime.log")
        with open(payload_path, "wb") as f:
            f.write(payload)
        del payload
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "covalent.runtime", "run", payload_path, outcome_path],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=_child_environment(),
            )
        try:
            while True:
                try:
                    proc.wait(timeout=max(0.0, min(interval, deadline - time.time())))
                    break
                except subprocess.TimeoutExpired:
                    pass
                if time.time() >= deadline:
                    _kill(proc)
                    return fail("timeout", why, _tail(log_path))
                if object_exists(s3, bucket, keys["cancel"]):
                    _kill(proc)
                    return fail("cancelled", "cancelled while running", _tail(log_path))
        except BaseException:
            _kill(proc)
            return fail("crashed", "the handler failed while the task ran", traceback.format_exc())
        if proc.returncode != 0 or not os.path.exists(outcome_path):
            return fail(
                "crashed",
                f"the covalent runtime exited with status {proc.returncode}",
                _tail(log_path),
            )
        with open(outcome_path, "rb") as outcome:
            put_object(s3, bucket, keys["outcome"], outcome.read())
    return {"status": "DONE", "message": f"ran in {time.time() - started:.1f} s"}
