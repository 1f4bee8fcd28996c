"""Transfer strategies, as Covalent names them, plus ``FSSpec`` for any fsspec filesystem.

A strategy only describes *how* to move files: its JSON-safe options go in
the manifest, anything secret travels pickled with the task, and the runtime
(:mod:`covalent.runtime.transfer`) does the moving where the task runs.  A
subclass of :class:`FileTransferStrategy` written by a user keeps Covalent's
contract: its ``cp``/``upload``/``download`` return the callable to run there.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from covalent._sdk.transfer.file import File

__all__ = [
    "SECRET_OPTIONS",
    "Blob",
    "FSSpec",
    "FileTransferStrategy",
    "GCloud",
    "HTTP",
    "Rsync",
    "S3",
    "Shutil",
    "StrategyPlan",
]

#: Filesystem options that are secrets: they travel only inside the pickled task, never in the manifest.
SECRET_OPTIONS = frozenset(
    {
        "password",
        "passphrase",
        "secret",
        "key",
        "token",
        "client_secret",
        "account_key",
        "sas_token",
        "connection_string",
        "credential",
        "credentials",
        "aws_secret_access_key",
        "aws_session_token",
        "secret_access_key",
        "session_token",
    }
)


@dataclass
class StrategyPlan:
    """How the runtime runs a strategy: its engine, forced protocol, plain options and secret ones."""

    engine: str = ""  # "" (fsspec, by URL), "rsync" or "callable"
    protocol: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    secrets: dict[str, Any] = field(default_factory=dict)
    uses_paths: bool = False  # rsync: plain paths (the host is in the options), not URLs


def _json_safe(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def _split_secrets(options: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Options for the manifest (plain, JSON-safe) and options that travel pickled (secrets, objects)."""
    given = {k: v for k, v in options.items() if v is not None}
    plain = {k: v for k, v in given.items() if k not in SECRET_OPTIONS and _json_safe(v)}
    return plain, {k: v for k, v in given.items() if k not in plain}


class FileTransferStrategy:
    """Base of every strategy (Covalent's abstract methods, for user subclasses).

    A subclass that overrides ``cp``, ``upload`` and ``download`` returns from
    each a callable that does the transfer where the task runs (Covalent's
    contract); the built-in strategies are described by :meth:`plan` instead.
    """

    def plan(self) -> StrategyPlan | None:
        """How the runtime runs this strategy; None for a user's strategy (its callables run)."""
        return None

    def cp(self, from_file: File, to_file: File) -> Callable[[], Any]:
        raise NotImplementedError

    def download(self, from_file: File, to_file: File) -> Callable[[], Any]:
        raise NotImplementedError

    def upload(self, from_file: File, to_file: File) -> Callable[[], Any]:
        raise NotImplementedError

    def pre_transfer_hook(self, from_file: File, to_file: File, return_value_type: Any = None) -> Callable[[], Any]:
        """Covalent's hook: create the temporary files, return the ``(from, to)`` pair."""
        pair = (from_file.filepath, to_file.filepath)
        temps = [f.filepath for f in (from_file, to_file) if f.is_temp_file]

        def hook() -> tuple[str, str]:
            for path in temps:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
                Path(path).touch()
            return pair

        return hook

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Shutil(FileTransferStrategy):
    """Copy between local paths (where the task runs)."""

    def plan(self) -> StrategyPlan:
        return StrategyPlan()


class HTTP(FileTransferStrategy):
    """Download from an ``http(s)://`` URL, or upload to one with PUT (e.g. a presigned URL)."""

    def plan(self) -> StrategyPlan:
        return StrategyPlan()


class Rsync(FileTransferStrategy):
    """The ``rsync`` program: over SSH to ``host`` (as ``user``, with ``private_key_path``), or locally.

    ``port`` and ``ssh_options`` (``["UserKnownHostsFile=/path", ...]``, given
    to ssh as ``-o``) are additions to Covalent's arguments; without them
    ssh's own configuration, agent and keys apply.
    """

    def __init__(
        self,
        user: str | None = "",
        host: str | None = "",
        private_key_path: str | None = None,
        *,
        port: int | None = None,
        ssh_options: list[str] | None = None,
    ) -> None:
        self.user = user or ""
        self.host = host or ""
        self.private_key_path = private_key_path
        self.port = port
        self.ssh_options = list(ssh_options or [])
        if self.private_key_path and not os.path.exists(os.path.expanduser(self.private_key_path)):
            raise FileNotFoundError(
                f"Provided private key ({self.private_key_path}) does not exist. "
                "Could not instantiate Rsync File Transfer Strategy."
            )

    def plan(self) -> StrategyPlan:
        options: dict[str, Any] = {"user": self.user, "host": self.host, "private_key_path": self.private_key_path}
        options.update(port=self.port, ssh_options=self.ssh_options or None)
        return StrategyPlan(engine="rsync", options=_split_secrets(options)[0], uses_paths=True)

    def __repr__(self) -> str:
        return f"Rsync(user={self.user!r}, host={self.host!r})"


