"""The AWS Batch job side: ``python -m covalent_aws.entrypoint --bucket B --payload-key K ...``.

The Batch container runs this command (the executor puts it in the job's
container overrides).  It downloads the payload from S3, runs it with
:func:`covalent.runtime.run_payload` (each task's stdout, stderr and
traceback are captured into the outcome) and uploads the outcome.

Exit status 0 means the outcome was uploaded (task failures are inside
it).  Anything else means the job itself failed; the reason and traceback
are uploaded to ``--error-key`` when given, and printed to stderr, which
Batch sends to the job's CloudWatch log stream.

Credentials and region come from the standard boto3 chain (the job role in
Batch); ``--region`` overrides the region.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from typing import Any

__all__ = ["main", "run_staged_job"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m covalent_aws.entrypoint",
        description="Run one staged covalent job: S3 payload in, S3 outcome out.",
    )
    parser.add_argument("--bucket", required=True, help="S3 bucket holding the job's objects")
    parser.add_argument("--payload-key", required=True, help="key of the job payload")
    parser.add_argument("--outcome-key", required=True, help="key to upload the outcome to")
    parser.add_argument("--error-key", default=None, help="key to upload a job failure to")
    parser.add_argument("--region", default=None, help="AWS region (default: boto3 chain)")
    return parser


def _s3(region: str | None) -> Any:
    import boto3

    return boto3.client("s3", region_name=region or None)


def _log(message: str) -> None:
    print(f"[covalent-aws {time.strftime('%H:%M:%S')}] {message}", flush=True)


def run_staged_job(s3: Any, bucket: str, payload_key: str, outcome_key: str, error_key: str | None) -> int:
    """Download, run and upload one job; return the process exit status."""
    from covalent.runtime import run_payload
    from covalent_aws.staging import get_object, put_object, write_error

    def fail(reason: str, message: str, log: str = "") -> int:
        print(f"{message}\n{log}", file=sys.stderr, flush=True)
        if error_key:
            try:
                write_error(s3, bucket, error_key, reason, message, log)
            except Exception:
                traceback.print_exc()
        return 1

    try:
        payload = get_object(s3, bucket, payload_key)
    except Exception:
        return fail("crashed", f"could not download s3://{bucket}/{payload_key}", traceback.format_exc())
    if payload is None:
        return fail("missing-payload", f"no payload at s3://{bucket}/{payload_key}")
    _log(f"running payload s3://{bucket}/{payload_key} ({len(payload)} bytes)")
    try:
        outcome = run_payload(payload)
    except BaseException:
        return fail("crashed", "the covalent runtime could not run the job", traceback.format_exc())
    try:
        put_object(s3, bucket, outcome_key, outcome)
    except Exception:
        return fail("crashed", f"could not upload the outcome to s3://{bucket}/{outcome_key}", traceback.format_exc())
    _log(f"outcome uploaded to s3://{bucket}/{outcome_key} ({len(outcome)} bytes)")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point (what the Batch container runs)."""
    args = _parser().parse_args(argv)
    return run_staged_job(_s3(args.region), args.bucket, args.payload_key, args.outcome_key, args.error_key)


if __name__ == "__main__":
    sys.exit(main())
