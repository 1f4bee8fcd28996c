"""Where a job's objects live in S3, and the small synchronous S3 helpers both sides use.

One prefix per job, ``<prefix>/<dispatch id>/<job id>/``, holds:

``payload.pkl``  the job payload (written by the executor)
``outcome.pkl``  the :class:`~covalent.runtime.outcome.JobOutcome` bytes (written by the job)
``error.json``   why the job itself failed, when it did (written by the job)
``cancel``       a cancel request (written by the Lambda executor, read by the handler)
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from typing import Any

__all__ = [
    "StagedKeys",
    "delete_prefix",
    "get_object",
    "object_exists",
    "put_object",
    "read_error",
    "write_error",
]

_UNSAFE = re.compile(r"[^A-Za-z0-9._=-]+")


def _safe(part: str) -> str:
    return _UNSAFE.sub("_", part) or "_"


@dataclass(frozen=True)
class StagedKeys:
    """The S3 bucket and keys of one job (JSON-safe through :meth:`to_dict`)."""

    bucket: str
    prefix: str
    payload: str
    outcome: str
    error: str
    cancel: str

    @classmethod
    def for_job(cls, bucket: str, prefix: str, dispatch_id: str, job_id: str) -> StagedKeys:
        base = "/".join(p for p in (prefix.strip("/"), _safe(dispatch_id), _safe(job_id)) if p)
        base += "/"
        return cls(
            bucket=bucket,
            prefix=base,
            payload=base + "payload.pkl",
            outcome=base + "outcome.pkl",
            error=base + "error.json",
            cancel=base + "cancel",
        )

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StagedKeys:
        return cls(**{k: str(data[k]) for k in cls.__dataclass_fields__})


def _missing(exc: BaseException) -> bool:
    from covalent_aws.connection import error_code

    return error_code(exc) in {"404", "NoSuchKey", "NotFound"}


def put_object(s3: Any, bucket: str, key: str, data: bytes) -> None:
    """Store ``data`` at ``s3://bucket/key``."""
    s3.put_object(Bucket=bucket, Key=key, Body=data)


def get_object(s3: Any, bucket: str, key: str) -> bytes | None:
    """The bytes at ``s3://bucket/key``, or None if there is no such object."""
    from botocore.exceptions import ClientError

    try:
        response = s3.get_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if _missing(exc):
            return None
        raise
    body = response["Body"]
    try:
        return body.read()
    finally:
        body.close()


def object_exists(s3: Any, bucket: str, key: str) -> bool:
    """Whether ``s3://bucket/key`` exists."""
    from botocore.exceptions import ClientError

    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if _missing(exc):
            return False
        raise
    return True


def delete_prefix(s3: Any, bucket: str, prefix: str, keep: tuple[str, ...] = ()) -> int:
    """Delete every object under ``prefix`` except the keys in ``keep``; return how many."""
    deleted = 0
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        keys = [{"Key": item["Key"]} for item in page.get("Contents", []) if item["Key"] not in keep]
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
            deleted += len(keys)
    return deleted


def write_error(s3: Any, bucket: str, key: str, reason: str, message: str, log: str = "") -> None:
    """Record why a job failed as a whole (``reason``: crashed, timeout, cancelled, ...)."""
    body = json.dumps({"reason": reason, "message": message, "log": log}).encode()
    put_object(s3, bucket, key, body)


def read_error(s3: Any, bucket: str, key: str) -> dict[str, str] | None:
    """The error record a job wrote, or None."""
    data = get_object(s3, bucket, key)
    if data is None:
        return None
    try:
        record = json.loads(data)
    except ValueError:
        return {"reason": "unknown", "message": data.decode(errors="replace"), "log": ""}
    return {k: str(record.get(k, "")) for k in ("reason", "message", "log")}
