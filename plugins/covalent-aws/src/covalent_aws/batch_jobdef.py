"""AWS Batch job definitions: one per image and resource shape, found or registered once.

The name of a definition is derived from its shape (``<prefix>-<hash>``),
so every executor (and every server restart) with the same image, vCPUs,
memory, GPUs and role finds the same definition with
``describe_job_definitions`` instead of registering a new revision per task.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

__all__ = ["container_properties", "definition_name", "find_definition", "find_or_register"]

#: The command a definition runs when a job gives none; the executor always
#: overrides it with the job's own arguments.
DEFAULT_COMMAND = ["python", "-m", "covalent_aws.entrypoint", "--help"]


def _format_number(value: float) -> str:
    return f"{value:g}"


def container_properties(
    image: str,
    vcpu: float,
    memory: int,
    gpus: int = 0,
    job_role_arn: str | None = None,
    log_group: str | None = None,
) -> dict[str, Any]:
    """The ``containerProperties`` of a definition for this shape."""
    requirements = [
        {"type": "VCPU", "value": _format_number(vcpu)},
        {"type": "MEMORY", "value": str(int(memory))},
    ]
    if gpus:
        requirements.append({"type": "GPU", "value": str(int(gpus))})
    props: dict[str, Any] = {
        "image": image,
        "command": list(DEFAULT_COMMAND),
        "resourceRequirements": requirements,
    }
    if job_role_arn:
        props["jobRoleArn"] = job_role_arn
    if log_group:
        props["logConfiguration"] = {
            "logDriver": "awslogs",
            "options": {"awslogs-group": log_group},
        }
    return props


def _shape(props: dict[str, Any]) -> dict[str, Any]:
    """The parts of container properties that identify a shape."""
    return {
        "image": props.get("image"),
        "resources": sorted((str(r.get("type")), str(r.get("value"))) for r in props.get("resourceRequirements") or []),
        "jobRoleArn": props.get("jobRoleArn") or None,
        "logGroup": ((props.get("logConfiguration") or {}).get("options") or {}).get("awslogs-group"),
    }


def definition_name(prefix: str, props: dict[str, Any]) -> str:
    """``<prefix>-<16 hex digits of the shape's hash>`` (a valid definition name)."""
    digest = hashlib.sha256(json.dumps(_shape(props), sort_keys=True).encode()).hexdigest()
    return f"{prefix}-{digest[:16]}"[:128]


def find_definition(batch: Any, name: str, props: dict[str, Any]) -> str | None:
    """The ARN of the newest ACTIVE definition called ``name`` with this shape, if any."""
    wanted = _shape(props)
    found: list[tuple[int, str]] = []
    paginator = batch.get_paginator("describe_job_definitions")
    for page in paginator.paginate(jobDefinitionName=name, status="ACTIVE"):
        for definition in page.get("jobDefinitions", []):
            if definition.get("status", "ACTIVE") != "ACTIVE":
                continue
            if definition.get("type") != "container":
                continue
            if _shape(definition.get("containerProperties") or {}) == wanted:
                found.append((int(definition.get("revision", 0)), definition["jobDefinitionArn"]))
    if not found:
        return None
    return max(found)[1]


def find_or_register(batch: Any, name: str, props: dict[str, Any], tags: dict[str, str]) -> str:
    """The ARN of a definition for this shape, registering one only if none exists."""
    arn = find_definition(batch, name, props)
    if arn is not None:
        return arn
    kwargs: dict[str, Any] = {
        "jobDefinitionName": name,
        "type": "container",
        "containerProperties": props,
        "platformCapabilities": ["EC2"],
    }
    if tags:
        kwargs["tags"] = tags
    response = batch.register_job_definition(**kwargs)
    return str(response["jobDefinitionArn"])