class S3(FileTransferStrategy):
    """Amazon S3 (``s3://bucket/key``) through s3fs; credentials from boto3's standard chain.

    ``credentials`` (a shared credentials file, read where the task runs),
    ``profile`` and ``region_name`` are Covalent's arguments; ``endpoint_url``
    is an addition (S3-compatible stores; ``AWS_ENDPOINT_URL`` works too).
    """

    def __init__(
        self,
        credentials: str | None = None,
        profile: str | None = None,
        region_name: str | None = None,
        *,
        endpoint_url: str | None = None,
    ) -> None:
        self.credentials = credentials
        self.profile = profile
        self.region_name = region_name
        self.endpoint_url = endpoint_url

    def plan(self) -> StrategyPlan:
        options: dict[str, Any] = {}
        if self.credentials:
            options["credentials_file"] = os.path.expanduser(self.credentials)
        if self.profile:
            options["profile"] = self.profile
        client: dict[str, Any] = {}
        if self.region_name:
            client["region_name"] = self.region_name
        if self.endpoint_url:
            client["endpoint_url"] = self.endpoint_url
        if client:
            options["client_kwargs"] = client
        return StrategyPlan(protocol="s3", options=options)


class GCloud(FileTransferStrategy):
    """Google Cloud Storage (``gs://bucket/path``) through gcsfs.

    ``credentials`` is a service-account JSON file, read where the task runs
    (so the key is never stored with the workflow); without it google-auth's
    default chain applies.  ``project_id`` selects the project.
    """

    def __init__(self, credentials: str | None = None, project_id: str | None = None) -> None:
        self.credentials = None
        if credentials is not None:
            path = Path(credentials).expanduser().resolve()
            if not path.is_file():
                raise ValueError("Cloud not locate credentials for GCloud file transfers.")
            self.credentials = str(path)
        self.project_id = project_id

    def plan(self) -> StrategyPlan:
        options: dict[str, Any] = {}
        if self.credentials:
            options["token"] = self.credentials
        if self.project_id:
            options["project"] = self.project_id
        # A token file is a path, not a secret: it stays readable in the manifest.
        return StrategyPlan(protocol="gs", options=options)


class Blob(FileTransferStrategy):
    """Azure Blob Storage (``https://ACCOUNT.blob.core.windows.net/CONTAINER/PATH``) through adlfs.

    Without arguments azure-identity's ``DefaultAzureCredential`` chain
    applies (environment, managed identity, ``az login``).  A
    ``client_secret`` given here is accepted as Covalent accepts it, but it
    then travels with the workflow's pickled task: prefer the environment
    (``AZURE_CLIENT_SECRET``).
    """

    def __init__(self, client_id: str | None = None, client_secret: str | None = None, tenant_id: str | None = None):
        self.client_id = client_id
        self._client_secret = client_secret
        self.tenant_id = tenant_id
        if client_secret:
            warnings.warn(
                "Blob(client_secret=...) stores the secret with the workflow's pickled task; "
                "set AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_CLIENT_SECRET where the task runs instead",
                UserWarning,
                stacklevel=2,
            )

    @property
    def credentials(self) -> tuple[str | None, str | None, str]:
        """Covalent's ``(tenant_id, client_id, client_secret)``, the secret masked."""
        return (self.tenant_id, self.client_id, "***" if self._client_secret else "")

    def plan(self) -> StrategyPlan:
        options = {"client_id": self.client_id, "tenant_id": self.tenant_id} if self._client_secret else {}
        secrets = {"client_secret": self._client_secret} if self._client_secret else {}
        return StrategyPlan(protocol="az", options={k: v for k, v in options.items() if v}, secrets=secrets)

    def __repr__(self) -> str:
        return f"Blob(client_id={self.client_id!r}, tenant_id={self.tenant_id!r})"


class FSSpec(FileTransferStrategy):
    """Any fsspec filesystem, with its own options (``FSSpec(client_keys=[...], known_hosts=...)`` for SFTP).

    ``protocol`` forces the filesystem when the URL's scheme does not name it.
    Options named like secrets (:data:`SECRET_OPTIONS`) travel only with the
    pickled task, never in the manifest.
    """

    def __init__(self, protocol: str = "", **storage_options: Any) -> None:
        self.protocol = protocol
        self.storage_options = storage_options

    def plan(self) -> StrategyPlan:
        plain, secrets = _split_secrets(self.storage_options)
        return StrategyPlan(protocol=self.protocol, options=plain, secrets=secrets)

    def __repr__(self) -> str:
        return f"FSSpec(protocol={self.protocol!r}, options={sorted(self.storage_options)})"
