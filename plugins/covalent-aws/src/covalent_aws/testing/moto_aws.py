"""A moto server in this process (``ThreadedMotoServer`` on 127.0.0.1, a free port)."""

from __future__ import annotations

import io
import json
import logging
import os
import urllib.request
import zipfile
from dataclasses import dataclass
from typing import Any

__all__ = ["AWSResources", "MotoAWS", "FAKE_ENVIRONMENT"]

#: Fake credentials and settings for tests; the metadata service is disabled
#: so that boto3 never looks for credentials off this machine.
FAKE_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}

#: Environment variables that would point boto3 at real or other credentials.
_CLEARED = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3")


@dataclass
class AWSResources:
    """Names of what :meth:`MotoAWS.create_resources` made."""

    region: str
    bucket: str
    role_arn: str
    compute_environment: str
    job_queue: str
    function_name: str
    short_function_name: str


class MotoAWS:
    """Start moto's server on 127.0.0.1 (free port) with Docker-less Batch and Lambda."""

    def __init__(self, region: str = "us-east-1") -> None:
        self.region = region
        self._server: Any = None
        self.endpoint_url = ""
        self._saved_env: dict[str, str | None] = {}

    # -- server -------------------------------------------------------------------
    def start(self) -> MotoAWS:
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        self.set_config({"batch": {"use_docker": False}, "lambda": {"use_docker": False}})
        return self

    def set_config(self, config: dict[str, Any]) -> None:
        """Moto's config API: ``POST /moto-api/config``."""
        request = urllib.request.Request(
            f"{self.endpoint_url}/moto-api/config",
            data=json.dumps(config).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    # -- environment ----------------------------------------------------------------
    def environment(self) -> dict[str, str]:
        """Variables a process needs to reach this moto (fake credentials, endpoint)."""
        return {
            **FAKE_ENVIRONMENT,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            "AWS_ENDPOINT_URL": self.endpoint_url,
        }

    def install_credentials(self) -> None:
        """Put fake credentials (not the endpoint) in ``os.environ``; :meth:`restore_environment` undoes it."""
        for name in (*FAKE_ENVIRONMENT, *_CLEARED):
            self._saved_env.setdefault(name, os.environ.get(name))
        for name in _CLEARED:
            os.environ.pop(name, None)
        os.environ.update({**FAKE_ENVIRONMENT, "AWS_DEFAULT_REGION": self.region, "AWS_REGION": self.region})

    def restore_environment(self) -> None:
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_env.clear()

    def client(self, service: str) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(
            service,
            region_name=self.region,
            endpoint_url=self.endpoint_url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(s3={"addressing_style": "path"}),
        )

    # -- resources --------------------------------------------------------------------
    def create_resources(self, name: str = "covalent-test") -> AWSResources:
        """IAM role, unmanaged compute environment, job queue, bucket and two Lambda functions
        (``<name>-fn`` with a 120 s timeout and ``<name>-short`` with 8 s)."""
        iam = self.client("iam")
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": ["batch.amazonaws.com", "lambda.amazonaws.com"]},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        role_arn = iam.create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        batch = self.client("batch")
        ce_arn = batch.create_compute_environment(
            computeEnvironmentName=f"{name}-ce",
            type="UNMANAGED",
            state="ENABLED",
            serviceRole=role_arn,
        )["computeEnvironmentArn"]
        batch.create_job_queue(
            jobQueueName=f"{name}-queue",
            state="ENABLED",
            priority=1,
            computeEnvironmentOrder=[{"order": 1, "computeEnvironment": ce_arn}],
        )
        bucket = f"{name}-bucket"
        self.client("s3").create_bucket(Bucket=bucket)
        lam = self.client("lambda")
        for fn, timeout in ((f"{name}-fn", 120), (f"{name}-short", 8)):
            lam.create_function(
                FunctionName=fn,
                Runtime="python3.11",
                Role=role_arn,
                Handler="covalent_aws.lambda_handler.handler",
                Code={"ZipFile": _placeholder_zip()},
                Timeout=timeout,
                MemorySize=1024,
            )
        return AWSResources(
            region=self.region,
            bucket=bucket,
            role_arn=role_arn,
            compute_environment=f"{name}-ce",
            job_queue=f"{name}-queue",
            function_name=f"{name}-fn",
            short_function_name=f"{name}-short",
        )


def _placeholder_zip() -> bytes:
    """A deployment package for moto's bookkeeping; the fake runtime runs the installed handler."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "covalent-aws is installed in the runtime image\n")
    return buffer.getvalue()
