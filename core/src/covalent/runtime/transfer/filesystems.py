"""The fsspec filesystem of a URL, or an error that says what is missing where the task runs.

Every remote protocol is an optional extra of the core distribution (see
``core/pyproject.toml``); a protocol fsspec knows but whose package is not
installed fails with the extra to install, an unknown one with the
protocols that are known.  Credentials come from each library's standard
chain (boto3's, google-auth's, azure-identity's, SSH agent and keys):
nothing here stores or prints them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from covalent.runtime.transfer.locations import is_local, local_path, redact, scheme_of

__all__ = [
    "EXTRAS",
    "MissingExtraError",
    "UnknownSchemeError",
    "distribution",
    "install_hint",
    "open_location",
]

#: Protocol -> the extra of the core distribution that brings its filesystem.
EXTRAS: dict[str, str] = {
    "s3": "s3",
    "s3a": "s3",
    "gs": "gcs",
    "gcs": "gcs",
    "az": "azure",
    "abfs": "azure",
    "abfss": "azure",
    "blob": "azure",
    "sftp": "sftp",
    "ssh": "sftp",
    "http": "http",
    "https": "http",
}


class UnknownSchemeError(ValueError):
    """No fsspec filesystem is registered for a URL's scheme where the task runs."""


class MissingExtraError(ImportError):
    """The filesystem of a URL's scheme needs a package that is not installed where the task runs."""


def distribution() -> str:
    """The name to ``pip install`` for the core."""
    from covalent._version import DISTRIBUTION

    return DISTRIBUTION


def install_hint(protocol: str) -> str:
    extra = EXTRAS.get(protocol)
    return f'pip install "{distribution()}[{extra}]"' if extra else ""


def _filesystem_class(protocol: str, url: str) -> Any:
    import fsspec

    try:
        return fsspec.get_filesystem_class(protocol)
    except ValueError:
        known = ", ".join(sorted({"file", *EXTRAS}))
        raise UnknownSchemeError(
            f"unknown URL scheme {protocol!r} in {redact(url)}: no fsspec filesystem is registered for it "
            f"where the task runs (covalent's extras bring {known}; an installed fsspec package may add others)"
        ) from None
    except ImportError as exc:
        hint = install_hint(protocol)
        if hint:
            raise MissingExtraError(
                f"{protocol}:// transfers need the {EXTRAS[protocol]!r} extra where the task runs: {hint} ({exc})"
            ) from None
        raise MissingExtraError(f"{protocol}:// transfers need a package that is not installed here: {exc}") from None


def _blob_account(url: str) -> tuple[str, str]:
    """Covalent's Azure Blob URLs (``https://ACCOUNT.blob.core.windows.net/CONTAINER/PATH``): account and path."""
    rest = url.split("://", 1)[1]
    host, _, path = rest.partition("/")
    return host.split(".", 1)[0], path


def _adapt(protocol: str, url: str, options: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """Covalent's strategy arguments as the fsspec filesystem's own options."""
    if protocol == "az" and scheme_of(url) in ("https", "http", "blob"):
        account, path = _blob_account(url)
        options.setdefault("account_name", account)
        url = f"az://{path}"
    if protocol in ("az", "abfs", "abfss") and "client_secret" in options:
        from azure.identity import ClientSecretCredential

        credential = ClientSecretCredential(
            options.pop("tenant_id", None), options.pop("client_id", None), options.pop("client_secret")
        )
        options["credential"] = credential
    elif protocol in ("az", "abfs", "abfss"):
        options.pop("tenant_id", None)
        options.pop("client_id", None)
        options.setdefault("anon", False)  # azure-identity's DefaultAzureCredential chain
    if protocol in ("s3", "s3a") and "credentials_file" in options:
        from aiobotocore.session import AioSession

        session = AioSession(profile=options.pop("profile", None))
        session.set_config_variable("credentials_file", options.pop("credentials_file"))
        options["session"] = session
    return protocol, url, options


def open_location(url: str, protocol: str = "", options: Mapping[str, Any] | None = None) -> tuple[Any, str]:
    """The filesystem holding ``url`` and the path within it.

    ``protocol`` overrides the URL's scheme (Covalent's ``Blob`` strategy on
    an ``https://`` URL); ``options`` go to a remote filesystem's constructor.
    """
    if is_local(url) and not protocol:
        from fsspec.implementations.local import LocalFileSystem

        return LocalFileSystem(), local_path(url)
    protocol = protocol or scheme_of(url)
    try:
        protocol, url, opts = _adapt(protocol, url, dict(options or {}))
    except ImportError as exc:
        hint = install_hint(protocol)
        needed = hint or "a package that is not installed"
        raise MissingExtraError(f"{protocol}:// transfers need {needed} where the task runs ({exc})") from None
    cls = _filesystem_class(protocol, url)
    kwargs = {**cls._get_kwargs_from_urls(url), **opts}
    path = cls._strip_protocol(url)
    return cls(**kwargs), path
