"""boto3 sessions and clients for the executors, through the standard credential chain.

boto3 is imported here, lazily, so that importing the plugin stays cheap.
Clients are created once per executor and shared by worker threads (boto3
clients are thread-safe; sessions are not, so the session is only used
under a lock).
"""

from __future__ import annotations

import threading
from typing import Any

from covalent_aws.errors import AWSConfigurationError, AWSCredentialsError

__all__ = ["AWSConnection", "error_code"]

#: Read timeout of the Lambda client: a synchronous invocation may last up
#: to the 900 s maximum Lambda timeout.
LAMBDA_READ_TIMEOUT = 960


def error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore ``ClientError`` ("" for other errors)."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return ""
    return str(response.get("Error", {}).get("Code", ""))


class AWSConnection:
    """A boto3 session (profile, region) plus cached clients (optional endpoint URL)."""

    def __init__(
        self,
        profile: str | None = None,
        region: str | None = None,
        endpoint_url: str | None = None,
    ) -> None:
        import boto3
        from botocore.exceptions import ProfileNotFound

        try:
            self.session = boto3.Session(profile_name=profile or None, region_name=region or None)
        except ProfileNotFound as exc:
            raise AWSCredentialsError(
                f"AWS profile {profile!r} is not configured in ~/.aws/config or "
                "~/.aws/credentials (or the files named by AWS_CONFIG_FILE / "
                "AWS_SHARED_CREDENTIALS_FILE)"
            ) from exc
        self.profile = profile
        self.region: str = self.session.region_name or ""
        if not self.region:
            raise AWSConfigurationError(
                "no AWS region configured: pass region=..., set AWS_REGION or "
                "AWS_DEFAULT_REGION, or give the profile a region"
            )
        self.endpoint_url = endpoint_url or None
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def client(self, service: str) -> Any:
        """A (cached) boto3 client for ``service``."""
        from botocore.config import Config

        with self._lock:
            client = self._clients.get(service)
            if client is None:
                options: dict[str, Any] = {
                    "retries": {"mode": "standard", "max_attempts": 5},
                    "connect_timeout": 10,
                }
                if service == "lambda":
                    options["read_timeout"] = LAMBDA_READ_TIMEOUT
                    options["retries"] = {"mode": "standard", "max_attempts": 1}
                if service == "s3" and self.endpoint_url:
                    options["s3"] = {"addressing_style": "path"}
                client = self.session.client(
                    service,
                    region_name=self.region,
                    endpoint_url=self.endpoint_url,
                    config=Config(**options),
                )
                self._clients[service] = client
            return client

    def check_credentials(self) -> None:
        """Raise :class:`AWSCredentialsError` unless the boto3 chain finds credentials."""
        with self._lock:
            credentials = self.session.get_credentials()
        if credentials is None:
            where = f"profile {self.profile!r}" if self.profile else "the default chain"
            raise AWSCredentialsError(
                f"no AWS credentials found through {where}: set AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY, configure a profile (profile=... or AWS_PROFILE), "
                "or run where an instance/container role provides them"
            )

    def describe(self) -> dict[str, Any]:
        """JSON-safe summary (no secrets)."""
        return {"region": self.region, "profile": self.profile, "endpoint_url": self.endpoint_url}
